"""Both templates, both text layouts, read back cell by cell; rules checked."""

from __future__ import annotations

import json

import pytest

from bench.synth import report
from nianbao import catalogue as cat
from nianbao.discover import source_for
from nianbao.extract import extract
from nianbao.jsonout import dumps
from tests.conftest import extract_json, rule_of


def _write(tmp_path, text, name="report.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("template", ["2019", "2021"])
@pytest.mark.parametrize("layout", ["cells", "rows"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_round_trip(tmp_path, template, layout, seed):
    synth = report(seed, template, layout, broken=False)
    got = extract_json(_write(tmp_path, synth.text))
    assert got["template"] == template
    assert got["year"] == synth.year
    assert got["agency"] == synth.agency
    assert got["region"]["code"] == synth.region_code
    assert len(got["values"]) == len(cat.load().template(template).fields)
    assert got["values"] == json.loads(dumps(synth.values))
    assert not [p for p in got["problems"] if p["severity"] != "info"]


def test_2021_template_detected_from_labels_not_year(tmp_path):
    synth = report(5, "2021", "cells", broken=False)
    text = synth.text.replace(f"{synth.year}年", "2020年")  # a 2021 form in a 2020 report
    got = extract_json(_write(tmp_path, text))
    assert got["template"] == "2021" and got["year"] == 2020
    assert "apply.other_no_fee.legal" in got["values"]
    assert "active.procurement.amount" not in got["values"]


def test_broken_rule_names_rule_cells_and_both_sides(tmp_path):
    synth = report(7, "2019", "cells", broken=True)
    got = extract_json(_write(tmp_path, synth.text))
    broken = [p for p in got["problems"] if p["code"] == "rule-broken"]
    assert {rule_of(p) for p in broken} == {"apply-row-total", "apply-results-total",
                                            "apply-balance"}
    total = synth.values["apply.total.total"]
    row_total = next(p for p in broken if rule_of(p) == "apply-row-total")
    # the row and its cells by their printed names, both sides with their sums
    assert row_total["message"].startswith(f"表三“（七）总计”一行：总计({total})，但 自然人(")
    assert row_total["message"].endswith(f" = {total - 1}（apply-row-total）")
    assert "apply." not in row_total["message"]  # no field IDs: readers do not know them
    assert "收到和处理" in row_total["where"]
    assert got["values"]["apply.total.total"] == total  # published as printed


def test_mixed_template_keeps_printed_other_row(tmp_path):
    """A 2021 report printing the 2019 single （六）其他处理 row (spec: handle explicitly)."""
    synth = report(11, "2021", "cells", broken=False)
    c = cat.load()
    cols = [col.id for col in c.applicant]
    merged = {col: sum(synth.values[f"apply.{r}.{col}"] for r in
                       ("other_no_supplement", "other_no_fee", "other_misc")) for col in cols}
    lines = synth.text.split("\n\n")
    start = next(i for i, b in enumerate(lines) if "逾期不补正" in b)
    replacement = "\t\n\t（六）其他处理\n" + "\n".join(f"\t{merged[c]}" for c in cols)
    lines[start:start + 3] = [replacement]
    got = extract_json(_write(tmp_path, "\n\n".join(lines)))
    assert got["template"] == "2021"
    assert all(got["values"][f"apply.other_misc.{c}"] is None for c in cols)
    extra = [e for e in got["extra_rows"] if e["table"] == "apply"]
    assert extra and extra[0]["values"] == merged
    codes = {p["code"] for p in got["problems"]}
    assert "mixed-template" in codes
    assert "rule-broken" not in codes  # the printed row stands in for the three sub-rows


def test_rows_found_by_label_not_position(tmp_path):
    """Swapping two rows of table 三 must not move their numbers to other fields."""
    synth = report(13, "2019", "rows", broken=False)
    lines = synth.text.split("\n")
    a = next(i for i, ln in enumerate(lines) if "重复申请" in ln)
    b = next(i for i, ln in enumerate(lines) if "信访举报投诉类申请" in ln)
    lines[a], lines[b] = lines[b], lines[a]
    got = extract_json(_write(tmp_path, "\n".join(lines)))
    assert got["values"] == json.loads(dumps(synth.values))


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_pipe_tables(tmp_path, template):
    """Markdown pipe tables, as PDF-to-Markdown converters write them."""
    synth = report(3, template, "rows", broken=False)
    lines = []
    for line in synth.text.split("\n"):
        cells = line.split("\t")
        lines.append(f"| {' | '.join(cells)} |" if len(cells) > 1 else line)
        if cells[0] == "信息内容":
            lines.append("|" + "---|" * len(cells))
    got = extract_json(_write(tmp_path, "\n".join(lines), "report.md"))
    assert got["template"] == template
    assert got["values"] == json.loads(dumps(synth.values))


def test_rule_messages_name_cells_as_the_form_prints_them():
    """Problems are read on the report's page by people who know the form, not its IDs."""
    from nianbao import check
    from nianbao.model import Report

    template = cat.load().template("2019")
    report = Report(source=None, template="2019", values={f: 0 for f in template.field_ids})
    report.values["active.licensing.decisions"] = -3
    report.values["apply.withheld_law.research"] = None
    check.check(report)
    messages = {p.rule: p.message for p in report.problems}
    assert messages["non-negative"] == (
        "表二第二十条第（五）项“行政许可”行的“处理决定数量”为 -3，不应为负数（non-negative）")
    assert messages["apply-results-total"] == (
        "有 1 个相关单元格为空，部分等式无法校验：表三“（三）不予公开 2.其他法律行政法规禁止公开”行"
        "的科研机构列（apply-results-total）")


def test_a_missing_table_names_the_cells_it_leaves_blank(tmp_path):
    """problems.csv's cells are field IDs, whatever the problem: a researcher filters the
    data by them. A report without table 四 names all fifteen of its fields."""
    synth = report(7, "2019", "cells", broken=False)
    start = synth.text.index("四、政府信息公开行政复议")
    text = synth.text[:start] + synth.text[synth.text.index("五、", start):]
    got = extract_json(_write(tmp_path, text))
    template = cat.load().template("2019")
    appeal = [f.id for f in template.fields if f.table == "appeal"]
    assert all(got["values"][f] is None for f in appeal)
    found = extract(source_for(tmp_path / "report.txt"))
    missing = [p for p in found.problems if p.code == "table-missing"]
    assert len(missing) == 1 and missing[0].cells == appeal


def test_a_label_naming_two_rows_names_neither(tmp_path):
    """Two labels run together (a row left empty, its label read into the next row's, as a
    PDF without ruling lines may give it) start like the first: the numbers are the second
    row's, so the approximate match that takes a label for the row it starts must not."""
    text = report(0, layout="cells", broken=False).text
    row = "\n\t3.危及“三安全一稳定”\n\t0\n\t0\n\t4\n\t0\n\t0\n\t0\n\t4\n\n\t\n\t\n\t4.保护第三方合法权益\n"
    assert row in text
    path = tmp_path / "report.txt"
    path.write_text(text.replace(row, "\n\t3.危及“三安全一稳定”4.保护第三方合法权益\n"), encoding="utf-8")
    got = extract_json(path)
    assert got["values"]["apply.withheld_three_safety.total"] is None
    assert got["values"]["apply.withheld_third_party.total"] is None
    assert "row-unknown" in {p["code"] for p in got["problems"]}


def test_a_label_numbered_otherwise_is_not_the_row(tmp_path):
    """"2.其他法律行政法规禁止公开" cut short to "2.其他" (its rest read as a row of its own)
    is not （六）'s "3.其他": a label's own number must agree with the row's. Before, it took
    3.其他's place, and the real 3.其他, read second, was dropped as a duplicate."""
    synth = report(1, layout="cells", broken=False)
    assert synth.template == "2021"
    path = tmp_path / "report.txt"
    path.write_text(synth.text.replace("\t2.其他法律行政法规禁止公开\n", "\t2.其他\n"), encoding="utf-8")
    got = extract_json(path)
    misc = {f: v for f, v in synth.values.items() if f.startswith("apply.other_misc.")}
    assert {f: got["values"][f] for f in misc} == json.loads(dumps(misc))
    assert all(got["values"][f] is None for f in got["values"] if f.startswith("apply.withheld_law."))


def test_a_row_printed_twice_with_other_numbers_stays_blank(tmp_path):
    """Which of two printings is the row's cannot be told: blank, with an error. The same
    numbers twice are one row."""
    synth = report(1, layout="cells", broken=False)
    row = "\t3.危及“三安全一稳定”\n\t0\n\t0\n\t9\n\t0\n\t0\n\t0\n\t9\n"
    assert row in synth.text
    for again, read in ((row, 9), (row.replace("\t9\n", "\t7\n"), None)):
        path = tmp_path / "report.txt"
        path.write_text(synth.text.replace(row, row + "\n\t\n\t\n" + again), encoding="utf-8")
        got = extract_json(path)
        assert got["values"]["apply.withheld_three_safety.total"] == read
        dup = next(p for p in got["problems"] if p["code"] == "row-duplicated")
        assert dup["severity"] == ("warning" if read is not None else "error")


def test_sub_rows_followed_by_a_row_nobody_knows_are_not_summed(tmp_path):
    """其他对外管理服务事项 printed as sub-rows sums them, unless a row no one knows comes right
    under them: it may be one of them too (its group label lost, as in a PDF without lines),
    and a sum without it would be wrong. The fields stay blank, with a problem."""
    synth = report(0, layout="cells", broken=False)
    row = "\t其他对外管理服务事项\n\t0\n\t0\n\t0\n"
    assert row in synth.text
    subs = "\t其他对外管理服务事项\n\t行政检查\n\t3\n\t0\n\t3\n\n\t\n\t行政确认\n\t1\n\t1\n\t2\n"
    for after, read in (("", 4), ("\n\t行政备案\n\t5\n\t0\n\t5\n", None)):
        path = tmp_path / "report.txt"
        path.write_text(synth.text.replace(row, subs + after), encoding="utf-8")
        got = extract_json(path)
        assert got["values"]["active.other_services.prev"] == read
        assert ("sub-rows-incomplete" in {p["code"] for p in got["problems"]}) == (read is None)
