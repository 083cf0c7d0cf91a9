"""`build.py extract --show`: one file as a maintainer debugging it wants to read it.

The JSON of `extract` is the contract; it does not say what the reader saw. When a
report's numbers come out wrong, the question is first whether the reader split its
tables wrongly (a merged cell, a row cut by a page break) or the parser matched them
wrongly: this prints the document model the parser was given, table grids in full, then
what the parser made of it and every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from nianbao.model import SEVERITY_ORDER, Document, Paragraph, Report
from nianbao.package import blank_reasons
from nianbao.site_text import place, place_unit, region_text

PARAGRAPH_WIDTH = 60  # characters of a paragraph shown; tables are shown whole


def show(report: Report, doc: Document | None, error: str = "") -> Iterator[str]:
    unit = place_unit(report.format)
    yield f"== {report.source.rel}（{report.format}{'，' + doc.encoding if doc and doc.encoding else ''}）"
    yield from _identity(report)
    yield ""
    if doc is None:
        yield f"读不出内容：{error}"
    else:
        yield "读出的内容（解析器看到的段落与表格；每个格子用 │ 分隔，〃 为合并单元格延续的格）："
        tables = 0
        for block in doc.blocks:
            if isinstance(block, Paragraph):
                text = " ".join(block.text.split())
                if text:
                    cut = text[:PARAGRAPH_WIDTH] + ("…" if len(text) > PARAGRAPH_WIDTH else "")
                    yield f"  {unit} {block.line:<5} {cut}"
                continue
            tables += 1
            width = max((len(r) for r in block.rows), default=0)
            yield f"  {unit} {block.line:<5} ┌ 表格 {tables}：{len(block.rows)} 行 × {width} 格"
            for line, row in zip(block.row_lines, block.rows):
                cells = " │ ".join("〃" if c.spanned else " ".join(c.text.split()) for c in row)
                yield f"  {unit} {line:<5} │ {cells}"
        if not tables:
            yield "  （读出器没有读出表格；若正文里的表格丢失了单元格边界，解析器会尝试按行标签恢复，见下方问题）"
    yield ""
    yield from _values(report)
    yield ""
    problems = sorted(report.problems, key=lambda p: SEVERITY_ORDER.get(p.severity, 3))
    yield f"问题（{len(problems)} 个）：" if problems else "问题：无"
    for p in problems:
        at = place(p.where, report)
        yield f"  {p.severity:<7} {p.code:<20} {at + '：' if at else ''}{p.message}"


def _identity(report: Report) -> Iterator[str]:
    region = "（未识别）" if report.region.province is None else \
        f"{region_text(report)} {report.region.code or ''}".rstrip()
    yield (f"机关：{report.agency or '（未识别）'}"
           + (f"（{report.agency_id}）" if report.agency_id else "") + f" · 地区：{region}")
    yield (f"年度：{report.year or '（未识别）'} · 模板：{report.template or '（未识别）'}"
           f" · {'发布' if report.publishable else '不发布（未能识别机关、年度或模板）'}")


def _values(report: Report) -> Iterator[str]:
    if not report.template:
        yield "字段：没有读出（模板未识别）"
        return
    values = report.values
    filled = sum(v is not None for v in values.values())
    blank = Counter(blank_reasons(report).values())
    detail = "，".join(f"{code} {n}" for code, n in blank.most_common())
    yield (f"字段：{len(values)} 个，有数值 {filled} 个，空白 {len(values) - filled} 个"
           + (f"（{detail}）" if detail else "")
           + (f"；报告自行增加的行 {len(report.extra_rows)} 行" if report.extra_rows else ""))
    broken = sorted(rule for rule, state in report.checks.items() if state == "broken")
    yield f"勾稽关系：{len(report.checks)} 项，不符 {len(broken)} 项" + (
        f"（{'、'.join(broken[:8])}{' 等' if len(broken) > 8 else ''}）" if broken else "")
