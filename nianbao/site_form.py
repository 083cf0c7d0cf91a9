"""The three tables of a report laid out like the official form (merged headers, row labels).

Produces plain data (rows of cells with colspan/rowspan) that one generic Jinja macro renders,
so the layout lives here in Python and the template only prints it. Blank cells stay blank;
cells the report's own arithmetic contradicts, and cells the parser could not read, carry a
mark that links to the explanation in the page's problem list.
"""

from __future__ import annotations

from dataclasses import dataclass

from nianbao import catalogue as cat
from nianbao.figures import fmt
from nianbao.model import SEVERITY_ORDER, Problem, Report

APPLY_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TOP_ROWS = ("new", "carried_over")
BOTTOM_ROWS = ("carried_forward",)


@dataclass(frozen=True)
class Mark:
    anchor: str  # "problem-3"
    kind: str  # "broken" (a rule) | "unread" (the parser's) | "doubt" (a value to check)


@dataclass
class HtmlCell:
    text: str = ""
    tag: str = "td"  # td | th
    colspan: int = 1
    rowspan: int = 1
    scope: str | None = None  # col | colgroup | row | rowgroup
    cls: str = ""
    fid: str | None = None  # the field ID, for data-field
    blank: bool = False  # a value cell the report left blank (null, not 0)
    marks: tuple[Mark, ...] = ()
    notes: tuple[str, ...] = ()  # annotations printed beside the number

    def __iter__(self):
        """The fields in the order of the form_cell macro's arguments (render.FormCells
        calls it with *cell)."""
        return iter((self.tag, self.colspan, self.rowspan, self.scope, self.cls, self.fid,
                     self.blank, self.text, self.notes, self.marks))


@dataclass
class HtmlTable:
    id: str
    caption: str
    head: list[list[HtmlCell]]
    body: list[list[HtmlCell]]
    cls: str = ""
    note: str = ""
    caption_hidden: bool = False  # when the section heading already says it


def numbered_problems(report: Report) -> list[tuple[int, Problem]]:
    """The report's problems as its page numbers them: errors first, then warnings, then
    notes (each in the order found), so that what needs attention leads the list."""
    ordered = sorted(report.problems, key=lambda p: SEVERITY_ORDER.get(p.severity, 3))
    return list(enumerate(ordered, 1))


def cell_marks(report: Report) -> dict[str, list[Mark]]:
    """field ID → marks, from the report's problems (anchors are their numbers on the page)."""
    marks: dict[str, list[Mark]] = {}
    for i, p in numbered_problems(report):
        if p.code in ("rule-unchecked", "rule-unread", "table-missing") or not p.cells:
            continue  # blank cells are shown blank; naming them all again would be noise
        kind = "unread" if p.kind == "parse" else "broken" if p.code == "rule-broken" else "doubt"
        for f in p.cells:
            marks.setdefault(f, []).append(Mark(f"problem-{i}", kind))
    return marks


def _value_cell(report: Report, fid: str, column: cat.Column, marks) -> HtmlCell:
    v = report.values.get(fid)
    m = tuple(marks.get(fid, ()))
    cls = "num" if v is not None else "num blank"
    kinds = {x.kind for x in m}
    if kinds - {"doubt"}:  # a doubtful value keeps its frame-less cell; its mark says it
        cls += " broken" if "broken" in kinds else " unread"
    notes = (report.annotations[fid],) if fid in report.annotations else ()
    return HtmlCell(fmt(v, signed=column.signed, group=False), cls=cls, fid=fid,
                    blank=v is None, marks=m, notes=notes)


def _extra_cell(value, column: cat.Column, fid: str, marks) -> HtmlCell:
    m = tuple(marks.get(fid, ()))
    cls = "num" + (" blank" if value is None else "") + (" broken" if m else "")
    return HtmlCell(fmt(value, signed=column.signed, group=False), cls=cls,
                    blank=value is None, marks=m)


def active_tables(report: Report, marks) -> list[HtmlTable]:
    """Table 二: one small table per 第二十条 item, as the form prints them."""
    template = cat.load().template(report.template)
    rows = template.table_rows("active")
    tables = []
    for n, item in enumerate(template.active_items, 1):
        item_rows = [r for r in rows if r.group == item]
        cols = item_rows[0].columns
        head = [[HtmlCell("信息内容", "th", scope="col"),
                 *(HtmlCell(c.heading, "th", scope="col") for c in cols)]]
        body = []
        for r in item_rows:
            body.append([HtmlCell(r.item_label, "th", scope="row"),
                         *(_value_cell(report, f"active.{r.id}.{c.id}", c, marks)
                           for c in cols)])
            for e in report.extra_rows:
                if e.table == "active" and e.parent == r.id:
                    body.append([HtmlCell(f"其中：{e.label}", "th", scope="row", cls="sub"),
                                 *(_extra_cell(e.values.get(c.id), c,
                                               f"active.{e.label}.{c.id}", marks) for c in cols)])
        tables.append(HtmlTable(f"table-active-{n}", item, head, body, cls="form form-active"))
    return tables


def apply_table(report: Report, marks) -> HtmlTable:
    """Table 三 with the form's merged header and grouped row labels."""
    template = cat.load().template(report.template)
    rows = template.table_rows("apply")
    columns = rows[0].columns
    natural, *orgs, total = columns
    head = [
        [HtmlCell(APPLY_NOTE, "td", colspan=3, rowspan=3, cls="corner"),
         HtmlCell("申请人情况", "th", colspan=len(columns), scope="colgroup")],
        [HtmlCell(natural.label, "th", rowspan=2, scope="col"),
         HtmlCell("法人或其他组织", "th", colspan=len(orgs), scope="colgroup"),
         HtmlCell(total.label, "th", rowspan=2, scope="col")],
        [HtmlCell(c.label, "th", scope="col") for c in orgs],
    ]

    def values(r):
        return [_value_cell(report, f"apply.{r.id}.{c.id}", c, marks) for c in columns]

    body = []
    for r in rows:
        if r.id in TOP_ROWS:
            body.append([HtmlCell(r.label, "th", colspan=3, scope="row"), *values(r)])
    outcomes = [r for r in rows if r.id not in TOP_ROWS + BOTTOM_ROWS]
    group_sizes: dict[str | None, int] = {}
    for r in outcomes:
        if r.group:
            group_sizes[r.group] = group_sizes.get(r.group, 0) + 1
    seen: set[str] = set()
    for i, r in enumerate(outcomes):
        line: list[HtmlCell] = []
        if i == 0:
            line.append(HtmlCell("三、本年度办理结果", "th", rowspan=len(outcomes), scope="rowgroup",
                                 cls="outcomes"))
        if r.group:  # the label columns' classes place them when they stay in view (site.css)
            if r.group not in seen:
                seen.add(r.group)
                line.append(HtmlCell(r.group, "th", rowspan=group_sizes[r.group], scope="rowgroup",
                                     cls="group"))
            line.append(HtmlCell(r.item_label, "th", scope="row", cls="item"))
        else:
            line.append(HtmlCell(r.label, "th", colspan=2, scope="row", cls="outcome"))
        body.append(line + values(r))
    for r in rows:
        if r.id in BOTTOM_ROWS:
            body.append([HtmlCell(r.label, "th", colspan=3, scope="row"), *values(r)])
    return HtmlTable("table-apply", cat.TABLE_TITLES["apply"], head, body, cls="form form-apply",
                     caption_hidden=True)


def appeal_table(report: Report, marks) -> HtmlTable:
    """Table 四: 行政复议 and the two 行政诉讼 groups side by side, one row of 15 numbers."""
    template = cat.load().template(report.template)
    rows = template.table_rows("appeal")
    columns = rows[0].columns
    review = [r for r in rows if not r.group]
    suits = [r for r in rows if r.group]
    suit_group = suits[0].group if suits else "行政诉讼"
    head = [
        [*(HtmlCell(r.label, "th", colspan=len(columns), scope="colgroup") for r in review),
         HtmlCell(suit_group, "th", colspan=len(columns) * len(suits), scope="colgroup")],
        [*(HtmlCell(c.label, "th", rowspan=2, scope="col") for _ in review for c in columns),
         *(HtmlCell(r.item_label, "th", colspan=len(columns), scope="colgroup") for r in suits)],
        [HtmlCell(c.label, "th", scope="col") for _ in suits for c in columns],
    ]
    body = [[_value_cell(report, f"appeal.{r.id}.{c.id}", c, marks)
             for r in (*review, *suits) for c in columns]]
    return HtmlTable("table-appeal", cat.TABLE_TITLES["appeal"], head, body, cls="form form-appeal",
                     caption_hidden=True)


def extra_table(report: Report, marks) -> HtmlTable | None:
    """Rows the report printed that the template lacks (other than 其中 sub-rows of 表二)."""
    extras = [e for e in report.extra_rows if not (e.table == "active" and e.parent)]
    if not extras:
        return None
    c = cat.load()
    head = [[HtmlCell("表", "th", scope="col"), HtmlCell("行标题（原文）", "th", scope="col"),
             HtmlCell("数值", "th", scope="col")]]
    body = []
    labels = {col.id: col.label for col in (*c.applicant, *c.appeal)}
    for e in extras:
        shown = "；".join(f"{labels.get(k, k)} {fmt(v, group=False) or '（空白）'}"
                         for k, v in e.values.items())
        body.append([HtmlCell(cat.TABLE_TITLES.get(e.table, e.table)),
                     HtmlCell(e.label, "th", scope="row"), HtmlCell(shown)])
    return HtmlTable("table-extra", "模板之外的行（按原文保留）", head, body, cls="plain")


def form_tables(report: Report) -> dict[str, list[HtmlTable]]:
    """table name → HTML tables for one report (表二 is several small tables)."""
    marks = cell_marks(report)
    out = {"active": active_tables(report, marks), "apply": [apply_table(report, marks)],
           "appeal": [appeal_table(report, marks)]}
    extra = extra_table(report, marks)
    if extra:
        out["extra"] = [extra]
    return out
