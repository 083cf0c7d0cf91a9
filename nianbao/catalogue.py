"""The field catalogue: the official templates as data, loaded once.

`data/templates.yaml` is a verbatim copy of the spec (a test keeps them equal);
`data/labels.yaml` adds the printed label variants real reports use and the report's six
parts. No other module spells a template label or a part's title: they ask the catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
TABLES = ("active", "apply", "appeal")


@dataclass(frozen=True)
class Part:
    """One of the report's six parts: readers find its heading, the parser its table, and the
    prose its words before that table."""
    number: str  # "二"
    title: str  # "主动公开政府信息情况"
    pattern: str  # the title as reports print it, a regular expression
    words: tuple[str, ...]  # what names it in a reworded heading
    table: str | None = None
    table_starts: str | None = None  # a regular expression

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"

    def titles(self, title: str) -> bool:
        """Whether a section's title (without its number) is this part's, as printed."""
        return re.fullmatch(self.pattern, title.strip()) is not None


@cache
def _labels() -> dict:
    return yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))


def _parts() -> tuple[Part, ...]:
    return tuple(Part(p["number"], p["title"], p.get("pattern") or re.escape(p["title"]),
                      tuple(p["words"]), p.get("table"), p.get("table_starts"))
                 for p in _labels()["parts"])


PARTS = _parts()
TABLE_TITLES = {p.table: p.heading for p in PARTS if p.table}


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    type: str  # count | delta | amount_wan

    @property
    def heading(self) -> str:
        """The label with its unit, as the printed form's header has it: the spec's label
        of the 2019 amount column (采购总金额) leaves out that it is in 万元."""
        if self.type == "amount_wan" and "万元" not in self.label:
            return f"{self.label}（万元）"
        return self.label

    @property
    def signed(self) -> bool:
        """Shown with its sign (+6, −2): a change, as the spec's 本年增/减 columns are. The
        spec types 本年新公开数量 as a delta too, only because reports write it "＋1"; it
        counts documents, and "+6" would read as six more than last year."""
        return self.type == "delta" and "增" in self.label and "减" in self.label


@dataclass(frozen=True)
class Row:
    table: str
    id: str
    label: str  # printed label as in the spec ("（三）不予公开 1.属于国家秘密")
    group: str | None  # "（三）不予公开", "行政诉讼", or the 第二十条 item for table 二
    columns: tuple[Column, ...]

    @property
    def item_label(self) -> str:
        """The row's own label without its group: what the last label cell prints."""
        return self.label.split(" ", 1)[1] if " " in self.label else self.label

    @property
    def short_label(self) -> str:
        """The label with its group shortened to the group's number, "（三）1.属于国家秘密":
        how a message names a row among many."""
        number = _GROUP_NUMBER.match(self.group or "") if self.table == "apply" else None
        return number.group(0) + self.item_label if number else self.label

    @property
    def name(self) -> str:
        """How a message names the row: 表二's rows under their 第二十条 item."""
        if self.table == "active":
            return f"{self.group}“{self.label}”行"
        return f"“{self.label}”行"


_GROUP_NUMBER = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")


def table_name(table: str) -> str:
    """"表三": how the form's own text refers to its tables."""
    return "表" + TABLE_TITLES[table].split("、", 1)[0]


@dataclass(frozen=True)
class Field:
    id: str
    table: str
    row: Row
    column: Column

    @property
    def type(self) -> str:
        return self.column.type


@dataclass(frozen=True)
class Template:
    id: str
    rows: tuple[Row, ...]
    fields: tuple[Field, ...]

    def table_rows(self, table: str) -> list[Row]:
        return [r for r in self.rows if r.table == table]

    def row(self, table: str, row_id: str) -> Row | None:
        return next((r for r in self.rows if r.table == table and r.id == row_id), None)

    @cached_property
    def field_ids(self) -> list[str]:
        return [f.id for f in self.fields]

    @cached_property
    def field_map(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    @cached_property
    def active_items(self) -> list[str]:
        return list(dict.fromkeys(r.group for r in self.table_rows("active")))

    def describe(self, field_ids: list[str], limit: int = 8) -> str:
        """The first `limit` cells by their printed names, a row at a time (表三“（一）予以公开”
        行的自然人、商业企业列；…) or, when they lie down fewer columns than across rows, a
        column at a time (表三“自然人”列的“（一）予以公开”、“（二）部分公开”行): messages are
        for readers of the form, who do not know its field IDs."""
        fields = [self.field_map.get(i) for i in field_ids[:limit]]
        known = [f for f in fields if f is not None]
        by_column = len({(f.table, f.column.id) for f in known}) < len({f.row for f in known})
        groups: dict[tuple, list[str]] = {}
        for field_id, f in zip(field_ids, fields):
            if f is None:
                groups.setdefault(("", field_id), [])
            elif by_column:
                groups.setdefault((f.table, f"“{f.column.label}”列"), []).append(
                    f"{f.row.group}“{f.row.label}”" if f.table == "active" else f"“{f.row.short_label}”")
            else:
                groups.setdefault((f.table, f.row.name), []).append(f.column.label)
        parts, table = [], None
        for (t, head), items in groups.items():
            if not t:
                parts.append(head)
                continue
            prefix, table = (table_name(t) if t != table else ""), t
            tail = f"的{'、'.join(items)}行" if by_column else f"的{'、'.join(items)}列"
            parts.append(prefix + head + tail)
        more = "等" if len(field_ids) > limit else ""
        return "；".join(parts) + more


@dataclass(frozen=True)
class Catalogue:
    templates: dict[str, Template]
    applicant: tuple[Column, ...]
    appeal: tuple[Column, ...]
    rules: tuple[dict, ...]
    variants: dict  # labels.yaml

    def template(self, template_id: str) -> Template:
        return self.templates[template_id]


_NUMBERING = re.compile(
    r"^(?:[(（]?[一二三四五六七八九十]+[)）、.．]+|[(（]?\d+[)）.．、]+(?!\d))"
)
_DROP = re.compile(r"[\s\u00a0\u3000()（）\[\]【】,，、.．。:：;；\"'“”‘’/／\\|_\-－—–]+")


_DIGITS_CN = {ch: n for n, ch in enumerate("零一二三四五六七八九十")}


def numbering(label: str | None) -> int | None:
    """A label's own number, the last of those it starts with (1 of “（三）1.属于国家秘密”,
    2 of “2.其他”, 1 of “（一）予以公开” as of “1、予以公开”); None without one."""
    text = unicodedata.normalize("NFKC", label or "").strip()
    number = None
    while m := _NUMBERING.match(text):
        number = re.sub(r"[^\w]", "", m.group(0))
        text = text[m.end():].lstrip()
    if number is None or number.isdigit():
        return None if number is None else int(number)
    tens, _, ones = number.rpartition("十")  # 十二 → 12, 二十 → 20, 二十三 → 23
    if "十" not in number:
        return _DIGITS_CN.get(number)
    return (_DIGITS_CN.get(tens, 1) if tens else 1) * 10 + (_DIGITS_CN.get(ones, 0) if ones else 0)


@lru_cache(maxsize=65536)
def norm(label: str | None) -> str:
    """A label reduced to what identifies it: no widths, spaces, breaks, numbering or punctuation."""
    if not label:
        return ""
    text = unicodedata.normalize("NFKC", label).replace("其它", "其他")  # the same word
    text = re.sub(r"\s+", "", text)
    while True:  # "三、（一）予以公开" carries two numberings
        stripped = _NUMBERING.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _DROP.sub("", text)


def _columns(spec: dict, types: dict | None = None) -> tuple[Column, ...]:
    return tuple(Column(cid, label, (types or {}).get(cid, "count")) for cid, label in spec.items())


def _template(tid: str, spec: dict, applicant, appeal) -> Template:
    rows: list[Row] = []
    for item in spec["active"]:
        cols = _columns(item["columns"], item.get("types"))
        for rid, label in item["rows"].items():
            rows.append(Row("active", rid, label, item["item"], cols))
    for rid, label in spec["apply"].items():
        group = label.split(" ", 1)[0] if " " in label else None
        rows.append(Row("apply", rid, label, group, applicant))
    for rid, label in spec["appeal"].items():
        group = label.split(" ", 1)[0] if " " in label else None
        rows.append(Row("appeal", rid, label, group, appeal))
    fields = tuple(
        Field(f"{r.table}.{r.id}.{c.id}", r.table, r, c) for r in rows for c in r.columns
    )
    return Template(tid, tuple(rows), fields)


@cache
def load() -> Catalogue:
    spec = yaml.safe_load((DATA / "templates.yaml").read_text(encoding="utf-8"))
    variants = _labels()
    applicant = _columns(spec["columns"]["applicant"])
    appeal = _columns(spec["columns"]["appeal"])
    templates = {
        tid: _template(tid, tspec, applicant, appeal) for tid, tspec in spec["templates"].items()
    }
    return Catalogue(templates, applicant, appeal, tuple(spec["rules"]), variants)


@cache
def template_markers(template_id: str) -> frozenset[str]:
    """Normalised labels only this template prints: how the template is recognised."""
    cat = load()

    def labels(t: Template) -> set[str]:
        out = set()
        for r in t.rows:
            out.add(norm(r.item_label))
            out.update(norm(c.label) for c in r.columns)
        return {x for x in out if len(x) >= 4}

    mine = labels(cat.templates[template_id])
    others = set().union(*(labels(t) for k, t in cat.templates.items() if k != template_id))
    return frozenset(mine - others)
