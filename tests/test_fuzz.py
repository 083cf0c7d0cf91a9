"""Property-based fuzzing of the text reader and the parser with mutated seed reports.

Each example takes one base report, applies one to three mutations to its text, extracts
it and judges every field of the result. The bases are the five seeds as printed, the same
seeds "numbered" (every value cell a distinct number, so that a value shifted into another
column cannot hide among zeros) and two synthetic 2021-template reports.

A probe run tells which field each printed cell feeds: every value cell gets a distinct
sentinel number at once and the extracted values say where each one went. The oracle then
needs nothing from the parser under test beyond that mapping:

- never an unhandled exception: extract returns a Report without an internal-error, whose
  JSON serialises and whose problems all name the file;
- every field of the result is the unmutated report's value, or the value the mutated text
  now prints at that field's position (read by a deliberately strict reference reader below),
  or it is named by a warning or error: in a problem's cells, or by the line of the row it was
  printed on. A field whose row has gone from the text must be named whatever its value;
- per mutation, when it is the only one: digits replaced by Chinese numerals leave the field
  null with a cell-unreadable naming it; a dropped row leaves its fields null with a
  row-missing (or table-missing) naming them; a duplicated row keeps the first row's values
  and says so; full-width digits read exactly like ASCII ones.

A report whose own arithmetic is broken in the base (every numbered variant) cannot flag a
changed value by a rule, so for those bases rule-broken does not count as naming a field.

Where the mutated text itself licenses another reading, the oracle allows it, and only then:
header cells swapped reorder that table's columns (values may follow the header); a label or
padding cell swapped into a row's values realigns that row (values may move within it); sums
of sub-rows (其他对外管理服务事项 = 行政检查 + 行政确认) may change with any structural
mutation, since the rows around them regroup; a field the unmutated report could not read
(an error named it) may become readable.
"""

from __future__ import annotations

import atexit
import copy
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synth import report as synth_report
from nianbao import catalogue as cat
from nianbao.discover import source_for
from nianbao.extract import extract
from nianbao.jsonout import dumps, report_json
from nianbao.model import Cell, Report, Table
from nianbao.parse import split_cells
from nianbao.readers import ReadError
from nianbao.readers.text import MIXED, REPLACED, TextReader, decode
from tests.conftest import REPORTS

SENTINEL = 10_000_000  # probe values: far above any printed number, and sums of two stay above the range
HUGE = 1_000_000  # bytes in a "huge line"

# ---------------------------------------------------------------- the document as rows


@dataclass
class Seg:
    """A piece of the report text: lines outside tables, or one table row."""

    kind: str  # "raw" (lines), "cells" (one cell per tab-prefixed line) or "line" (tab-separated)
    parts: list[str]  # raw: the lines; rows: the cells' text (a "cells" cell may hold "\n")
    fields: list[str | None] = field(default_factory=list)  # per cell position: the field it feeds
    origin: int = -1  # index of the segment in the unmutated document (-1: inserted text)
    label_at: int = -1  # rows: position of the last label cell (the row's own label)

    def text(self) -> str:
        if self.kind == "raw":
            return "\n".join(self.parts)
        if self.kind == "cells":
            return "\n".join("\t" + c for c in self.parts)
        return "\t".join(self.parts)

    @property
    def is_row(self) -> bool:
        return self.kind != "raw"


def segment(path: Path) -> list[Seg]:
    """The file's lines cut into raw runs and table rows, as the text reader sees them."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    doc = TextReader().read(path)
    rows: dict[int, tuple[int, str, list[Cell]]] = {}
    for block in doc.blocks:
        if not isinstance(block, Table):
            continue
        for cells, lineno in zip(block.rows, block.row_lines):
            first = lines[lineno - 1]
            if first.startswith("\t") and "\t" not in first[1:]:
                rows[lineno - 1] = (sum(c.text.count("\n") + 1 for c in cells), "cells", cells)
            else:
                rows[lineno - 1] = (1, "line", cells)
    segs: list[Seg] = []
    raw: list[str] = []
    i = 0
    while i < len(lines):
        if i not in rows:
            raw.append(lines[i])
            i += 1
            continue
        if raw:
            segs.append(Seg("raw", raw))
            raw = []
        n, kind, cells = rows[i]
        if kind == "line":
            parts = lines[i].split("\t")
        else:
            parts = []
            for ln in lines[i: i + n]:
                if ln.startswith("\t"):
                    parts.append(ln[1:])
                else:
                    parts[-1] += "\n" + ln
        assert len(parts) == len(cells), (path, i + 1)
        labels, _ = split_cells([Cell(p) for p in parts])
        segs.append(Seg(kind, parts, [None] * len(parts), label_at=len(labels) - 1))
        i += n
    if raw:
        segs.append(Seg("raw", raw))
    for k, seg in enumerate(segs):
        seg.origin = k
    assert "\n".join(s.text() for s in segs) == text, path
    return segs


def value_positions(seg: Seg) -> range:
    return range(seg.label_at + 1, len(seg.parts)) if seg.is_row else range(0)


# ---------------------------------------------------------------- extraction in a scratch folder

_SCRATCH: list[Path] = []


def scratch() -> Path:
    """A folder for the files extract reads, removed when the test run ends."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="nianbao-fuzz-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def extract_bytes(name: str, data: bytes) -> Report:
    path = scratch() / name
    path.write_bytes(data)
    return extract(source_for(path))


def render_text(segs: list[Seg]) -> str:
    return "\n".join(s.text() for s in segs)


# ---------------------------------------------------------------- bases and the probe


@dataclass
class Base:
    name: str  # the file name extract sees, so problems' `where` must start with it
    segs: list[Seg]
    report: Report
    field_of: dict[tuple[int, int], str]  # (segment, cell) → template field or "extra:<table>.<parent>.<column>"
    seg_fields: dict[int, set[str]]  # segment origin → template fields its cells feed
    seg_names: dict[int, set[str]]  # … and the sums its sub-row cells feed: what its line names
    broken_rules: set[str]  # rules the unmutated report itself breaks
    derived: dict[str, set[str]]  # parent row key → its fields, summed from sub-rows
    table_at: dict[int, str | None]  # segment → the table it belongs to
    unread: set[str]  # fields the unmutated report could not read (a mutation may mend them)

    @cached_property
    def mapped(self) -> set[str]:
        return {f for f in self.field_of.values() if not f.startswith("extra:")}

    @cached_property
    def kinds(self) -> dict[str, str]:
        return {f.id: f.type for f in cat.load().template(self.report.template).fields}


def _probe(name: str, segs: list[Seg], targets: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Which field each target cell feeds: give them all distinct sentinels, extract, look."""
    if not targets:
        return {}
    probe = copy.deepcopy(segs)
    for k, (i, j) in enumerate(targets):
        probe[i].parts[j] = str(SENTINEL + k)
    report = extract_bytes(name, render_text(probe).encode())
    found: dict[tuple[int, int], str] = {}

    def hit(value, where: str):
        if isinstance(value, int | Decimal) and SENTINEL <= value < SENTINEL + len(targets) \
                and value == int(value):
            found[targets[int(value) - SENTINEL]] = where

    for f, v in report.values.items():
        hit(v, f)
    for e in report.extra_rows:
        for col, v in e.values.items():
            hit(v, f"extra:{e.table}.{e.parent}.{col}")
    return found


def _base(name: str, segs: list[Seg], numbered: bool) -> Base:
    numbers = [(i, j) for i, s in enumerate(segs) for j in value_positions(s) if s.parts[j].strip()]
    field_of = _probe(name, segs, numbers)
    # blank value cells of the data rows: a row at a time, then a cell at a time for the rest
    for i, s in enumerate(segs):
        if not any((i, j) in field_of for j in range(len(s.parts))):
            continue
        blanks = [(i, j) for j in value_positions(s) if not s.parts[j].strip()]
        found = _probe(name, segs, blanks)
        if len(found) < len(blanks):
            found = {}
            for cell in blanks:
                found.update(_probe(name, segs, [cell]))
        field_of.update(found)
    if numbered:
        segs = copy.deepcopy(segs)
        for k, (i, j) in enumerate(numbers):
            segs[i].parts[j] = str(101 + 7 * k)
    for (i, j), f in field_of.items():
        segs[i].fields[j] = f
    report = extract_bytes(name, render_text(segs).encode())
    seg_fields: dict[int, set[str]] = {}
    derived: dict[str, set[str]] = {}
    for (i, _), f in field_of.items():
        if f.startswith("extra:"):
            parent = f[len("extra:"):].rsplit(".", 1)[0]
            derived[parent] = {x for x in report.values if x.startswith(parent + ".")}
        else:
            seg_fields.setdefault(i, set()).add(f)
    seg_names = copy.deepcopy(seg_fields)
    for (i, _), f in field_of.items():  # a sub-row's line names the sum it feeds
        if f.startswith("extra:"):
            seg_names.setdefault(i, set()).update(derived[f[len("extra:"):].rsplit(".", 1)[0]])
    table_at, table = {}, None
    for i in range(len(segs) - 1, -1, -1):  # the table each row sits in: that of the next data row
        table = next((f.split(".")[0] for f in sorted(seg_fields.get(i, ()))), table)
        table_at[i] = table
    broken = {p.rule for p in report.problems if p.code == "rule-broken"}
    unread = {f for p in report.problems if p.kind == "parse" and p.severity == "error"
              for c in p.cells for f in report.values if f == c or f.startswith(c + ".")}
    return Base(name, segs, report, field_of, seg_fields, seg_names, broken, derived, table_at,
                unread)


def _synth_file(seed: int, layout: str) -> Path:
    path = scratch() / "synth" / f"synth-2021-{layout}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(synth_report(seed, "2021", layout, broken=False).text, encoding="utf-8")
    return path


@cache
def bases() -> list[Base]:
    out = []
    for path in sorted(REPORTS.rglob("*.txt")):
        segs = segment(path)
        out.append(_base(path.name, segs, numbered=False))
        out.append(_base("numbered-" + path.name, segs, numbered=True))
    for seed, layout in ((7, "cells"), (8, "rows")):
        path = _synth_file(seed, layout)
        out.append(_base(path.name, segment(path), numbered=False))
    return out


# ---------------------------------------------------------------- the reference reader

_WIDE = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
_INT = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
_DEC = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_UNREADABLE = object()


def reference(text: str, kind: str):
    """What a changed cell prints, read strictly: a plain number, blank (None) or unreadable."""
    t = re.sub(r"\s+", "", text.translate(_WIDE))
    if not t:
        return None
    if kind == "amount_wan" and _DEC.fullmatch(t) and len(t) <= 20:
        return Decimal(t.replace(",", ""))
    if _INT.fullmatch(t) and len(t) <= 18:
        value = int(t.replace(",", ""))
        return value if kind == "delta" or not t.startswith("-") else _UNREADABLE
    return _UNREADABLE


def same(a, b) -> bool:
    return (a is None) == (b is None) and (a is None or a == b)


# ---------------------------------------------------------------- mutations

CN_DIGITS = "〇一二三四五六七八九"
# Characters a content mutation may insert: nothing that makes a different valid number
# ("5" → "15", "-5", "1.5", "5元"), and no line or cell breaks (those are "split").
FORBIDDEN = set("0123456789０１２３４５６７８９-－.．元\t\n")
SAFE = st.characters(exclude_categories=("Cs",), exclude_characters="".join(sorted(FORBIDDEN)))
_PLACEHOLDER = 0xF0000  # private-use characters standing for inserted bytes until rendering


def _digit_safe(data: bytes) -> bool:
    """Bytes that, where they decode, add no digit, sign or point (tabs and newlines may)."""
    return not set(data.decode("utf-8", errors="ignore")) & (FORBIDDEN - set("\t\n"))


@dataclass
class Doc:
    """A base being mutated."""

    base: Base
    segs: list[Seg]
    inserts: dict[str, bytes] = field(default_factory=dict)  # placeholder → bytes it stands for
    muts: list[tuple] = field(default_factory=list)  # (kind, origin, position, field, detail)
    # tables whose header cells, rows whose label or padding cells were swapped: their values
    # may follow the new order
    reordered: set[str | None] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"Doc({self.base.name}, {self.muts})"

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints this, not every field
        p.text(repr(self))

    def rows(self) -> list[int]:
        return [i for i, s in enumerate(self.segs) if s.is_row and s.parts]

    def cells(self, want=lambda f, text: True) -> list[tuple[int, int]]:
        return [(i, j) for i, s in enumerate(self.segs) if s.is_row for j, f in enumerate(s.fields)
                if f and not f.startswith("extra:") and j < len(s.parts) and want(f, s.parts[j])]

    def placeholder(self, data: bytes) -> str:
        ph = chr(_PLACEHOLDER + len(self.inserts))
        self.inserts[ph] = data
        return ph

    def note(self, kind: str, i: int | None, j: int | None = None, detail: str = "") -> None:
        seg = self.segs[i] if i is not None else None
        f = seg.fields[j] if seg is not None and j is not None and j < len(seg.fields) else None
        self.muts.append((kind, seg.origin if seg else None, j, f, detail))

    def render(self) -> tuple[bytes, list[int]]:
        """The file's bytes and the origin of each of its lines."""
        chunks, origins = [], []
        for s in self.segs:
            data = s.text().encode("utf-8", "surrogatepass")
            for ph, raw in self.inserts.items():
                data = data.replace(ph.encode(), raw)
            chunks.append(data)
            origins.extend([s.origin] * (data.count(b"\n") + 1))
        return b"\n".join(chunks), origins

    def final(self, text: str) -> str:
        for ph, raw in self.inserts.items():
            text = text.replace(ph, raw.decode("utf-8", errors="replace"))
        return text


def _where_in(draw, doc: Doc) -> tuple[int, int, int]:
    """A random segment, part and offset in the text."""
    i = draw(st.integers(0, len(doc.segs) - 1))
    seg = doc.segs[i]
    if not seg.parts:
        seg.parts.append("")
    j = draw(st.integers(0, len(seg.parts) - 1))
    return i, j, draw(st.integers(0, len(seg.parts[j])))


def m_swap(draw, doc: Doc) -> None:
    if draw(st.booleans()):  # two cells of one row: labels, values, blanks
        rows = [i for i in doc.rows() if len(doc.segs[i].parts) >= 2]
        i = draw(st.sampled_from(rows))
        j, k = draw(st.lists(st.integers(0, len(doc.segs[i].parts) - 1), min_size=2, max_size=2,
                             unique=True))
        a, b = (i, j), (i, k)
    else:  # two value cells anywhere
        a, b = draw(st.lists(st.sampled_from(doc.cells()), min_size=2, max_size=2, unique=True))
    sa, sb = doc.segs[a[0]], doc.segs[b[0]]
    sa.parts[a[1]], sb.parts[b[1]] = sb.parts[b[1]], sa.parts[a[1]]
    doc.note("swap", a[0], a[1], f"↔ {sb.origin}:{b[1]}")
    if a[0] == b[0] and not doc.base.seg_names.get(sa.origin):
        doc.reordered.add(doc.base.table_at.get(sa.origin))  # header cells swapped: columns too
    elif not (sa.fields[a[1]] and sb.fields[b[1]]):  # a label or padding moved: the row realigns
        doc.reordered.update(_block(f) for s in (sa, sb) for f in doc.base.seg_fields.get(s.origin, ()))


def m_drop(draw, doc: Doc) -> None:
    i = draw(st.sampled_from(doc.rows()))
    doc.note("drop", i)
    del doc.segs[i]


def m_dup(draw, doc: Doc) -> None:
    i = draw(st.sampled_from(doc.rows()))
    seg = copy.deepcopy(doc.segs[i])
    at = i + 1 if draw(st.booleans()) else draw(st.sampled_from(doc.rows()))
    doc.note("dup", i, detail=f"at {at}")
    new = [seg] if seg.kind == "line" else [Seg("raw", [""], origin=-1), seg, Seg("raw", [""], origin=-1)]
    doc.segs[at:at] = new


def m_misspell(draw, doc: Doc) -> None:
    rows = [i for i in doc.rows() if doc.segs[i].label_at >= 0
            and doc.segs[i].parts[doc.segs[i].label_at].strip()]
    i = draw(st.sampled_from(rows))
    seg = doc.segs[i]
    text = seg.parts[seg.label_at]
    at = draw(st.sampled_from([k for k, ch in enumerate(text) if not ch.isspace()]))
    op = draw(st.sampled_from(["replace", "delete", "insert"]))
    ch = draw(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF))
    if op == "replace":
        text = text[:at] + ch + text[at + 1:]
    elif op == "delete":
        text = text[:at] + text[at + 1:]
    else:
        text = text[:at] + ch + text[at:]
    seg.parts[seg.label_at] = text
    doc.note("misspell", i, seg.label_at, f"{op} {ch}")


def _cn_number(n: int) -> str:
    """Chinese reading of a number: 0 → 零, 19 → 十九, 753 → 七百五十三."""
    if n == 0:
        return "零"
    units = ["", "十", "百", "千"]
    out, digits = "", str(n)[-4:]
    for k, d in enumerate(digits):
        place = len(digits) - 1 - k
        if d == "0":
            out += "零" if out and not out.endswith("零") and place else ""
            continue
        out += ("" if d == "1" and place == 1 and not out else CN_DIGITS[int(d)]) + units[place]
    return out.rstrip("零")


def m_numeral(draw, doc: Doc) -> None:
    i, j = draw(st.sampled_from(doc.cells(lambda f, text: re.search(r"[0-9]", text))))
    seg = doc.segs[i]
    text = seg.parts[j]
    if draw(st.booleans()) and re.fullmatch(r"\s*[0-9]{1,4}\s*", text):
        new = _cn_number(int(text))
    else:
        new = re.sub(r"[0-9]", lambda m: CN_DIGITS[int(m.group())], text)
    seg.parts[j] = new
    doc.note("numeral", i, j, f"{text!r} → {new!r}")


def m_blank(draw, doc: Doc) -> None:
    i, j = draw(st.sampled_from(doc.cells(lambda f, text: text.strip())))
    doc.segs[i].parts[j] = draw(st.sampled_from(["", " ", "\u3000"]))
    doc.note("blank", i, j)


def m_fullwidth(draw, doc: Doc) -> None:
    i, j = draw(st.sampled_from(doc.cells(lambda f, text: re.search(r"[0-9]", text))))
    text = doc.segs[i].parts[j]
    doc.segs[i].parts[j] = text.translate(str.maketrans("0123456789+-.", "０１２３４５６７８９＋－．"))
    doc.note("fullwidth", i, j)


def m_unicode(draw, doc: Doc) -> None:
    i, j, at = _where_in(draw, doc)
    text = draw(st.text(SAFE, min_size=1, max_size=6))
    part = doc.segs[i].parts[j]
    doc.segs[i].parts[j] = part[:at] + text + part[at:]
    doc.note("unicode", i, j, repr(text))


def m_split(draw, doc: Doc) -> None:
    """A stray cell or line break: a tab or a newline inserted anywhere."""
    i, j, at = _where_in(draw, doc)
    text = draw(st.sampled_from(["\t", "\n", "\t\t", "\r\n", "\n\n"]))
    part = doc.segs[i].parts[j]
    doc.segs[i].parts[j] = part[:at] + text + part[at:]
    doc.note("split", i, j, repr(text))


def m_bytes(draw, doc: Doc) -> None:
    i, j, at = _where_in(draw, doc)
    data = draw(st.binary(min_size=1, max_size=8).filter(_digit_safe))
    part = doc.segs[i].parts[j]
    doc.segs[i].parts[j] = part[:at] + doc.placeholder(data) + part[at:]
    doc.note("bytes", i, j, repr(data))


def m_huge(draw, doc: Doc) -> None:
    how = draw(st.sampled_from(["line", "cell", "number"]))
    if how == "number":  # a value cell a million digits long
        i, j = draw(st.sampled_from(doc.cells()))
        doc.segs[i].parts[j] = doc.placeholder(b"9" * HUGE)
        doc.note("huge", i, j, "number")
        return
    chunk = draw(st.text(st.one_of(SAFE, st.sampled_from(" \t\u3000")), min_size=1, max_size=4))
    data = (chunk * (HUGE // len(chunk.encode()) + 1)).encode()[:HUGE]
    data = data.decode("utf-8", errors="ignore").encode()
    if how == "line":
        i = draw(st.integers(0, len(doc.segs)))
        doc.segs.insert(i, Seg("raw", [doc.placeholder(data)], origin=-1))
        doc.muts.append(("huge", None, None, None, f"line of {chunk!r}"))
        return
    i, j, at = _where_in(draw, doc)
    part = doc.segs[i].parts[j]
    doc.segs[i].parts[j] = part[:at] + doc.placeholder(data) + part[at:]
    doc.note("huge", i, j, f"{chunk!r} in a cell")


MUTATIONS = {
    "swap": m_swap, "drop": m_drop, "dup": m_dup, "misspell": m_misspell, "numeral": m_numeral,
    "blank": m_blank, "fullwidth": m_fullwidth, "unicode": m_unicode, "split": m_split,
    "bytes": m_bytes, "huge": m_huge,
}
# huge lines are slow to extract: drawn less often than the rest
WEIGHTED = [k for k in MUTATIONS for _ in range(1 if k == "huge" else 4)]


@st.composite
def mutated(draw, kinds=None) -> Doc:
    base = bases()[draw(st.integers(0, len(bases()) - 1))]
    doc = Doc(base, copy.deepcopy(base.segs))
    for _ in range(draw(st.integers(1, 3)) if kinds is None else 1):
        kind = draw(st.sampled_from(kinds or WEIGHTED))
        MUTATIONS[kind](draw, doc)
    return doc


# ---------------------------------------------------------------- the oracle


def named_fields(doc: Doc, report: Report, origins: list[int]) -> set[str]:
    """Fields a warning or error names: in its cells, or by the line of their row."""
    base = doc.base
    out: set[str] = set()
    at = re.compile(re.escape(base.name) + r":(\d+)")
    for p in report.problems:
        if p.severity == "info" or (p.kind == "report" and p.rule in base.broken_rules):
            continue
        for c in p.cells:
            out.update(f for f in report.values if f == c or f.startswith(c + "."))
        m = at.match(p.where)
        if m and 0 < int(m.group(1)) <= len(origins):
            out.update(base.seg_names.get(origins[int(m.group(1)) - 1], ()))
    return out


def allowed_values(doc: Doc, data: bytes) -> dict[str, list]:
    """Per field: the base value plus what its position(s) in the mutated text print now."""
    base = doc.base
    kinds = base.kinds
    # Read as UTF-8, its bad bytes as U+FFFD or GB18030 characters (which no number holds), the
    # numbers print as the text says; read in another encoding, only the base value stands.
    try:
        utf8 = decode(data)[1] in ("utf-8", MIXED, "utf-8" + REPLACED)
    except ReadError:
        utf8 = False
    printed: dict[str, list] = {}
    for s in doc.segs:
        for j, f in enumerate(s.fields if s.is_row else ()):
            if not f or f.startswith("extra:") or j >= len(s.parts):
                continue
            printed.setdefault(f, [])
            value = reference(doc.final(s.parts[j]), kinds[f]) if utf8 else _UNREADABLE
            if value is not _UNREADABLE:
                printed[f].append(value)
    return printed


def _block(field_id: str) -> str:
    """The cells a header reorders: a row's columns; in table 四 also its three groups."""
    return "appeal" if field_id.startswith("appeal.") else field_id.rsplit(".", 1)[0]


def judge(doc: Doc, report: Report, data: bytes, origins: list[int]) -> None:
    base = doc.base
    codes = [p.code for p in report.problems]
    assert "internal-error" not in codes, [p.message for p in report.problems if p.code == "internal-error"]
    json.loads(dumps(report_json(report)))
    assert all(p.where.startswith(base.name) for p in report.problems), \
        [p.where for p in report.problems if not p.where.startswith(base.name)]
    if report.template is None:
        assert report.errors, "no template and no error"
        assert all(v is None for v in report.values.values())
        return
    if report.template != base.report.template:
        assert any(p.code.startswith("template") and p.severity != "info" for p in report.problems), \
            f"template changed silently: {base.report.template} → {report.template}"
        return
    named = named_fields(doc, report, origins)
    printed = allowed_values(doc, data)
    # sums of sub-rows: any change to the rows around them can regroup the sub-rows
    loose = set().union(*base.derived.values()) if base.derived and \
        {m[0] for m in doc.muts} - {"numeral", "blank", "fullwidth"} else set()
    # a heading's unit misspelt ("（单位：万元）" less 万 says 元): its amounts mean other numbers
    if any(kind == "misspell" and origin is not None and "元" in base.segs[origin].parts[j]
           for kind, origin, j, _, _ in doc.muts):
        loose |= {f for f, k in base.kinds.items() if k == "amount_wan"}
    wrong = {}
    for f, b in base.report.values.items():
        v = report.values.get(f)
        if f in named or f in loose or (f in base.unread and b is None):
            continue
        if f not in printed and f in base.mapped:  # its row has gone from the text
            wrong[f] = (b, v, "row gone, not named")
        elif {f.split(".")[0], _block(f)} & doc.reordered and any(
                same(v, x) for g, x in base.report.values.items() for x in [x, *printed.get(g, ())]
                if _block(g) == _block(f)):
            continue
        elif not any(same(v, a) for a in [b, *printed.get(f, ())]):
            wrong[f] = (b, v, f"prints {printed.get(f)}")
    assert not wrong, wrong
    if len(doc.muts) == 1:
        strict(doc, report)


def strict(doc: Doc, report: Report) -> None:
    base = doc.base
    kind, origin, _, f, _ = doc.muts[0]
    row_fields = base.seg_fields.get(origin, set()) if origin is not None else set()
    if kind == "numeral":
        assert report.values[f] is None, (f, report.values[f])
        assert any(p.code == "cell-unreadable" and f in p.cells for p in report.problems), f
    elif kind == "drop" and row_fields:
        gone = {x for x in row_fields if not any(x in base.seg_fields.get(s.origin, ())
                                                  for s in doc.segs)}
        assert all(report.values[x] is None for x in gone), {x: report.values[x] for x in gone}
        missing = {x for p in report.problems if p.code in ("row-missing", "table-missing")
                   for c in p.cells for x in gone if x == c or x.startswith(c + ".")}
        assert missing == gone, gone - missing
    elif kind == "dup" and row_fields:
        assert all(same(report.values[x], base.report.values[x]) for x in row_fields)
        assert {"row-duplicated", "values-without-label"} & {p.code for p in report.problems}
    elif kind == "fullwidth":
        assert same(report.values[f], base.report.values[f])
        before = {(p.code, p.message) for p in base.report.errors}
        assert {(p.code, p.message) for p in report.errors} <= before


def run(doc: Doc) -> None:
    data, origins = doc.render()
    report = extract_bytes(doc.base.name, data)
    judge(doc, report, data, origins)


# ---------------------------------------------------------------- the tests


def test_segments_round_trip_and_probe_agrees():
    """The mapping the oracle relies on: every probed cell holds its field's base value."""
    for base in bases():
        assert base.report.template, base.name
        for (i, j), f in base.field_of.items():
            if f.startswith("extra:"):
                continue
            kind = base.kinds[f]
            printed = reference(base.segs[i].parts[j], kind)
            if printed is not _UNREADABLE:
                assert same(base.report.values[f], printed), (base.name, i, j, f)
        mapped = base.mapped
        assert len(mapped) >= 0.5 * len(base.report.values), base.name
        # every non-null value of the report comes from a probed cell or from sub-rows
        derived = set().union(*base.derived.values()) if base.derived else set()
        unmapped = {f for f, v in base.report.values.items()
                    if v is not None and f not in mapped and f not in derived}
        assert not unmapped, (base.name, unmapped)


def test_chinese_number_reading():
    assert [_cn_number(n) for n in (0, 3, 10, 19, 20, 105, 753, 1000)] == \
        ["零", "三", "十", "十九", "二十", "一百零五", "七百五十三", "一千"]


# ---------------------------------------------------------------- what the fuzzer found, kept


def _edit(name: str, edit) -> tuple[Doc, Report]:
    """One base, edited by hand; judged like any fuzzed example."""
    base = next(b for b in bases() if b.name == name)
    doc = Doc(base, copy.deepcopy(base.segs))
    edit(doc)
    data, origins = doc.render()
    report = extract_bytes(name, data)
    judge(doc, report, data, origins)
    return doc, report


def _row(doc: Doc, first: str, at: int = 0) -> int:
    return next(i for i, s in enumerate(doc.segs)
                if s.is_row and len(s.parts) > at and s.parts[at].strip() == first)


def _codes(report: Report) -> set[str]:
    return {p.code for p in report.problems}


def test_found_huge_number_is_unreadable_not_a_crash():
    """A value cell of a million digits: was ValueError from int() (internal-error)."""
    def edit(doc):
        doc.segs[_row(doc, "规章")].parts[1] = doc.placeholder(b"9" * HUGE)
        doc.note("huge", _row(doc, "规章"), 1)

    _, report = _edit("beijing-tongzhou-shangwuju-2020.txt", edit)
    bad = [p for p in report.problems if p.code == "cell-unreadable"]
    assert report.values["active.rules.made"] is None and bad and len(bad[0].message) < 200


@pytest.mark.parametrize("text", ["三", "〇", "十九", "＋一", "一三.八四万元", "5①", "1²", "١٩", "﹣3"])
def test_found_numbers_we_do_not_read(text):
    """Chinese numerals were taken for labels (the row lost a column, no cell-unreadable);
    NFKC read "5①" as 51 and "1²" as 12; \\d read other scripts' digits."""
    def edit(doc):
        i = _row(doc, "规章")
        doc.segs[i].parts[2] = text
        doc.note("numeral", i, 2)

    _, report = _edit("numbered-beijing-tongzhou-shangwuju-2020.txt", edit)
    assert report.values["active.rules.published"] is None
    assert any(p.code == "cell-unreadable" and p.cells == ["active.rules.published"]
               for p in report.problems)


def test_found_sub_row_of_an_apply_row_is_not_silently_null():
    """Cells of an apply row swapped so that its label reads as a sub-row: the row was null
    without a word (sub-rows are summed only in table 二)."""
    def edit(doc):
        i = _row(doc, "1.本机关不掌握相关政府信息", 2)
        doc.segs[i].parts[0], doc.segs[i].parts[2] = doc.segs[i].parts[2], doc.segs[i].parts[0]
        doc.note("swap", i, 0)

    _, report = _edit("beijing-tongzhou-shangwuju-2020.txt", edit)
    assert "sub-rows-unsummed" in _codes(report)


def test_found_table_four_values_twice():
    """Table 四's value row printed again before its last header row: the second reading
    silently overwrote the first."""
    def edit(doc):
        i = next(i for i, s in enumerate(doc.segs) if s.is_row and s.label_at < 0
                 and any(f and f.startswith("appeal.") for f in s.fields))
        copy_ = copy.deepcopy(doc.segs[i])
        copy_.parts = [str(int(x) + 1) for x in copy_.parts]
        header = _row(doc, "结果维持")
        doc.segs[header:header] = [copy_, Seg("raw", [""])]
        doc.note("dup", i)

    _, report = _edit("numbered-hangzhou-gongshu-shangwuju-2019.txt", edit)
    assert "row-duplicated" in _codes(report)


def test_found_header_rows_run_together():
    """Table 三's two header rows on one line (their separating blank line lost): 总计 was
    read as the second column and every applicant column shifted."""
    def edit(doc):
        i = _row(doc, "自然人", 1)
        doc.segs[i + 1].parts[0] = "："

    _, report = _edit("numbered-hangzhou-gongshu-shangwuju-2019.txt", edit)
    base = next(b for b in bases() if b.name == "numbered-hangzhou-gongshu-shangwuju-2019.txt")
    apply = {f: v for f, v in report.values.items() if f.startswith("apply.")}
    assert apply == {f: base.report.values[f] for f in apply}


def test_found_rows_run_together():
    """Two rows of table 二 on one line: the next row's blank label took 行政许可 from it and
    行政确认 was summed into active.licensing.* without a word."""
    def edit(doc):
        doc.segs[_row(doc, "行政许可") + 1].parts[0] = "："

    _, report = _edit("numbered-beijing-tongzhou-shangwuju-2020.txt", edit)
    assert report.values["active.licensing.prev"] is None
    assert any(p.code == "cells-misaligned" and "active.licensing.prev" in p.cells
               for p in report.problems)


def test_found_padding_at_both_ends_is_ambiguous():
    """A row of eight cells for seven columns with a blank at each end: the trailing blank
    was dropped and every value moved one column right."""
    def edit(doc):
        i = _row(doc, "(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)")
        doc.segs[i].parts[-1] = ""
        doc.note("blank", i, len(doc.segs[i].parts) - 1)

    _, report = _edit("numbered-zhengzhou-zhongmu-shangwuju-2020.txt", edit)
    assert report.values["apply.partial.natural"] is None
    assert any(p.code == "cells-misaligned" and "apply.partial.natural" in p.cells
               for p in report.problems)


@pytest.mark.parametrize("name, label, at", [
    ("zhengzhou-zhongmu-shangwuju-2020.txt", "规章", 3),  # "0" wrapped to a line of its own
    ("synth-2021-rows.txt", "行政事业性收费", 1),  # "189.1765" → "189" / ".1765"
])
def test_found_cell_wrapped_onto_the_next_line(name, label, at):
    """Row-per-line text: a row's last cell (or its tail) on the next line read as blank."""
    def edit(doc):
        i = _row(doc, label)
        text = doc.segs[i].parts[at]
        doc.segs[i].parts[at] = text[:3] + "\n" + text[3:] if len(text) > 3 else "\n" + text
        doc.note("split", i, at)

    _, report = _edit(name, edit)
    assert "values-outside-table" in _codes(report)


def test_found_sub_row_does_not_fill_a_printed_blank():
    """A row printed with its own numbers, one blank, and a sub-row under it: the blank was
    filled with the sub-row's number (19 | 0 | 753 with 19 blanked read 22 | 0 | 753)."""
    def edit(doc):
        i = _row(doc, "行政许可")
        doc.segs[i].parts[1] = ""
        doc.note("blank", i, 1)
        del doc.segs[_row(doc, "其他对外管理服务事项")]  # 行政确认 now sits under 行政许可

    _, report = _edit("beijing-tongzhou-shangwuju-2020.txt", edit)
    assert report.values["active.licensing.prev"] is None
    assert report.values["active.licensing.decisions"] == 753


@pytest.mark.parametrize("mark", [b"\xfe\xff\x00", b"\xff\xfe\x00", b"\xef\xbb\xbf\xff"])
def test_found_byte_order_mark_before_other_bytes(mark):
    """A UTF-16 byte-order mark in front of a UTF-8 file: UnicodeDecodeError (internal-error)."""
    def edit(doc):
        doc.segs[0].parts[0] = doc.placeholder(mark) + doc.segs[0].parts[0]
        doc.note("bytes", 0, 0)

    _edit("hangzhou-gongshu-shangwuju-2019.txt", edit)


def _fee_split(name: str, printed: str) -> Report:
    """The base `name` with its 行政事业性收费 amount printed as `printed` (a tab inside the
    number), extracted."""
    def edit(doc):
        i = _row(doc, "行政事业性收费")
        doc.segs[i].parts[1] = printed
        doc.note("split", i, 1)

    _, report = _edit(name, edit)
    return report


def test_found_label_cell_that_is_only_numbering():
    """Cell-per-line text: a tab inside "10.3996" makes a row of its own, "10." | "3996";
    "10." names nothing, the row took 行政事业性收费 from above and 3996 was published."""
    report = _fee_split("synth-2021-cells.txt", "10.\t3996")
    assert report.values["active.fees.amount"] is None
    assert "values-without-label" in _codes(report)


def test_found_number_split_before_its_row_values():
    """Row-per-line text: a tab inside "189.1765" gave "行政事业性收费 | 189. | 1765"; "189."
    is no number, so it read as part of the label, and 1765 was published."""
    report = _fee_split("synth-2021-rows.txt", "189.\t1765")
    assert report.values["active.fees.amount"] is None
    assert any(p.code == "cells-misaligned" and "active.fees.amount" in p.cells
               for p in report.problems)


_FAST = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_FAST
@given(mutated())
def test_mutated_reports(doc):
    run(doc)


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_each_mutation_alone(kind, data):
    run(data.draw(mutated([kind])))


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_reports_at_scale(doc):
    run(doc)


def test_found_label_after_its_numbers_is_no_blank_row():
    """A row's label swapped to the end, its numbers before it and one empty cell after:
    read as a row printed empty (da82616), its numbers silently lost. A row with numbers
    among its label cells is misaligned, never blank."""
    def edit(doc):
        i = _row(doc, "(六) 其他处理")
        s = doc.segs[i]
        s.parts[0], s.parts[7] = s.parts[7], s.parts[0]
        doc.note("swap", i, 0, "↔ 7")

    _, report = _edit("zhengzhou-zhongmu-shangwuju-2020.txt", edit)
    assert report.values["apply.other.natural"] is None
    assert "row-missing" in _codes(report) or "cells-misaligned" in _codes(report)


def test_found_row_a_cell_short_is_no_blank_row():
    """Stray bytes before a row's last number (Word's text export, a cell a line): the cell
    was lost and the six left were empty, so the row read as printed empty and its total
    went without a word. A row short of cells is not blank: it stays missing, named."""
    def edit(doc):
        i = _row(doc, "1.属于国家秘密", 2)
        s = doc.segs[i]
        s.parts[9] = doc.placeholder(b"\t\x01") + s.parts[9]
        doc.note("bytes", i, 9, "b'\\t\\x01'")

    _, report = _edit("hangzhou-gongshu-shangwuju-2019.txt", edit)
    assert report.values["apply.withheld_state_secret.total"] is None
    assert "row-missing" in _codes(report)
