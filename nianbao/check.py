"""The report's own arithmetic (勾稽关系), evaluated from data/rules.yaml.

A broken rule is published as printed and named with its cells and both sides; a rule
whose cells are blank is reported as unchecked, with the blank cells named, apart from the
cells it lacks because they could not be read (rule-unread, a parse problem).
"""

from __future__ import annotations

from collections import defaultdict
from fnmatch import fnmatch
from functools import cache

import yaml

from nianbao import catalogue as cat
from nianbao.catalogue import norm
from nianbao.model import Problem, Report


@cache
def rules() -> dict:
    spec_ids = [r["id"] for r in cat.load().rules]
    defined = yaml.safe_load((cat.DATA / "rules.yaml").read_text(encoding="utf-8"))
    missing = set(spec_ids) - set(defined)
    if missing:  # the spec gained a rule we do not evaluate: fail loudly, never skip
        raise RuntimeError(f"rules in the spec without an evaluation: {sorted(missing)}")
    return defined


def check(report: Report, where=lambda line, section: "") -> None:
    if not report.template:
        return
    template = cat.load().template(report.template)
    unchecked: dict[str, list[str]] = defaultdict(list)
    for rule_id, rule in rules().items():
        if "types" in rule:
            _non_negative(report, template, rule_id, rule["types"], where)
            continue
        for label, left, right in _equations(report, template, rule):
            lv, rv = left, right
            missing = [f for f, v in (*lv, *rv) if v is None]
            key = f"{rule_id}:{label}"
            if missing:
                report.checks[key] = "unchecked"
                unchecked[rule_id].extend(m for m in missing if m not in unchecked[rule_id])
                continue
            lsum, rsum = sum(v for _, v in lv), sum(v for _, v in rv)
            if lsum == rsum:
                report.checks[key] = "ok"
                continue
            report.checks[key] = "broken"
            name = _term_namer(template, rule)
            line = "一行" if rule["each"] == "row" else "一列"
            report.add(Problem(
                "rule-broken", "error",
                f"{cat.table_name(rule['table'])}“{label}”{line}：{_show(lv, lsum, name)}，"
                f"但 {_show(rv, rsum, name)}（{rule_id}）",
                where(report.lines.get(_row_key(left[0][0])), cat.TABLE_TITLES[rule["table"]]),
                rule=rule_id, cells=[f for f, _ in (*lv, *rv)], kind="report"))
    _large_amounts(report, template, where)
    # A cell is empty because the report left it blank, or because it could not be read (a
    # parse problem names it): only the first is the report's own doing.
    unread = {f for p in report.problems if p.kind == "parse" for f in p.cells}
    for rule_id, cells in unchecked.items():
        blank = [f for f in cells if f not in unread]
        lost = [f for f in cells if f in unread]
        if blank:
            report.add(Problem("rule-unchecked", "info",
                               f"有 {len(blank)} 个相关单元格为空，部分等式无法校验：{template.describe(blank)}"
                               f"（{rule_id}）",
                               where(None, ""), rule=rule_id, cells=blank, kind="report"))
        if lost:
            report.add(Problem("rule-unread", "info",
                               f"有 {len(lost)} 个相关单元格未能读出，部分等式无法校验：{template.describe(lost)}"
                               f"（{rule_id}）",
                               where(None, ""), rule=rule_id, cells=lost, kind="parse"))


# 10 亿元: an amount column is in 万元, and a report that prints 元 there without saying so
# (984361 for 98.4361 万元) passes every rule. Above this the value stands as printed, with a
# warning naming what it would be in 元: larger sums are rare in one agency's year.
LARGE_AMOUNT_WAN = 100_000


def _large_amounts(report: Report, template, where) -> None:
    for f in template.fields:
        value = report.values.get(f.id)
        if f.type == "amount_wan" and value is not None and value >= LARGE_AMOUNT_WAN:
            report.add(Problem(
                "amount-large", "warning",
                f"{cat.table_name(f.table)}{f.row.name}的“{f.column.label}”为 {value} 万元"
                f"（{value / 10000:g} 亿元），超过 {LARGE_AMOUNT_WAN // 10000} 亿元；"
                f"若报告按元印制，应为 {value / 10000:g} 万元，请核对原文",
                where(report.lines.get(_row_key(f.id)), cat.TABLE_TITLES[f.table]),
                cells=[f.id], kind="report"))


def _row_key(field_id: str) -> str:
    return ".".join(field_id.split(".")[:2])


def _expand(names, ids) -> list[str]:
    return list(_expand_cached(tuple(names), tuple(ids)))


@cache
def _expand_cached(names: tuple[str, ...], ids: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        out.extend(i for i in ids if fnmatch(i, name) and i not in out)
    return tuple(out)


def _equations(report: Report, template, rule):
    """Yield (label, left, right) with each side as [(cell name, value)]."""
    table = rule["table"]
    rows = template.table_rows(table)

    def cells(names):
        return [(n, report.values.get(n)) for n in names]

    if rule["each"] == "row":
        for row in rows:
            col_ids = [c.id for c in row.columns]
            yield (row.label,
                   cells(f"{table}.{row.id}.{c}" for c in _expand(rule["left"], col_ids)),
                   cells(f"{table}.{row.id}.{c}" for c in _expand(rule["right"], col_ids)))
        return
    row_ids = [r.id for r in rows]
    columns = rows[0].columns
    left_rows = _expand(rule["left"], row_ids)
    right_rows = _expand(rule["right"], row_ids)
    printed = None
    for pattern, label in (rule.get("substitute") or {}).items():
        subs = _expand([pattern], right_rows)
        row = next((e for e in report.extra_rows
                    if e.table == table and e.parent is None and norm(e.label) == norm(label)), None)
        if subs and row and all(report.values.get(f"{table}.{s}.{c.id}") is None
                                for s in subs for c in columns):
            right_rows = [r for r in right_rows if r not in subs]
            printed = row
    for col in columns:
        right = cells(f"{table}.{r}.{col.id}" for r in right_rows)
        if printed is not None:
            right.append((f"{table}.{printed.label}.{col.id}", printed.values.get(col.id)))
        yield col.label, cells(f"{table}.{r}.{col.id}" for r in left_rows), right


def _term_namer(template, rule):
    """A term of the rule's equation by its printed name: a column's, when the rule adds up
    a row; a row's, when it adds up a column (a printed row standing in: its own label)."""
    def name(field_id: str) -> str:
        f = template.field_map.get(field_id)
        if f is None:
            return field_id.split(".")[1]
        return f.column.label if rule["each"] == "row" else f.row.short_label
    return name


def _show(side, total, name) -> str:
    terms = " + ".join(f"{name(f)}({v})" for f, v in side)
    return terms if len(side) == 1 else f"{terms} = {total}"


def _non_negative(report: Report, template, rule_id, types, where) -> None:
    for f in template.fields:
        value = report.values.get(f.id)
        if f.type in types and value is not None and value < 0:
            report.checks[f"{rule_id}:{f.id}"] = "broken"
            report.add(Problem("rule-broken", "error",
                               f"{cat.table_name(f.table)}{f.row.name}的“{f.column.label}”为 {value}，"
                               f"不应为负数（{rule_id}）",
                               where(report.lines.get(_row_key(f.id)), cat.TABLE_TITLES[f.table]),
                               rule=rule_id, cells=[f.id], kind="report"))


def satisfied(template_id: str, values: dict) -> bool:
    """True when every equation whose cells are all present holds: how splits are judged."""
    probe = Report(source=None, template=template_id, values=values)
    template = cat.load().template(template_id)
    for rule in rules().values():
        if "types" in rule:
            continue
        for _, left, right in _equations(probe, template, rule):
            cells = [v for _, v in (*left, *right)]
            if all(v is not None for v in cells) and \
                    sum(v for _, v in left) != sum(v for _, v in right):
                return False
    return True
