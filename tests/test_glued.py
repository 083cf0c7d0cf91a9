"""Text copied from a web page, cell boundaries lost: recovered only where one split fits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.synth import report
from nianbao.discover import source_for
from nianbao.extract import extract
from nianbao.jsonout import dumps
from nianbao.recover import splits
from tests.conftest import extract_json, rule_of

WEB = Path(__file__).parent / "corpus" / "web-text"


def test_splits_use_digit_count_and_no_leading_zeros():
    assert splits("3000003", 7) == [["3", "0", "0", "0", "0", "0", "3"]]
    assert splits("0 0 0 0 0 00", 7) == [["0"] * 7]
    assert sorted(splits("4500", 3)) == [["4", "50", "0"], ["45", "0", "0"]]
    assert splits("0 00000", 7) == []  # six digits for seven cells: not recoverable
    assert ["221", "26.8"] in splits("22126.8", 2, decimal=True)


@pytest.mark.parametrize("path", sorted(WEB.glob("*.txt")), ids=lambda p: p.name)
def test_real_web_pages_never_crash_and_never_zero_fill(path):
    got = extract_json(path)
    codes = {p["code"] for p in got["problems"]}
    assert "internal-error" not in codes
    if "EMPTYBODY" in path.name:
        assert "no-tables" in codes and got["template"] is None
        return
    assert got["template"] in ("2019", "2021") and got["agency"].startswith("平潭综合实验区")
    assert "cells-glued" in codes
    assert "header-missing" not in codes  # the headers were there, glued: cells-glued says so
    ambiguous = [p for p in got["problems"] if p["code"] == "cells-ambiguous"]
    for p in ambiguous:  # every ambiguous row stays blank
        row = re.search(r"“(.+?)”一行", p["message"]).group(1)
        assert row and "留空" in p["message"]
    # each names the line its table is on, and the table (they named neither)
    lines = [i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "第二十条" in text]
    for p in got["problems"]:
        if p["code"] in ("cells-glued", "cells-ambiguous"):
            at = re.search(r":(\d+)(?: |$)", p["where"])
            assert at and int(at.group(1)) in lines, p
            if p["code"] == "cells-ambiguous":
                assert re.search(r" 表[二三四]（单元格边界丢失）$", p["where"]), p


def test_recovered_values_and_self_contradiction_kept():
    got = extract_json(WEB / "dept_jjf_2024_97025_page.txt")
    assert got["template"] == "2021" and got["year"] == 2024
    assert got["values"]["apply.new.natural"] == 3 and got["values"]["apply.new.total"] == 3
    assert got["values"]["apply.unable_not_held.total"] == 3
    assert got["values"]["active.rules.issued"] == 0
    assert got["values"]["active.normative.issued"] is None  # 1129: three splits fit
    msg = next(p["message"] for p in got["problems"] if p["code"] == "cells-ambiguous")
    assert "1129" in msg and "1 12 9" in msg
    broken = [p for p in got["problems"] if p["code"] == "rule-broken"]
    assert {rule_of(p) for p in broken} == {"apply-balance", "apply-results-total"}


def test_too_few_digits_are_not_called_glued(tmp_path):
    """政府集中采购 printed one number, "2", for its two cells: the message says there are
    too few digits to place, not that two numbers ran together."""
    text = (WEB / "dept_czj_2020_80589_page.txt").read_text(encoding="utf-8")
    path = tmp_path / "czj.txt"
    path.write_text(text.replace("2笔 984361元", "2"), encoding="utf-8")
    got = extract_json(path)
    msg = next(p["message"] for p in got["problems"] if p["code"] == "cells-ambiguous"
               and "政府集中采购" in p["message"])
    assert "“2”少于该行应有的 2 格" in msg and "粘连" not in msg
    assert got["values"]["active.procurement.items"] is None


def test_prose_of_a_glued_page_reads_in_its_sections():
    """The web page's text is one line, headings, prose and tables run together: its six
    parts come back as sections, a table part's words up to its table (no cell text), the
    （一）（二）… of a part as paragraphs, and the date it is signed."""
    got = extract(source_for(WEB / "dept_jjf_2024_97025_page.txt"))
    sections = {s.number: s for s in got.sections}
    assert list(sections) == ["一", "二", "三", "四", "五", "六"]
    assert sections["四"].title == "政府信息公开行政复议与行政诉讼情况"
    assert sections["二"].markdown == ("2024年，主动公开政府信息124条，涵盖政策及规范性文件类11条、"
                                      "重大建设项目信息类35条、科教文体卫生类3条、其他应主动公开的政府信息75条。")
    assert sections["三"].markdown == "2024年，共收到政府信息公开申请3条。"
    assert sections["四"].markdown == "2024年，没有政府信息公开行政复议及行政诉讼情况。"
    assert sections["一"].markdown.count("\n\n（") == 3  # （一）（二）（三）
    assert got.signed == "2025-01-27"
    assert got.values["apply.new.natural"] == 3  # the tables as before


@pytest.mark.parametrize(("name", "signed"), [
    ("dept_czj_2020_80589_page.txt", "2021-01-27"),  # "… 2021年1月27日 附件下载"
    ("dept_czj_2021_80600_page.txt", "2022-01-13"),  # after part 五's last sentence
    ("dept_hzs_2019_80575_page.txt", "2020-01-02"),  # "无平潭…局 2020年1月2日 附件下载"
    ("dept_jjf_2019_80565_page.txt", "2020-01-02"),
    ("dept_jjf_2020_80578_page.txt", "2021-01-26"),  # not the 2020年1月26日 it was 印发
    ("dept_gwh_2019_80577_page.txt", None),  # no signature printed
])
def test_the_signature_date_is_found_before_what_the_web_page_adds(name, signed):
    """A journalist's review: five of nine 平潭 pages had no 落款日期, though each prints
    one. The page's text runs together, so the date stands after the last sentence of a
    long paragraph, and the page adds "附件下载" and the issuing office's "…办公室 2021年1
    月26日印发" after it."""
    assert extract(source_for(WEB / name)).signed == signed


def test_an_issuing_offices_line_run_together_is_not_the_signature():
    from nianbao.model import Document, Paragraph
    from nianbao.prose import signature_date

    doc = Document([Paragraph("无平潭综合实验区经济发展局2020年1月2日平潭综合实验区经济发展局办公室"
                              "2020年1月26日印发附件下载", 1)])
    assert signature_date(doc) == "2020-01-02"


def _glue(text: str) -> str:
    """Flatten a report's tables the way a web page copy does: cells run together."""
    out = re.sub(r"\n\t", "", text)
    return re.sub(r"\n{2,}(?=\S)", "\n", out)


@pytest.mark.parametrize("seed", range(12))
def test_glued_synthetic_reports_are_exact_or_blank(tmp_path, seed):
    synth = report(seed, layout="cells", broken=False)
    path = tmp_path / "glued.txt"
    path.write_text(_glue(synth.text), encoding="utf-8")
    got = extract_json(path)
    assert got["template"] == synth.template
    expected = json.loads(dumps(synth.values))
    blank = {c for p in got["problems"] if p["code"] == "cells-ambiguous"
             for c in _cells(got, p)}
    for field_id, value in expected.items():
        if got["values"][field_id] is None:
            assert field_id in blank or field_id.startswith("appeal"), field_id
        else:
            assert got["values"][field_id] == value, field_id


def _cells(got, problem):
    row = re.search(r"“(.+?)”一行", problem["message"]).group(1)
    return [f for f in got["values"] if row == "表四" and f.startswith("appeal")
            or _row_label_matches(f, row)]


def _row_label_matches(field_id, row_label):
    from nianbao import catalogue as cat

    table, row_id, _ = field_id.split(".")
    for template in cat.load().templates.values():
        row = template.row(table, row_id)
        if row and row.label == row_label:
            return True
    return False


def _glued_synth(tmp_path, edit) -> dict:
    """Synthetic report 0, glued, with one edit to its text: what the extractor reads."""
    text = edit(_glue(report(0, layout="cells", broken=False).text))
    path = tmp_path / "glued.txt"
    path.write_text(text, encoding="utf-8")
    return extract_json(path)


@pytest.mark.parametrize(("printed", "read"), [("1,024", 1024), ("1，024", 1024),
                                                 ("1,02", None), ("3,2", None)])
def test_a_thousands_separator_is_read_and_any_other_comma_is_no_number(tmp_path, printed, read):
    """A PDF's text of a table without ruling lines keeps spaces between cells: "1,024" is
    1024, never the 1 before the comma; "1,02" is no number, so the row is blank (reported)."""
    got = _glued_synth(tmp_path, lambda t: t.replace("行政许可0-10\n", f"行政许可0 -1 {printed}\n"))
    assert got["values"]["active.licensing.decisions"] == read
    if read is None:
        assert got["values"]["active.licensing.prev"] is None
        assert "row-missing" in {p["code"] for p in got["problems"]}


def test_numbers_below_their_label_after_numbers_nobody_read_stay_blank(tmp_path):
    """A PDF whose narrow cells wrap their numbers ("171" as "17" over "1") leaves, around a
    label, lines of number pieces: the line under the label holds as many pieces as the row
    has cells, and would pass for its numbers. Numbers nobody read just above say the cells
    came apart: the row stays blank, with a problem naming why."""
    got = _glued_synth(tmp_path, lambda t: t.replace(  # as a 14 pt PDF of seed 002 prints it
        "1.信访举报投诉类申请0000000\n2.重复申请0090009\n",
        "1.信访举报投诉16 16 16 16 16 16 98\n类申请1 2 3 4 5 6 1\n17 17 17 17 17 17 10\n"
        "2.重复申请\n1 2 3 4 5 6 41\n"))
    row = [f"apply.rejected_duplicate.{c}" for c in
           ("natural", "commercial", "research", "social", "legal", "other_org", "total")]
    assert all(got["values"][f] is None for f in row)
    problem = next(p for p in got["problems"] if p["code"] == "cells-ambiguous"
                   and "重复申请" in p["message"])
    assert "不属于任何行的数字" in problem["message"]
    assert got["values"]["apply.rejected_publication.total"] == 2  # the rows around still read


def test_the_next_labels_number_is_no_cell(tmp_path):
    """A PDF's text keeps spaces between cells. When the next label is worded other than the
    form's, the text after a row's numbers runs on into its "1.": that is the label's
    number, not a cell, even when the row lacks a number and "1" would make up the count."""
    got = _glued_synth(tmp_path, lambda t: t.replace(
        "8.属于行政查询事项0000000\n（四）无法提供1.本机关不掌握相关政府信息0000000\n",
        "8.属于行政查询事项0 0 0 0 0 0\n1.本机关不掌握有关的政府信息0 0 0 0 0 0 0\n"))
    row = [f"apply.withheld_query.{c}" for c in
           ("natural", "commercial", "research", "social", "legal", "other_org", "total")]
    assert [got["values"][f] for f in row] == [None] * 7  # six numbers for seven cells


def test_numbers_on_two_lines_are_no_row(tmp_path):
    """Numbers a narrow cell wrapped come out on two lines after the label; seven of them
    would pass for the row's seven cells."""
    got = _glued_synth(tmp_path, lambda t: t.replace(
        "\n2.重复申请0090009\n", "\n2.重复申请 1 1 1 1 1 1\n7 7 7 7 7 7 4\n"))
    assert got["values"]["apply.rejected_duplicate.total"] is None
    problem = next(p for p in got["problems"] if p["code"] == "cells-ambiguous"
                   and "重复申请" in p["message"])
    assert "印在两行上" in problem["message"]


def test_a_bare_label_never_takes_the_last_digit_before_it(tmp_path):
    """Labels printed without their numbers: 信访举报投诉类申请 (the form's "1.信访…") right
    after "… 921" must not take that 1 for its number, leaving the row above "… 92"."""
    got = _glued_synth(tmp_path, lambda t: t.replace(
        "3.补正后申请内容仍不明确0000000\n（五）不予处理1.信访举报投诉类申请0000000\n",
        "3.补正后申请内容仍不明确0 0 0 0 0 921 921\n信访举报投诉类申请0 0 0 0 0 0 0\n"))
    assert got["values"]["apply.unable_unclear.total"] in (921, None)
    assert got["values"]["apply.unable_unclear.other_org"] in (921, None)


@pytest.mark.parametrize(("printed", "items", "amount"), [
    ("2笔 984361元", 2, 98.4361),  # as 平潭财政金融局 2020 prints it
    ("2 984361元", 2, 98.4361),
    ("2笔984361元", 2, 98.4361),
    ("2 笔 98.4361 万元", 2, 98.4361),
])
def test_units_in_glued_cells_are_read_as_a_printed_cell_reads_them(tmp_path, printed, items,
                                                                     amount):
    """A journalist's review: "政府集中采购 2笔 984361元" left the row blank, saying "2" was
    too few digits for two cells; "2 984361元" stored 984361 万元, 10,000 times the amount,
    with no problem. A unit closes its cell and stays with its number, as in a table."""
    text = (WEB / "dept_czj_2020_80589_page.txt").read_text(encoding="utf-8")
    assert "政府集中采购 2笔 984361元 " in text
    path = tmp_path / "czj.txt"
    path.write_text(text.replace("2笔 984361元", printed), encoding="utf-8")
    got = extract_json(path)
    assert got["values"]["active.procurement.items"] == items
    assert got["values"]["active.procurement.amount"] == amount
    assert not [p for p in got["problems"] if p["severity"] != "info"
                and p["code"] not in ("cells-glued", "region-inferred")], got["problems"]


def test_a_glued_amount_with_its_unit_is_offered_with_it():
    """"2832995元": the split is still not known, but the options shown carry the 元."""
    got = extract_json(WEB / "dept_czj_2019_80560_page.txt")
    problem = next(p for p in got["problems"] if "政府集中采购" in p["message"])
    assert "可拆分为 2 832995元；28 32995元" in problem["message"]
    assert got["values"]["active.procurement.amount"] is None


def test_an_amount_printed_in_yuan_under_wan_is_pointed_out(tmp_path):
    """Printed without its unit, 984361 in the 万元 column stands as printed (the report
    says so), but 98 亿元 in one agency's year is worth a look: a warning says what it
    would be if the report printed 元, and the page marks the cell."""
    text = (WEB / "dept_czj_2020_80589_page.txt").read_text(encoding="utf-8")
    path = tmp_path / "czj.txt"
    path.write_text(text.replace("2笔 984361元", "2 984361"), encoding="utf-8")
    got = extract_json(path)
    assert got["values"]["active.procurement.amount"] == 984361
    large = [p for p in got["problems"] if p["code"] == "amount-large"]
    assert len(large) == 1 and large[0]["severity"] == "warning"
    assert "984361 万元（98.4361 亿元）" in large[0]["message"]
    assert "若报告按元印制，应为 98.4361 万元" in large[0]["message"]
