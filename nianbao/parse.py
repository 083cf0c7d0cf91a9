"""Template matching: table grids → field IDs, by row and column labels.

Rows are recognised by their labels (the catalogue's, normalised, plus known variants),
never by their position in the table; columns by the header rows printed above them,
falling back to the official order only when a report prints no header (and saying so).
A row whose cells cannot be aligned with its columns stays null with a problem.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache

from nianbao import catalogue as cat
from nianbao.catalogue import Column, Row, Template, norm
from nianbao.model import Cell, Document, ExtraRow, Number, Paragraph, Problem, Report, Table
from nianbao.values import cached_when_short, hedged_number, looks_like_value, parse_value

# ---------------------------------------------------------------- rows as label + values


@dataclass
class Line:
    """One table row split into its label cells and its value cells."""

    labels: list[str]  # effective labels: blanks on the left filled from the row above
    values: list[Cell]
    line: int
    section: str
    own_labels: list[str] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        return any(c.text.strip() and not c.spanned for c in self.values)

    @property
    def norms(self) -> list[str]:
        return [norm(x) for x in self.labels if norm(x)]


def split_cells(cells: list[Cell]) -> tuple[list[Cell], list[Cell]]:
    """A row's label cells and value cells: the labels end at the last cell that is no
    value. A number misprinted or misread ("l2", "107.", "$12$": no Chinese, a digit or a
    letter OCR takes for one) after the labels is a value cell that cannot be read, not
    the row's last label: as a label it took the row's other values with it."""
    last_label = -1
    for i, c in enumerate(cells):
        if c.text.strip() and not looks_like_value(c.text) and not _misread_number(c.text) \
                and not hedged_number(c.text):
            last_label = i
    return cells[: last_label + 1], cells[last_label + 1:]


# A number as OCR misreads it: digits, letters taken for digits (l for 1, O for 0), stray
# points and marks ("107.", "l2", "$12$", "**12**"); nothing else ("+SUM(1)" is a label)
_MISREAD = re.compile(r"[0-9０-９OoIlSBZgq.,。，．、·'`$*_\s]{1,12}")
_MISREAD_DIGIT = re.compile(r"[0-9０-９OoIlSBZgq]")


@cached_when_short  # called for every label cell: the form's few labels, over and over
def _misread_number(text: str) -> bool:
    text = text.strip()
    return bool(_MISREAD.fullmatch(text) and _MISREAD_DIGIT.search(text))


def table_lines(doc: Document) -> list[list[Line]]:
    """Every table of the document as Lines, with the heading each sits under."""
    out, section = [], ""
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            if _is_heading(block.text):
                section = block.text.strip()
            continue
        lines, above, note_at = [], [], None
        for cells, lineno in zip(block.rows, block.row_lines):
            note_at = _note_column(cells, note_at)
            if note_at is not None and note_at < len(cells):
                cells = [*cells[:note_at], Cell(""), *cells[note_at + 1:]]  # a remark, not a label
            label_cells, value_cells = split_cells(cells)
            # a merged label's copy below its origin reads as blank: filled from the row above,
            # as in Word's own text export, and never counted twice in a header
            own = ["" if c.spanned else c.text.strip() for c in label_cells]
            effective = list(own)
            for j, text in enumerate(own):
                if text:
                    break
                if j < len(above):
                    effective[j] = above[j]
            lines.append(Line(effective, value_cells, lineno, section, own))
            if any(own):  # a garbled row lends its labels to no one
                above = [] if _garbled(own) else effective
        out.append(lines)
    return out


# Digits and separators: a number, or a piece of one ("189." and ".1765", "65" and ".5")
_NUMBER_PIECE = re.compile(r"[\d\s.,．，]*\d[\d\s.,．，]*")


def _note_column(cells: list[Cell], current: int | None) -> int | None:
    """Where a remarks column (备注) stands, after the label column: set by a header row that
    heads one, kept for the rows under it, dropped by a header row that heads none (the next
    item's, say). Every row of every table asks: a pattern finds the words before any cell is
    normalised, and a table without remarks asks nothing more."""
    words, spotted = _note_words()
    for i, c in enumerate(cells[1:], 1):
        if spotted(c.text) and norm(c.text) in words:
            return i
    if current is None or any(looks_like_value(c.text) for c in cells):
        return current
    # a row of labels only: another header (its item's, without remarks) ends the column;
    # an item's label alone, or a row whose only words are its label and its remark, do not
    return current if not any(norm(c.text) for i, c in enumerate(cells) if i and i != current) else None


@cache
def _note_words():
    """The remarks headings (labels.yaml note_columns), normalised, and a search for them
    as printed (spaces or a line break between their characters)."""
    words = cat.load().variants["note_columns"]
    spotted = re.compile("|".join(r"\s*".join(map(re.escape, w)) for w in words)).search
    return frozenset(norm(w) for w in words), spotted


def _garbled(own_labels: list[str]) -> bool:
    """Numbers among a row's label cells (before its last label): rows run together."""
    return any(x.strip() and looks_like_value(x) for x in own_labels[:-1])


def _is_heading(text: str) -> bool:
    return bool(re.match(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*\S", text)) and len(text) <= 40


# ---------------------------------------------------------------- label lookup


class Labels:
    """Label → catalogue lookups for one template (exact, known variant, then close)."""

    @classmethod
    @cache
    def of(cls, template_id: str) -> Labels:
        return cls(cat.load().template(template_id))

    def __init__(self, template: Template):
        self.template = template
        variants = cat.load().variants
        self.rows: dict[str, list[Row]] = {}
        for row in template.rows:
            keys = {norm(row.item_label)}
            keys.update(norm(v) for v in variants["rows"].get(f"{row.table}.{row.id}", []))
            for k in keys:
                self.rows.setdefault(k, []).append(row)
        self.groups = {norm(r.group) for r in template.rows if r.group and r.table == "apply"}
        self.items = {norm(i): i for i in template.active_items}
        self.headers = {t: {norm(w) for w in ws} for t, ws in variants["headers"].items()}
        self.row_groups = {norm(w) for ws in variants["row_groups"].values() for w in ws}
        self.col_variants = variants["columns"]

    def row(self, labels: list[str]) -> tuple[Row | None, int, bool]:
        """The catalogue row a line's labels name: (row, index of the naming label, approximate)."""
        norms = [norm(x) for x in labels]
        for i in range(len(norms) - 1, -1, -1):
            if not norms[i]:
                continue
            hit = self._pick(_same_number(labels[i], self.rows.get(norms[i], [])), norms[:i])
            if hit:
                return hit, i, False
            if i == len(norms) - 1:
                close = _same_number(labels[i], self._close(norms[i]))
                if close:
                    hit = self._pick(close, norms[:i])
                    if hit:
                        return hit, i, True
        return None, -1, False

    def _pick(self, rows: list[Row], context: list[str]) -> Row | None:
        if len(rows) <= 1:
            return rows[0] if rows else None
        grouped = [r for r in rows if r.group and any(norm(r.group) in c or c in norm(r.group)
                                                      for c in context if c)]
        return grouped[0] if len(grouped) == 1 else None

    def _close(self, key: str) -> list[Row]:
        """Rows a label names approximately: the one it starts (or ends short of), or the one
        it nearly spells. A label that goes on to name another row names neither
        (3.危及…4.保护…: two labels run together)."""
        if len(key) < 4:
            return []
        starts = {k for k in self.rows if len(k) >= 4 and (key.startswith(k) or k.startswith(key))}
        if len(starts) == 1:
            start = starts.pop()
            rest = key[len(start):]
            if any(len(k) >= 4 and k in rest for k in self.rows):
                return []
            return self.rows[start]
        best = difflib.get_close_matches(key, list(self.rows), n=2, cutoff=0.8)
        if len(best) == 1:
            return self.rows[best[0]]
        return []

    def column(self, table: str, columns: tuple[Column, ...], label: str) -> Column | None:
        key = norm(label)
        if not key:
            return None
        for col in columns:
            names = {norm(col.label)}
            names.update(norm(v) for v in self.col_variants.get(f"{table}.*.{col.id}", []))
            if key in names:
                return col
        starts = [c for c in columns if len(key) >= 4 and (key.startswith(norm(c.label)) or
                                                           norm(c.label).startswith(key))]
        return starts[0] if len(starts) == 1 else None

    def header_of(self, line: Line) -> str | None:
        norms = {norm(x) for x in line.own_labels}
        for table, words in self.headers.items():
            if norms & words:
                return table
        return None


def _same_number(printed: str, rows: list[Row]) -> list[Row]:
    """The rows whose item number the printed label does not contradict: "2.其他" is not
    （六）'s "3.其他" (a label cut short, its rest read as another row)."""
    number = cat.numbering(printed)
    return rows if number is None else [r for r in rows if cat.numbering(r.item_label) in (None, number)]


# ---------------------------------------------------------------- template detection


def detect_template(doc: Document) -> tuple[str | None, dict[str, int]]:
    found = set()
    for block in doc.blocks:
        if isinstance(block, Table):
            found.update(norm(c.text) for row in block.rows for c in row)
    scores = {tid: len(found & cat.template_markers(tid)) for tid in cat.load().templates}
    best = max(scores.values())
    winners = [t for t, s in scores.items() if s == best]
    return (winners[0] if best and len(winners) == 1 else None), scores


# ---------------------------------------------------------------- the table parser


@dataclass
class Parsed:
    values: dict[str, Number | None]
    annotations: dict[str, str]
    extra_rows: list[ExtraRow]
    problems: list[Problem]
    seen_lines: dict[str, int]


class TableParser:
    def __init__(self, template: Template, where):
        self.t = template
        self.labels = Labels.of(template.id)
        self.where = where  # (line, section) → "file:line section"
        self.values: dict[str, Number | None] = {f: None for f in template.field_ids}
        self.annotations: dict[str, str] = {}
        self.extra: list[ExtraRow] = []
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}  # "table.row" → line printed
        self.blank: set[str] = set()  # "table.row" printed with every value cell empty
        self.item: str | None = None
        self.item_open = False  # the last line read was an item's label (第二十条第（五）项)
        self.item_columns: dict[str, list[Column]] = {}
        self.item_layout: dict[str, Layout] = {}  # where each item's columns stand in its header
        self.yuan: set[str] = set()  # items whose amount column's heading says 元, not 万元
        self.odd_unit: dict[str, str] = {}  # items whose amount heading says 千元, 亿元…
        self.apply_columns: list[Column] | None = None
        self.apply_top: list[str] | None = None  # 自然人 | 法人或其他组织 | 总计, normalised
        self.apply_top_layout: Layout | None = None  # where that row puts 自然人 and 总计
        self.apply_layout: Layout | None = None
        self.table: str | None = None  # the table the last recognised row belongs to
        self.appeal_header: list[Line] = []
        self.appeal_columns: list[tuple[str, Column]] | None = None
        self.last_sub: str | None = None  # the parent of the sub-row just read
        self.open_parents: set[str] = set()  # parents whose sub-rows an unknown row followed

    def problem(self, code, severity, message, line: Line | None = None, cells=()):
        section = cat.TABLE_TITLES[self.table] if self.table else (line.section if line else "")
        where = self.where(line.line if line else None, section)
        self.problems.append(Problem(code, severity, message, where, cells=list(cells)))

    # -- driving

    def run(self, tables: list[list[Line]]) -> Parsed:
        for lines in tables:
            if not self.item_open:  # a table cut right after "第二十条第（五）项" goes on
                self.item = None
            for line in lines:
                self.item_open = False
                self.feed(line)
        self.flush_appeal()
        self.finish()
        return Parsed(self.values, self.annotations, self.extra, self.problems, dict(self.seen))

    def feed(self, line: Line) -> None:
        last_sub, self.last_sub = self.last_sub, None
        if last_sub and line.has_values and self.labels.row(line.labels)[0] is None:
            self.open_parents.add(last_sub)  # a row no one knows, right under the sub-rows
        norms = line.norms
        if not line.has_values:
            item = self.item_named(line)
            if item:
                self.item, self.table, self.item_open = item, "active", True
                if self.names_item_columns(line):  # its headings on the same row
                    self.read_active_header(line)
                return
            header = self.labels.header_of(line)
            if header is None and self.blank_row(line):
                return
            self.table = header or self.table
            if header == "active":
                self.read_active_header(line)
            elif header == "apply":
                self.read_apply_header(line)
            elif header == "appeal":
                if _REVIEW in line.norms:  # the header's top row: a repeat starts it again
                    self.appeal_header = []
                self.appeal_header.append(line)
            return
        if not norms:  # numbers without a label: the value row under table 四's header
            if self.appeal_header:
                self.table = "appeal"
                self.read_appeal_values(line)
            else:
                self.problem("values-without-label", "warning",
                             "有一行数字没有行标题，无法对应到字段，已忽略", line)
            return
        if any(x.strip() for x in line.own_labels) and not any(norm(x) for x in line.own_labels):
            self.problem("values-without-label", "warning",  # "10.": a cell split, not a label
                         f"有一行数字的标题格只有编号或符号（{_flat(' '.join(line.own_labels))}），"
                         "无法对应到字段，已忽略", line)
            return
        if _garbled(line.own_labels):
            named = [r for x in line.own_labels for r in self.labels.rows.get(norm(x), [])]
            self.problem("cells-misaligned", "error",
                         f"“{_flat(' '.join(line.own_labels))}”一行的标题格之间夹着数值，可能是几行粘连或错位，"
                         "无法判断数值属于哪一行，该行留空", line,
                         [f"{r.table}.{r.id}.{c.id}" for r in named for c in r.columns])
            return
        row, at, approximate = self.labels.row(line.labels)
        self.table = row.table if row else self.table
        if row is None:
            self.unknown_row(line)
            return
        parent = self.parent_above(line, row, at)
        if parent is not None:
            self.sub_row(line, parent)
            return
        if at < len(line.labels) - 1 and norm(line.labels[-1]):
            self.sub_row(line, row)
            return
        if at < len(line.labels) - 1 and _NUMBER_PIECE.fullmatch(line.own_labels[-1].strip()):
            # "189.\t1765": one number split in two cells, its first half no number at all
            key = f"{row.table}.{row.id}"
            self.seen.setdefault(key, line.line)
            self.problem("cells-misaligned", "error",
                         f"“{row.label}”一行的数值前有一格“{_flat(line.own_labels[-1])}”，"
                         "像是一个数被拆成了两格，无法判断数值，该行留空", line,
                         [f"{key}.{c.id}" for c in self.columns_for(row, line)])
            return
        if approximate:
            self.problem("label-approximate", "info",
                         f"行标题“{_flat(line.labels[-1])}”按近似匹配识别为“{row.label}”", line)
        self.assign_row(row, line)

    def parent_above(self, line: Line, row: Row, at: int) -> Row | None:
        """The table 二 row whose label cell, merged down from above, this line sits under
        (其他对外管理服务事项 over 行政检查 and 行政处罚): the line is that row's part, though
        its own label names another row (taken for 行政处罚, it left the parent a part short)."""
        if row.table != "active":
            return None
        for label, own in zip(line.labels[:at], line.own_labels):
            if label and not own:  # inherited from the merged cell above
                above, _, _ = self.labels.row([label])
                if above is not None and above.table == "active" and above.id != row.id:
                    return above
        return None

    def blank_row(self, line: Line) -> bool:
        """A row printed with its cells left empty (or under a cell merged down from the row
        above): not missing, its fields simply blank. Only a label with cells beside it
        counts: a label alone may be one wrapped over lines, its numbers still to come."""
        if not line.values or any(c.text.strip() and not c.spanned for c in line.values) \
                or _garbled(line.own_labels):  # numbers before its label: not blank, misaligned
            return False
        if not line.norms:  # table 四's row of values under its header, all fifteen empty
            rows = self.t.table_rows("appeal")
            if not self.appeal_header or \
                    sum(not c.spanned for c in line.values) != sum(len(r.columns) for r in rows):
                return False
            self.blank.update(f"appeal.{r.id}" for r in rows)
            self.table = "appeal"
            return True
        row, at, approximate = self.labels.row(line.labels)
        if row is None or approximate or at != len(line.labels) - 1 or \
                len(line.values) < len(row.columns):  # a cell short: something lost, not blank
            return False
        self.blank.add(f"{row.table}.{row.id}")
        self.table = row.table
        return True

    # -- headers

    def item_named(self, line: Line) -> str | None:
        """The 第二十条 item a line names, also with its amounts' unit after it
        (第二十条第（八）项（单位：元）: the unit then holds for the item's amount column)."""
        for raw, n in zip(line.labels, (norm(x) for x in line.labels)):
            if n in self.labels.items:
                return self.labels.items[n]
            item = next((i for key, i in self.labels.items.items() if n.startswith(key)), None)
            if item and "元" in raw[len(item):]:
                self.note_unit(item, [raw[len(item):]])
                return item
        return None

    def note_unit(self, item: str, labels: list[str]) -> None:
        """An amount heading's unit for the item: 元 (converted) or another (not read)."""
        if any(_YUAN.search(lab) and not _WAN.search(lab) for lab in labels):
            self.yuan.add(item)
        odd = next((m.group(0) for lab in labels if (m := _OTHER_UNIT.search(lab))), None)
        if odd:
            self.odd_unit[item] = "".join(odd.split())

    def names_item_columns(self, line: Line) -> bool:
        """Whether a line names two or more of the current item's columns: its headings."""
        rows = [r for r in self.t.table_rows("active") if r.group == self.item]
        return bool(rows) and sum(self.labels.column("active", rows[0].columns, lab) is not None
                                  for lab in line.own_labels) >= 2

    def read_active_header(self, line: Line) -> None:
        if self.item is None:
            return
        rows = [r for r in self.t.table_rows("active") if r.group == self.item]
        if not rows:
            return
        columns = rows[0].columns
        if any(c.type == "amount_wan" for c in columns):
            self.note_unit(self.item, line.own_labels)
        found = [self.labels.column("active", columns, lab) for lab in line.own_labels]
        layout = Layout.of(line, found)
        mapped = [c for c in found if c]
        if layout is not None:  # a heading a converter wrote in each column it spans, once
            mapped = [c for k, c in enumerate(mapped) if k == 0 or c.id != mapped[k - 1].id]
        if sorted(c.id for c in mapped) == sorted(c.id for c in columns):
            self.item_columns[self.item] = mapped
            if layout is not None:
                self.item_layout[self.item] = layout
        else:
            self.problem("header-unreadable", "warning",
                         f"“{self.item}”的列标题与模板不符，按模板列顺序读取", line)

    def read_apply_header(self, line: Line) -> None:
        applicant = cat.load().applicant
        found = [self.labels.column("apply", applicant, lab) for lab in line.own_labels]
        leaves = [c for c in found if c]
        if not leaves:  # 申请人情况 over them all: it names no column (again, when repeated)
            return
        by_id = {c.id: c for c in applicant}
        natural, total = by_id["natural"], by_id["total"]
        org = norm("法人或其他组织")
        own = [norm(x) for x in line.own_labels if norm(x)]
        if len({c.id for c in leaves}) == len(applicant):
            if org not in own:
                self.apply_columns = leaves
                self.apply_layout = Layout.of(line, found)
                return
            # both header rows on one line: the kinds of organisation go where 法人或其他组织 stands
            self.apply_top = [k for k in own if k == org or
                              self.labels.column("apply", applicant, k) in (natural, total)]
        elif natural in leaves or total in leaves:  # the top header row: 自然人 | 法人或其他组织 | 总计
            self.apply_top = own
            self.apply_top_layout = Layout.of(line, found)
            return
        top = self.apply_top
        if top is not None:  # the row of organisation kinds under 法人或其他组织
            order: list[Column] = []
            for key in top:
                if key == org:
                    order.extend(c for c in leaves if c.id not in ("natural", "total"))
                else:
                    col = self.labels.column("apply", applicant, key)
                    if col:
                        order.append(col)
            if sorted(c.id for c in order) == sorted(by_id):
                self.apply_columns = order
                kinds = Layout.of(line, [c if c and c.id not in ("natural", "total") else None
                                         for c in found])
                above = self.apply_top_layout
                if kinds and above and kinds.width == above.width:  # the two rows, one grid
                    self.apply_layout = Layout(kinds.width, {**above.positions, **kinds.positions})
            else:
                self.problem("header-unreadable", "warning",
                             "表三的列标题与模板不符，按模板列顺序读取", line)

    def read_appeal_values(self, line: Line) -> None:
        columns = self.appeal_order()
        groups = list(dict.fromkeys(g for g, _ in columns))
        first = next((self.seen[f"appeal.{g}"] for g in groups if f"appeal.{g}" in self.seen), None)
        if first is not None:
            self.problem("row-duplicated", "warning",
                         f"表四的数值行出现了两次（第 {first} 行与第 {line.line} 行），取第一次的数值", line)
            self.appeal_header = []
            return
        values = fit([c for c in line.values], len(columns))
        if values is None:
            self.problem("cells-misaligned", "error",
                         f"表四的数值行有 {len(line.values)} 格，应为 {len(columns)} 格，"
                         "无法对齐到列，相应字段留空", line,
                         [f"appeal.{group}.{col.id}" for group, col in columns])
            self.seen.update({f"appeal.{g}": line.line for g in groups})
            self.appeal_header = []
            return
        for (group, col), cell in zip(columns, values):
            self.set_value(f"appeal.{group}.{col.id}", cell, line)
        for group in groups:
            self.seen[f"appeal.{group}"] = line.line
        self.appeal_header = []

    def appeal_order(self) -> list[tuple[str, Column]]:
        """Table 四's columns as its header rows name them, in reading order: all fifteen, or
        those of the groups a table of its own prints (行政复议 apart from 行政诉讼)."""
        groups = {norm(r.item_label): r.id for r in self.t.table_rows("appeal")}
        appeal = cat.load().appeal
        order_groups, order_cols = [], []
        above: list[str] = []
        for line in self.appeal_header:
            for i, text in enumerate(line.own_labels):
                if text.strip() and i < len(above) and text == above[i]:
                    continue  # a merged heading a converter wrote again in each row it spans
                key = norm(text)
                if key in groups and groups[key] not in order_groups:
                    order_groups.append(groups[key])
                    continue
                col = self.labels.column("appeal", appeal, text)
                if col:
                    order_cols.append(col)
            above = line.own_labels
        n = len(appeal)
        chunks = [order_cols[i: i + n] for i in range(0, len(order_cols), n)]
        if (order_groups and len(order_groups) == len(chunks) and
                all(sorted(c.id for c in ch) == sorted(c.id for c in appeal) for ch in chunks)):
            self.appeal_columns = [(g, c) for g, ch in zip(order_groups, chunks) for c in ch]
            return self.appeal_columns
        line = self.appeal_header[-1] if self.appeal_header else None
        self.problem("header-unreadable", "warning",
                     "表四的列标题不完整，按模板列顺序读取", line)
        return [(r.id, c) for r in self.t.table_rows("appeal") for c in r.columns]

    def flush_appeal(self) -> None:
        self.appeal_header = []

    # -- rows

    def columns_for(self, row: Row, line: Line) -> list[Column]:
        if row.table == "active":
            cols = self.item_columns.get(row.group)
            if cols is None:
                self.problem("header-missing", "info",
                             f"“{row.label}”所在的{row.group}没有列标题，按模板列顺序读取", line)
                self.item_columns[row.group] = cols = list(row.columns)
            return cols
        if row.table == "apply":
            if self.apply_columns is None:
                self.problem("header-missing", "info", "表三没有列标题，按模板列顺序读取", line)
                self.apply_columns = list(row.columns)
            return self.apply_columns
        if self.appeal_columns:  # a group printed as a row of five
            return [c for g, c in self.appeal_columns if g == row.id]
        return self.appeal_row_columns() or list(row.columns)

    def appeal_row_columns(self) -> list[Column] | None:
        """Table 四 printed a group to a row (行政复议 | 3 | 1 | …) under one header row: the
        five columns in the order that row names them (结果纠正 before 结果维持 was read in the
        form's order, the two swapped, which no rule can notice)."""
        appeal = cat.load().appeal
        for line in reversed(self.appeal_header):
            found = [c for c in (self.labels.column("appeal", appeal, t) for t in line.own_labels) if c]
            if sorted(c.id for c in found) == sorted(c.id for c in appeal):
                return found
        return None

    def assign_row(self, row: Row, line: Line) -> None:
        key = f"{row.table}.{row.id}"
        columns = self.columns_for(row, line)
        values = fit(line.values, len(columns))
        layout = (self.item_layout.get(row.group) if row.table == "active" else
                  self.apply_layout if row.table == "apply" else None)
        if values is None and layout is not None:  # padding and blanks fit() cannot tell apart
            values = layout.place(line, columns) or None
        if key in self.seen:
            fields = [f"{key}.{c.id}" for c in columns]
            again = values and [None if cell.spanned else parse_value(cell.text, self.t.field_map[f].type).value
                                for f, cell in zip(fields, values)]
            if again == [self.values[f] for f in fields]:
                self.problem("row-duplicated", "warning",
                             f"“{row.label}”出现了两次（第 {self.seen[key]} 行与第 {line.line} 行），"
                             "数值相同", line)
                return
            for f in fields:  # which of the two is the row's cannot be told
                self.values[f] = None
                self.annotations.pop(f, None)
            self.problem("row-duplicated", "error",
                         f"“{row.label}”出现了两次（第 {self.seen[key]} 行与第 {line.line} 行），"
                         "两次的数值不同，无法判断哪一次是这一行的，该行留空", line, fields)
            return
        self.seen[key] = line.line
        if values is None:
            self.problem("cells-misaligned", "error",
                         f"“{row.label}”一行有 {len(line.values)} 个数值格，应为 {len(columns)} 个，"
                         "无法判断各数值属于哪一列，该行留空", line,
                         [f"{key}.{c.id}" for c in columns])
            return
        yuan = row.table == "active" and row.group in self.yuan
        odd = self.odd_unit.get(row.group) if row.table == "active" else None
        for col, cell in zip(columns, values):
            self.set_value(f"{key}.{col.id}", cell, line, yuan, odd)

    def set_value(self, field_id: str, cell: Cell, line: Line, yuan: bool = False,
                  odd_unit: str | None = None) -> None:
        if cell.spanned:
            return
        kind = self.t.field_map[field_id].type
        if odd_unit and kind == "amount_wan" and "万元" not in cell.text:
            self.problem("amount-unit-unknown", "error",
                         f"{field_id} 的列标题写明单位为“{odd_unit}”，不是万元或元，所印 "
                         f"{_flat(cell.text)} 不换算，留空", line, [field_id])
            return
        if yuan and kind == "amount_wan":
            kind = "amount_yuan"
        parsed = parse_value(cell.text, kind)
        if kind == "amount_yuan" and parsed.value is not None and "元" not in cell.text:
            self.problem("amount-in-yuan", "info",
                         f"{field_id} 的列标题写明单位为元，所印 {_flat(cell.text)} 元按 "
                         f"{parsed.value} 万元记录", line, [field_id])
        self.values[field_id] = parsed.value
        if parsed.annotation:
            self.annotations[field_id] = parsed.annotation
        if parsed.problem == "dash":
            self.problem("cell-dash", "info", f"{field_id} 印作“{parsed.detail}”，按空白处理",
                         line, [field_id])
        elif parsed.problem:
            self.problem("cell-unreadable", "error",
                         f"{field_id} 的内容“{parsed.detail}”不是{_KIND[kind]}，留空", line, [field_id])

    def sub_row(self, line: Line, parent: Row) -> None:
        columns = self.columns_for(parent, line)
        cells = fit(line.values, len(columns))
        label = _flat(line.labels[-1])
        if cells is None:
            self.problem("cells-misaligned", "error",
                         f"“{parent.label}”下的分项“{label}”数值格数与列数不符，该行留空", line)
            values = {c.id: None for c in columns}
        else:
            values = {c.id: parse_value(x.text, c.type).value for c, x in zip(columns, cells)}
        self.extra.append(ExtraRow(parent.table, parent.id, label, values, line.line))
        self.last_sub = parent.id
        self.seen.setdefault(f"{parent.table}.{parent.id}", line.line)

    def unknown_row(self, line: Line) -> None:
        label = " ".join(_flat(x) for x in line.own_labels if x.strip()) or _flat(line.labels[-1])
        table = "apply" if len(line.values) >= len(cat.load().applicant) else "active"
        columns = [c.id for c in cat.load().applicant] if table == "apply" else []
        kept = fit(line.values, len(columns)) if columns else None
        values = ({c: parse_value(x.text, "count").value for c, x in zip(columns, kept)}
                  if kept else {str(i + 1): parse_value(x.text, "amount_wan").value
                                for i, x in enumerate(line.values) if x.text.strip()})
        self.extra.append(ExtraRow(table, None, label, values, line.line))
        if norm(line.labels[-1]) in self.labels.groups:
            return  # a group printed as one row (mixed templates): judged in finish()
        self.problem("row-unknown", "warning",
                     f"无法识别的行“{label}”，数值已作为附加行保留，未计入字段", line)

    # -- after the last row

    def finish(self) -> None:
        self.sum_sub_rows()
        self.mixed_other_row()
        printed_tables = {k.split(".")[0] for k in [*self.seen, *self.blank]}
        for table in cat.TABLES:
            rows = self.t.table_rows(table)
            self.table = table  # so each problem names the table it is about
            if table not in printed_tables:
                self.problem("table-missing", "error",
                             f"未找到表格“{cat.TABLE_TITLES[table]}”，该表全部字段留空",
                             cells=[f"{table}.{r.id}.{c.id}" for r in rows for c in r.columns])
                continue
            for row in rows:
                key = f"{table}.{row.id}"
                if key not in self.seen and key not in self.blank and not self._covered(row):
                    self.problem("row-missing", "warning",
                                 f"{cat.TABLE_TITLES[table][:2]}缺少“{row.label}”一行，相应字段留空（不是 0）",
                                 cells=[f"{table}.{row.id}.{c.id}" for c in row.columns])

    def _covered(self, row: Row) -> bool:
        return row.table == "apply" and row.id.startswith("other_") and any(
            e.table == "apply" and e.parent is None and norm(e.label) in self.labels.groups
            for e in self.extra)

    def sum_sub_rows(self) -> None:
        parents = sorted({(e.table, e.parent) for e in self.extra if e.parent})
        for table, pid in parents:
            row = self.t.row(table, pid)
            subs = [e for e in self.extra if e.parent == pid and e.table == table]
            if row is None:
                continue
            self.table = table  # each problem names its table, not the last one read
            if table != "active":  # only table 二's rows are split into sub-rows that add up
                blank = [f"{table}.{pid}.{c.id}" for c in row.columns
                         if self.values[f"{table}.{pid}.{c.id}"] is None]
                if blank:
                    self.problem("sub-rows-unsummed", "warning",
                                 f"“{row.label}”一行印成了分项（{'、'.join(e.label for e in subs)}），"
                                 "表三、表四的分项不求和，相应字段留空", cells=blank)
                continue
            if self.seen.get(f"active.{pid}") not in {e.line for e in subs}:
                continue  # the row printed its own numbers: they stand, blanks included
            totals = [e for e in subs if norm(e.label) in _SUBTOTALS]
            if totals:  # the report summed them itself: its 小计 is the row's, never a part
                self.subtotal(row, totals[0], [e for e in subs if e not in totals])
                continue
            if pid in self.open_parents:
                self.problem("sub-rows-incomplete", "warning",
                             f"“{row.label}”的分项（{'、'.join(e.label for e in subs)}）之后紧跟着一行无法识别的行，"
                             "可能也是它的分项，无法求和，相应字段留空",
                             cells=[f"active.{pid}.{c.id}" for c in row.columns])
                continue
            for col in row.columns:
                fid = f"active.{pid}.{col.id}"
                if self.values[fid] is not None:
                    continue
                parts = [e.values.get(col.id) for e in subs]
                if all(p is not None for p in parts):
                    self.values[fid] = sum(parts)
                else:
                    self.problem("sub-rows-incomplete", "warning",
                                 f"{fid}：分项有空白，无法求和，留空", cells=[fid])

    def subtotal(self, row: Row, total: ExtraRow, parts: list[ExtraRow]) -> None:
        for col in row.columns:
            fid = f"{row.table}.{row.id}.{col.id}"
            if self.values[fid] is None:
                self.values[fid] = total.values.get(col.id)
            pieces = [e.values.get(col.id) for e in parts]
            if parts and self.values[fid] is not None and None not in pieces \
                    and sum(pieces) != self.values[fid]:
                self.problem("sub-rows-subtotal", "warning",
                             f"“{row.label}”的分项（{'、'.join(e.label for e in parts)}）“{col.label}”"
                             f"之和为 {sum(pieces)}，与所印“{total.label}” {self.values[fid]} 不符；"
                             f"取所印{total.label}", cells=[fid])

    def mixed_other_row(self) -> None:
        for e in self.extra:
            if e.table == "apply" and e.parent is None and norm(e.label) in self.labels.groups:
                subs = [r for r in self.t.table_rows("apply") if r.group and norm(r.group) == norm(e.label)]
                if subs and all(f"apply.{r.id}" not in self.seen for r in subs):
                    self.table = "apply"
                    self.problem("mixed-template", "warning",
                                 f"报告按旧模板只印了一行“{e.label}”，新模板的 {len(subs)} 个分项留空；"
                                 "校验时以该行代替", cells=[f"apply.{r.id}" for r in subs])


# a sub-row that is its parent's own sum, printed among the parts (never added to them)
_SUBTOTALS = {norm(x) for x in ("小计", "合计", "总计")}
_KIND = {"count": "非负整数", "delta": "整数", "amount_wan": "金额", "amount_yuan": "金额"}
# a heading's unit given as 元, not 万元: "（元）", "（单位：元）", "金额 元", "金额/元", "【元】",
# "（人民币元）"; but "（万\n元）" is 万元 wrapped in a narrow cell (a LibreOffice PDF's)
_YUAN = re.compile(r"(?:^|[（(:：/【\[［\s]|人民币)元(?:$|[)）】\]］,，;；\s])")
_WAN = re.compile(r"万\s*元")
# a unit neither 万元 nor 元: the amounts are not converted, guessed or kept
_OTHER_UNIT = re.compile(r"(?:千|百|十|亿|十万|百万|千万)\s*元")
_REVIEW = norm("行政复议")


@dataclass
class Layout:
    """Where a header row puts each column, by cell: a converter's full grid (Marker,
    Docling) gives every row the header's width, with blanks under a label that spans two
    columns. A row of that width that fit() cannot place is read by position, so
    "行政许可 | _ | 107 | 108 | _" is 107, 108 and a blank: fit() cannot tell its padding
    from its blank value."""

    width: int
    positions: dict[str, list[int]]  # column id → its cells (more than one: a heading repeated)

    @classmethod
    def of(cls, line: Line, found: list[Column | None]) -> Layout | None:
        positions: dict[str, list[int]] = {}
        for i, col in enumerate(found):
            if col is not None:
                positions.setdefault(col.id, []).append(i)
        if not positions or any(at != list(range(at[0], at[-1] + 1)) for at in positions.values()):
            return None  # a heading twice, apart: no layout
        return cls(len(line.own_labels) + len(line.values), positions)

    def place(self, line: Line, columns: list[Column]) -> list[Cell] | None:
        """The row's value cells by position, the columns in their order; None where the row
        is not the header's width, the header's cells are not in the columns' order (a
        table rebuilt from a PDF's word positions), or a heading's repeated cells differ."""
        start = len(line.own_labels)
        at = [self.positions.get(c.id) for c in columns]
        if start + len(line.values) != self.width or None in at or at[0][0] < start or \
                any(a[-1] >= b[0] for a, b in zip(at, at[1:])):
            return None
        cells = []
        for spots in at:
            if len({line.values[i - start].text.strip() for i in spots}) > 1:
                return None
            cells.append(line.values[spots[0] - start])
        return cells


def fit(cells: list[Cell], n: int) -> list[Cell] | None:
    """The n value cells of a row: padding blanks at either end dropped, nothing else moved.

    Blanks at both ends that could each be the padding make the row ambiguous: "_ 1 2 _" in
    three columns reads "_ 1 2" or "1 2 _", so it does not fit either.
    """
    filled = [i for i, c in enumerate(cells) if c.text.strip()]
    extra = len(cells) - n
    if extra < 0 or not filled:
        return list(cells[:n]) if extra >= 0 else None
    back = min(extra, len(cells) - 1 - filled[-1])  # trailing blanks first, as Word pads
    front = extra - back
    if front > filled[0] or (back and front < filled[0]):
        return None
    return list(cells[front: len(cells) - back])


def _flat(text: str) -> str:
    return "".join(text.split())


# ---------------------------------------------------------------- entry point


def detect_in_text(doc: Document) -> str | None:
    """The template of a report whose tables survive only as glued text."""
    text = norm("".join(b.text for b in doc.blocks if isinstance(b, Paragraph)))
    scores = {tid: sum(m in text for m in cat.template_markers(tid)) for tid in cat.load().templates}
    best = max(scores.values())
    winners = [t for t, s in scores.items() if s == best]
    return winners[0] if best >= 3 and len(winners) == 1 else None


FIRST_FORM_YEAR = 2019  # the first report year printed on an official form


def _template_for(year: int | None) -> str | None:
    """The template a report for `year` should be printed on."""
    if year is None or year < FIRST_FORM_YEAR:
        return None  # before the forms (extract's year check names that)
    return "2021" if year >= 2021 else "2019"


def stray_values(doc: Document, report: Report, where) -> None:
    """A line of bare numbers right after a table row: a cell wrapped out of its row."""
    previous = None
    for block in doc.blocks:
        if isinstance(block, Paragraph) and isinstance(previous, Table):
            tokens = block.text.split()
            if tokens and (all(looks_like_value(t) for t in tokens) or
                           _NUMBER_PIECE.fullmatch(block.text.strip())):
                report.add(Problem("values-outside-table", "warning",
                                   f"表格行之后单独一行印着“{_flat(block.text)[:40]}”，可能是上一行的单元格"
                                   "换到了下一行；这些数值未计入任何字段，上一行可能缺格", where(block.line, "")))
        previous = block


def _unglue_prose(doc: Document) -> None:
    """The document's words as paragraphs under the report's headings, when its lines ran
    together with its tables (a web page copied as text): the sections read from them,
    and the search indexes them. Each keeps the line its text was on."""
    from nianbao.recover import prose_paragraphs

    blocks = []
    for block in doc.blocks:
        parts = prose_paragraphs(block.text) if isinstance(block, Paragraph) else None
        blocks += [Paragraph(t, block.line) for t in parts] if parts else [block]
    doc.blocks = blocks


def parse_tables(doc: Document, report: Report, where) -> None:
    template, scores = detect_template(doc)
    tables = table_lines(doc)
    glued = False
    if not any(line.has_values for lines in tables for line in lines):
        glued_template = template or detect_in_text(doc)
        if glued_template:
            from nianbao.recover import recover

            recovered, problems = recover(doc, cat.load().template(glued_template), where)
            if recovered:
                template, tables = glued_template, table_lines(Document(recovered))
                glued = True
                _unglue_prose(doc)
                report.add(Problem("cells-glued", "warning",
                                   "正文中的表格丢失了单元格边界（如从网页复制），已按行标签、格数与勾稽关系恢复；"
                                   "无法唯一确定的行留空", where(recovered[0].line or None, "")))
                report.problems.extend(problems)
    if not tables:
        report.add(Problem("no-tables", "error", "未找到任何表格：报告正文可能在附件中，或不是年度报告",
                           where(None, "")))
        return
    if template is None:
        if any(scores.values()) and report.year:
            template = _template_for(report.year)
            report.add(Problem("template-ambiguous", "warning",
                               f"表格同时使用了两种模板的标签（{scores}），按年份 {report.year} 采用 {template} 模板",
                               where(None, "")))
        else:
            report.add(Problem("template-unknown", "error",
                               "表格标签与两种官方模板都不符，无法识别模板", where(None, "")))
            return
    expected = _template_for(report.year)
    if expected and template != expected:
        report.add(Problem("template-mismatch", "warning",
                           f"{report.year} 年度报告应使用 {expected} 年的模板，表格却按 {template} 年的模板印制；"
                           "按所印模板读取", where(None, ""), kind="report"))
    report.template = template
    stray_values(doc, report, where)
    parsed = TableParser(cat.load().template(template), where).run(tables)
    report.values = parsed.values
    report.annotations = parsed.annotations
    report.extra_rows = parsed.extra_rows
    report.lines = parsed.seen_lines
    # A table recovered from glued text is built in the form's column order, without the
    # headers that were glued into it: "no column headers" would be said of every part.
    report.problems.extend(p for p in parsed.problems if not (glued and p.code == "header-missing"))
