"""Tables whose cell boundaries were lost: text copied from a web page.

"规章000行政规范性文件303…（一）予以公开3000003" — the labels survive, the cells are
glued. We find the catalogue's labels in the text (numbering and punctuation optional),
take the digits between them, and split them into the row's cells only where exactly one
split fits: first by the digits alone (one digit per cell, no leading zeros), then by the
arithmetic rules of the row, then by the rules across rows. Where several splits still fit,
the row stays blank with a problem: never one picked silently. So does a row whose numbers
a narrow cell wrapped (from a PDF: on two lines, or among numbers no label took), and a
next label's "1." is never taken for a cell.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from functools import cache

from nianbao import catalogue as cat
from nianbao.catalogue import PARTS, Row, Template, norm
from nianbao.check import satisfied
from nianbao.model import Cell, Document, Paragraph, Problem, Table
from nianbao.values import UNITS, parse_value

_MAX_CANDIDATES = 20000
_NUMBERING = re.compile(r"^(?:[(（]?[一二三四五六七八九十]+[)）、.．]+|\d+[.．、])")
_VALUE_TEXT = re.compile(r"^[\s\d.+\-＋－]*$")
# numbers standing alone (not 29 of "29件", not 3 of "3.要求…"), and what a row's own are
_LONE_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# A unit printed after a number ("2笔 984361元") closes its cell; kept with the number, so
# the cell reads as a printed one does (984361元 is 98.4361 万元). Not 万 or 人: as often the
# next words' start ("5人民政府…").
_UNIT = "(?:" + "|".join(u for u in UNITS if u not in ("万", "人")) + ")"
_UNIT_END = re.compile(rf"{_UNIT}$")
_LEADING_NUMBERS = re.compile(rf"[^\w+\-＋－]*(?:\d\s*{_UNIT}|[\s\d.,，+\-＋－])*")
_THOUSANDS = re.compile(r"(?<![\d,，])\d{1,3}(?:[,，]\d{3})+(?![\d,，])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # "row" | "item" | "header" | "group" | "heading"
    key: str  # row id, item label or normalised header word
    row: Row | None = None


def _pattern(label: str, official: str | None = None) -> str:
    """A label as printed, with spacing, punctuation and widths left loose.

    The numbering of the official label ("2." of "2.重复申请") is part of the pattern so the
    digits before it are not read as the previous row's cells; it is required for short
    labels (（七）总计), which would otherwise match every 总计 in a header.
    """
    m = _NUMBERING.match(official or label)
    numbering = ""
    if m:
        digits = re.sub(r"[^\w]", "", m.group(0))
        optional = "" if len(norm(label)) <= 4 else "?"
        # right after a digit only with its mark: "…0001.信访" glued, never the 1 of "…921"
        # before a 信访… printed without its number
        d = re.escape(digits)
        numbering = (rf"(?:(?:(?<!\d)[(（]?\s*{d}\s*[)）、.．]*|[(（]?\s*{d}\s*[)）、.．]+)\s*)"
                     rf"{optional}")
    chars = [re.escape(ch) for ch in norm(label)]
    return numbering + r"[^\w]*?".join(chars)


@cache
def _lexicon(template_id: str) -> list[tuple[re.Pattern, str, str, Row | None]]:
    """Every label the glued text may carry, longest first, so 其他 never eats 其他处理."""
    template = cat.load().template(template_id)
    variants = cat.load().variants
    entries: list[tuple[str, str, str, Row | None]] = []
    for row in template.rows:
        if row.table == "appeal":
            continue
        labels = {row.item_label, *variants["rows"].get(f"{row.table}.{row.id}", [])}
        entries += [(lab, "row", row.id, row) for lab in labels]
    numbered = {row.id: row.item_label for row in template.rows}
    for item in template.active_items:
        entries.append((item, "item", item, None))
    words = set()
    for row in template.rows:
        words.update(c.label for c in row.columns)
        if row.group:
            words.add(row.group)
    words.update(w for ws in variants["headers"].values() for w in ws)
    words.update(w for ws in variants["row_groups"].values() for w in ws)
    words.update(["未经复议直接起诉", "复议后起诉", "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"])
    entries += [(w, "header", norm(w), None) for w in words]
    entries += [(t, "heading", t, None) for t in cat.TABLE_TITLES.values()]
    entries.sort(key=lambda e: (-len(norm(e[0])), e[1] != "row"))
    return [(re.compile(_pattern(lab, numbered.get(key) if kind == "row" else None)), kind, key, row)
            for lab, kind, key, row in entries if norm(lab)]


def find_spans(text: str, template_id: str) -> list[Span]:
    taken = bytearray(len(text))
    spans: list[Span] = []
    for pattern, kind, key, row in _lexicon(template_id):
        for m in pattern.finditer(text):
            if m.end() > m.start() and not any(taken[m.start():m.end()]):
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                spans.append(Span(m.start(), m.end(), kind, key, row))
    return sorted(spans, key=lambda s: s.start)


# ---------------------------------------------------------------- splitting digits


def _parts(token: str, k: int, decimal: bool) -> list[list[str]]:
    """Ways to cut one token into k numbers (no leading zeros; a sign only in front); a
    unit after the token is the last number's."""
    unit = _UNIT_END.search(token)
    if unit:
        return [[*p[:-1], p[-1] + unit.group(0)] for p in _parts(token[:unit.start()], k, decimal)]
    if k == 1:
        return [[token]] if _valid(token, decimal) else []
    out = []
    for i in range(1, len(token)):
        head = token[:i]
        if _valid(head, decimal):
            out += [[head, *rest] for rest in _parts(token[i:], k - 1, decimal)]
    return out


def _valid(piece: str, decimal: bool) -> bool:
    body = piece.lstrip("+-")
    if not body or (len(piece) - len(body)) > 1:
        return False
    if decimal and "." in body:
        whole, _, frac = body.partition(".")
        return bool(whole) and bool(frac) and frac.isdigit() and (whole == "0" or not whole.startswith("0")) and whole.isdigit()
    return body.isdigit() and (body == "0" or not body.startswith("0"))


def splits(text: str, n: int, decimal: bool = False) -> list[list[str]]:
    tokens = text.replace("＋", "+").replace("－", "-").split()
    if not tokens or len(_UNIT_END.sub("", "".join(tokens))) < n and not decimal:
        return []
    out: list[list[str]] = []
    for counts in _compositions(n, len(tokens)):
        choices = [_parts(tok, k, decimal) for tok, k in zip(tokens, counts)]
        for combo in itertools.product(*choices):
            out.append([p for part in combo for p in part])
            if len(out) > _MAX_CANDIDATES:
                return out
    return out


def _compositions(n: int, k: int):
    if k == 1:
        if n >= 1:
            yield (n,)
        return
    for first in range(1, n - k + 2):
        for rest in _compositions(n - first, k - 1):
            yield (first, *rest)


# ---------------------------------------------------------------- recovery


@dataclass
class Glued:
    label: str
    row: Row | None  # None for table 四's value run
    text: str
    candidates: list[list[str]]
    columns: list[str]  # field ids, in the order the cells are printed
    doubt: str = ""  # why the numbers read cannot be trusted to be the row's
    line: int = 0  # where its label is printed


def _line_finder(paragraphs: list[Paragraph]):
    """An offset in the paragraphs' text (joined by newlines) → the line its paragraph is on."""
    starts = list(itertools.accumulate((len(p.text) + 1 for p in paragraphs), initial=0))
    return lambda offset: paragraphs[max(0, bisect.bisect_right(starts, offset) - 1)].line


def recover(doc: Document, template: Template, where) -> tuple[list[Table], list[Problem]]:
    paragraphs = [b for b in doc.blocks if isinstance(b, Paragraph)]
    text = "\n".join(b.text for b in paragraphs)
    line_at = _line_finder(paragraphs) if paragraphs else (lambda offset: 0)
    spans = find_spans(text, template.id)
    if not any(s.kind == "row" for s in spans):
        return [], []
    problems: list[Problem] = []
    glued: list[Glued] = []
    first_item = next((s.start for s in spans if s.kind == "item"), 0)
    spans = [s for s in spans if s.kind != "row" or s.start >= first_item]  # prose before 表二
    unread = False  # numbers no label before them took: a row's numbers may have come apart
    for span, nxt in zip(spans, [*spans[1:], None]):
        value_text = text[span.end: nxt.start if nxt else len(text)]
        if span.kind == "row":
            row = span.row
            columns = [f"{row.table}.{row.id}.{c.id}" for c in row.columns]
            decimal = any(c.type == "amount_wan" for c in row.columns)
            below = re.match(r"[^\w\n]*\n", value_text) is not None
            left = _LONE_NUMBER.search(value_text[_LEADING_NUMBERS.match(value_text).end():])
            value_text = _numbers_only(value_text)
            if not value_text.strip():
                unread = unread or left is not None
                continue  # the label in prose, or a row left blank: nothing to recover
            # numbers a cell wrapped: on two lines, or on the line below their label after
            # numbers nobody read; which belong to the row cannot be told
            doubt = ("印在两行上（可能是单元格里的数被拆成了两行），无法确定哪些属于本行"
                     if "\n" in value_text.strip() else
                     "印在行标题的下一行，而它与上一行之间还有不属于任何行的数字（可能是单元格里的数"
                     "被拆成了两行），无法确定哪些属于本行" if unread and below else
                     "前后都有不属于任何行的数字（可能是单元格里的数被拆成了几行），无法确定哪些属于本行"
                     if unread and left else "")
            candidates = [] if doubt else splits(value_text, len(columns), decimal)
            unread = left is not None or not candidates  # numbers no cell took
            glued.append(Glued(row.label, row, value_text, candidates, columns, doubt,
                               line_at(span.start)))
        elif span.kind in ("header", "group"):
            unread = unread or _LONE_NUMBER.search(value_text) is not None
        else:  # a new part of the table
            unread = False
        if span.kind == "header" and span.key == norm("总计") and _numbers_only(value_text).strip():
            if any(g.row is None for g in glued):
                continue
            columns = [f"appeal.{r.id}.{c.id}" for r in template.table_rows("appeal")
                       for c in r.columns]
            value_text = _numbers_only(value_text)
            glued.append(Glued("表四", None, value_text, splits(value_text, len(columns)), columns,
                               line=line_at(span.start)))
    _narrow(glued, template)
    rows: list[list[Cell]] = []
    lines: list[int] = []
    for g in glued:
        cells = g.candidates[0] if len(g.candidates) == 1 else [""] * len(g.columns)
        if len(g.candidates) != 1 and g.text.strip():
            options = "；".join(" ".join(c) for c in g.candidates[:3])
            more = f"等 {len(g.candidates)} 种" if len(g.candidates) > 3 else ""
            few = sum(ch.isdigit() for ch in g.text) < len(g.columns)  # "2" for two cells
            reason = (f"粘连在一起，可拆分为 {options}{more}，无法确定" if g.candidates else
                      g.doubt or (f"少于该行应有的 {len(g.columns)} 格，无法确定各属哪一格" if few
                                  else "粘连在一起，无法拆分为应有的格数"))
            table = cat.table_name(g.row.table if g.row else "appeal")
            problems.append(Problem("cells-ambiguous", "error",
                                    f"“{g.label}”一行的数字“{g.text.strip()}”{reason}；该行留空",
                                    where(g.line or None, f"{table}（单元格边界丢失）"),
                                    cells=g.columns))
        before = len(rows)
        if g.row is None:
            rows += _appeal_rows(template, cells)
        else:
            label = [g.row.group, g.row.item_label] if g.row.table == "apply" and g.row.group else [g.row.label]
            if g.row.table == "active":
                rows.append([Cell(g.row.group)])
            rows.append([Cell(x) for x in label] + [Cell(c) for c in cells])
        lines += [g.line] * (len(rows) - before)
    return [Table(rows, lines)], problems


# The report's six parts' headings, and where each table part's table begins: prose before
# it, the form's cells after. 三 and 四 have a row "三、本年度办理结果" and "四、结转下年度继续
# 办理" of their own: only the parts' titles head parts.
_PARTS = tuple((re.compile(part.number + r"\s*[、.．]\s*" + part.pattern),
                part.table_starts and re.compile(part.table_starts)) for part in PARTS)
_SUB_HEADING = re.compile(r"(?=[（(][一二三四五六七八九十][)）])")  # （一）… inside a part


def prose_paragraphs(text: str) -> list[str] | None:
    """The words of a report whose lines ran together, as paragraphs: what comes before its
    first part, then each part's heading and words (a table part's up to its table), cut
    at its （一）（二）…; None unless three parts' headings are found, in order."""
    heads = []
    at = 0
    for heading, table in _PARTS:
        m = heading.search(text, at)
        if m:
            heads.append((m, table))
            at = m.end()
    if len(heads) < 3:
        return None
    out = [text[:heads[0][0].start()]]
    for (m, table), following in zip(heads, [*heads[1:], None]):
        body = text[m.end(): following[0].start() if following else len(text)]
        if table:
            start = table.search(body)
            body = body[:start.start()] if start else body
        out += [m.group(0), *_SUB_HEADING.split(body)]
    return [p.strip() for p in out if p.strip()]


def _numbers_only(text: str) -> str:
    """The digits right after a label; prose that follows them is not ours to read.

    "1,024" is one number: its thousands separators go. Any other comma between digits
    ("3,2" or "1,02") is no number we can read, and the row reads as empty (so it is
    reported missing), never as the digits before the comma."""
    text = re.sub(r"^[^\w+\-＋－]*", "", text)  # the label's closing ）or ” is not a cell
    text = _THOUSANDS.sub(lambda m: re.sub(r"[,，]", "", m.group(0)), text)
    m = re.match(rf"(?:\d\s*{_UNIT}|[\s\d.+\-＋－])*", text)
    value = m.group(0) if m else ""
    rest = text[len(value):]
    value = re.sub(rf"\s*({_UNIT})\s*", r"\1 ", value)  # "2 笔984361元": "2笔 984361元 "
    if re.match(r"[,，]\s*\d", rest):
        return ""
    last = value.split()[-1] if value.split() else ""
    if re.fullmatch(r"\d{1,2}[.．]", last) and rest[:1].isalpha() or (
            re.fullmatch(r"\d{1,2}", last) and value.endswith(last) and rest[:1] == "、"):
        value = value[: value.rstrip().rfind(last)]  # "…741\n1.本机关…": the next label's number
    return value.rstrip(".") if not _VALUE_TEXT.match(text) else value


def _narrow(glued: list[Glued], template: Template) -> None:
    """Keep the splits the rules allow: each row alone, then the rows of table 三 together."""
    for g in glued:
        if len(g.candidates) > 1:
            ok = [c for c in g.candidates if satisfied(template.id, _numbers(template, g.columns, c))]
            if ok:
                g.candidates = ok
    fixed = {}
    for g in glued:
        if len(g.candidates) == 1:
            fixed.update(_numbers(template, g.columns, g.candidates[0]))
    open_rows = [g for g in glued if len(g.candidates) > 1 and g.row is not None
                 and g.row.table == "apply"]
    size = 1
    for g in open_rows:
        size *= len(g.candidates)
    if not open_rows or size > _MAX_CANDIDATES:
        return
    fits = []
    for combo in itertools.product(*(g.candidates for g in open_rows)):
        values = dict(fixed)
        for g, cand in zip(open_rows, combo):
            values.update(_numbers(template, g.columns, cand))
        if satisfied(template.id, values):
            fits.append(combo)
    if len(fits) == 1:
        for g, cand in zip(open_rows, fits[0]):
            g.candidates = [cand]


def _numbers(template: Template, columns: list[str], cells: list[str]) -> dict:
    """The cells' numbers as the table parser will read them (984361元 is 98.4361 万元)."""
    return {f: parse_value(c, template.field_map[f].type).value for f, c in zip(columns, cells)}


def _appeal_rows(template: Template, cells: list[str]) -> list[list[Cell]]:
    c = cat.load()
    groups = template.table_rows("appeal")
    cols = [col.label for col in c.appeal]
    return [
        [Cell(groups[0].item_label), Cell("行政诉讼")],
        [*(Cell(x) for x in cols), *(Cell(g.item_label) for g in groups[1:])],
        [*(Cell("") for _ in cols), *(Cell(x) for _ in groups[1:] for x in cols)],
        [Cell(x) for x in cells],
    ]
