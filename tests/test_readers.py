"""The PDF, OFD, Word, HTML and Markdown readers: every format of a report gives the values its
text gives.

Fixtures are committed (tests/fixtures/generated/, written by make_fixtures.py there, and
tests/fixtures/shared/, copied from shared/fixtures), so only the .doc conversion test
needs LibreOffice at test time; it is skipped without it.
"""

from __future__ import annotations

import io
import json
import logging
import random
import re
import shutil
import zipfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from nianbao import catalogue as cat
from nianbao import prose, readers
from nianbao.discover import source_for
from nianbao.extract import extract
from nianbao.model import Cell, Document, Paragraph, Table
from nianbao.readers import ReadError, reader_for
from nianbao.readers.docx import DocReader, DocxReader, libreoffice
from nianbao.readers.html import HtmlReader, decode_html
from nianbao.readers.ofd import OfdReader
from nianbao.readers.pdf import PdfReader
from nianbao.readers.text import TextReader, decode, utf16_variant
from tests.conftest import ROOT, TRUTH, extract_json

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED = FIXTURES / "generated"
SHARED = FIXTURES / "shared"
MANIFEST = json.loads((GENERATED / "manifest.json").read_text(encoding="utf-8"))
TRUTH_2021 = json.loads((GENERATED / "ningbo-yinzhou-shangwuju-2021.truth.json")
                        .read_text(encoding="utf-8"))
TONGZHOU_TEXT = ROOT / "content" / "reports" / "2020" / "beijing-tongzhou-shangwuju-2020.txt"


@cache
def extracted(path: Path) -> dict:
    return extract_json(path)


def truth_for(name: str) -> dict:
    """The seeds' truth (tests/truth), or the 2021 report's, written with its fixtures."""
    truth = MANIFEST[name]["truth"]
    path = TRUTH / truth if (TRUTH / truth).exists() else GENERATED / truth
    return json.loads(path.read_text(encoding="utf-8"))


def _matches(expected, got) -> bool:
    if isinstance(expected, dict):  # {"any_of": [...]}: the printed text cannot decide
        return any(got == option and type(got) is type(option) for option in expected["any_of"])
    if expected is None:
        return got is None
    return got == expected and not isinstance(got, bool)


def _same_values(name: str, got: dict) -> None:
    """Cell by cell as the text of the same report, and as the truth."""
    ref = extracted(ROOT / MANIFEST[name]["text"])
    truth = truth_for(name)
    assert set(got["values"]) == set(ref["values"])
    wrong = {k: (ref["values"][k], v) for k, v in got["values"].items()
             if not isinstance(truth["values"][k], dict) and v != ref["values"][k]}
    assert not wrong, wrong
    untrue = {k: (v, got["values"][k]) for k, v in truth["values"].items()
              if not _matches(v, got["values"][k])}
    assert not untrue, untrue
    for key in ("agency", "year", "template"):
        assert got[key] == ref[key], key


ALL = sorted(n for n, info in MANIFEST.items() if "needs" not in info)


# ---------------------------------------------------------------- every fixture, every format


@pytest.mark.parametrize("name", ALL)
def test_every_format_gives_the_values_of_the_text(name):
    got = extracted(GENERATED / name)
    _same_values(name, got)
    assert not [p for p in got["problems"] if p["code"] in ("internal-error", "cells-misaligned",
                                                              "row-unknown", "label-approximate")]


def test_both_templates_and_every_format_are_covered():
    templates = {truth_for(n)["template"] for n in ALL}
    suffixes = {Path(n).suffix for n in ALL}
    assert templates == {"2019", "2021"}
    assert {".docx", ".pdf", ".ofd", ".html", ".txt"} <= suffixes
    encodings = {readers.read(GENERATED / n).encoding for n in ALL if n.endswith(".html")}
    assert {"utf-8", "gb18030", "utf-16"} <= encodings


def test_2021_report_every_field():
    for name in ALL:
        if MANIFEST[name]["truth"].startswith("ningbo"):
            got = extracted(GENERATED / name)["values"]
            assert got["active.fees.amount"] == 26.8  # printed "26.8万元"
            assert got["active.licensing.decisions"] == 1024  # printed "1,024"
            assert got["apply.new.natural"] == TRUTH_2021["values"]["apply.new.natural"]  # full width
            assert got["active.rules.issued"] is None  # blank, not 0
            assert len(got) == 200


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice is not installed")
def test_legacy_doc_is_converted():
    name = "ningbo-yinzhou-shangwuju-2021-a.doc"
    assert reader_for(GENERATED / name) is DocReader
    got = extract_json(GENERATED / name)
    _same_values(name, got)


def test_legacy_doc_without_libreoffice(monkeypatch):
    monkeypatch.setattr("nianbao.readers.docx.libreoffice", lambda: None)
    report = extract(source_for(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.doc"))
    assert [p.code for p in report.errors] == ["needs-libreoffice"]
    assert report.template is None


# ---------------------------------------------------------------- shared fixtures


@pytest.mark.parametrize("name", ["002_tongzhou_2020.docx", "002_tongzhou_2020.pdf"])
def test_shared_tongzhou_as_its_text(name):
    got = extracted(SHARED / name)
    ref = extracted(TONGZHOU_TEXT)
    assert got["values"] == ref["values"]
    assert got["extra_rows"] == ref["extra_rows"]
    assert (got["agency"], got["year"], got["template"]) == (ref["agency"], ref["year"],
                                                             ref["template"])


@pytest.mark.parametrize("name", ["002_tongzhou_2020_numbered.docx",
                                  "002_tongzhou_2020_numbered.pdf"])
def test_shared_numbered_columns_align(name):
    expected = json.loads((SHARED / "002_tongzhou_2020_numbered.expected.json")
                          .read_text(encoding="utf-8"))
    got = extracted(SHARED / name)["values"]
    template = cat.load().template("2019")
    rows = template.table_rows("apply")
    assert len(rows) == len(expected["table3_values"])
    for row, printed in zip(rows, expected["table3_values"]):
        assert [got[f"apply.{row.id}.{c.id}"] for c in row.columns] == printed, row.id
    appeal = [got[f"appeal.{r.id}.{c.id}"] for r in template.table_rows("appeal")
              for c in r.columns]
    assert appeal == [int(x) for x in expected["table4_values"]]


@pytest.mark.parametrize(("name", "blank", "least"), [
    ("tongzhou-numbered-borderless.pdf", set(), 198),
    ("tongzhou-numbered-borderless-top.pdf", set(), 198),
    ("tongzhou-numbered-borderless-blanks.pdf", {"13", "21", "36", "52", "225", "146", "103", "112"}, 188),
    ("tongzhou-numbered-borderless-blank-rows.pdf", {"71", "72", "73", "74", "75", "76", "441",
                                                     "91", "92", "93", "94", "95", "96", "561"}, 184),
    ("tongzhou-numbered-borderless-blank-column.pdf", {str(10 * k + 3) for k in range(1, 24)}, 15),
    ("tongzhou-numbered-borderless-narrow.pdf", set(), 20),  # numbers wrap in their cells
])
def test_table_without_ruling_lines_never_moves_a_value(name, blank, least):
    """The numbered report's PDF with every cell border removed (LibreOffice's export; some
    agencies' PDFs look so), with top-aligned cells, with some cells emptied, with a row or
    a column emptied whole, with value columns so narrow that numbers wrap: a row may come
    back blank, with a problem, but a value never lands in another field."""
    printed = extracted(SHARED / "002_tongzhou_2020_numbered.docx")["values"]
    got = extracted(GENERATED / name)
    for field_id, value in got["values"].items():
        if str(printed[field_id]) in blank:
            assert value is None, field_id
        else:
            assert value is None or value == printed[field_id], field_id
    assert sum(v is not None for v in got["values"].values()) >= least  # what it still reads
    lost = [f for f, v in got["values"].items() if v is None and str(printed[f]) not in blank]
    if lost:  # says what it lost
        assert {p["code"] for p in got["problems"]} & {"row-missing", "table-missing", "cells-ambiguous"}


def test_rows_with_no_numbers_are_rows_of_their_own():
    """Rows 3 and 5 of 不予公开 emptied: their labels, alone between rows with numbers, are
    rows with no numbers (the fewest such rows that read every line), not lines of 4.保护…'s
    label; every other value is read."""
    printed = extracted(SHARED / "002_tongzhou_2020_numbered.docx")["values"]
    got = extracted(GENERATED / "tongzhou-numbered-borderless-blank-rows.pdf")
    assert "table-from-positions" in {p["code"] for p in got["problems"]}
    emptied = {"withheld_three_safety", "withheld_internal"}
    assert got["values"] == {f: None if f.split(".")[1] in emptied else v for f, v in printed.items()}
    tables = [b for b in readers.read(GENERATED / "tongzhou-numbered-borderless-blank-rows.pdf").blocks
              if isinstance(b, Table)]
    rows = {c.text: [x.text for x in row] for row in tables[1].rows for c in row}
    assert set(rows["3.危及“三安全一稳定”"][-7:]) == {""}  # its row, with empty cells


@pytest.mark.parametrize(("docx", "pdf"), [
    # LibreOffice cuts 表三 twice; a label that starts on its numbers' line goes on at the top
    # of the next page (2.其他 / 法律行政法规 / 禁止公开)
    ("zibo-zichuan-zhaoshangju-2020", "zibo-zichuan-borderless"),
    # top-aligned labels in tall rows; 其他对外管理服务事项 over 行政检查 and 行政确认; the
    # page break, and the header repeated after it, cut 4.无正 / 当理由…
    ("beijing-tongzhou-shangwuju-2020", "beijing-tongzhou-borderless"),
    # the 2021 form; line breaking carries 及“ under 3.危, and the page break cuts
    # 2.其他法 / … / 开
    ("ningbo-yinzhou-shangwuju-2021-b", "ningbo-yinzhou-borderless"),
    # the same with rules between its columns, none between its rows, and a footer's rule
    # across every page (an official document's 版记): it was one row, then no template
    ("ningbo-yinzhou-shangwuju-2021-b", "ningbo-yinzhou-vertical-rules"),
])
def test_real_layouts_without_ruling_lines(docx, pdf):
    """Real reports' Word files (the seeds' layouts) without their lines: every value is the
    Word file's."""
    printed = extracted(GENERATED / f"{docx}.docx")["values"]
    got = extracted(GENERATED / f"{pdf}.pdf")
    assert "table-from-positions" in {p["code"] for p in got["problems"]}
    assert got["values"] == printed


def test_rows_a_page_break_cut_are_rebuilt_too():
    """In the copy with eight cells emptied, the page break falls inside 表三: LibreOffice
    starts the cut row's label on its numbers' line and centres the others, and a row's
    label may be either. Every value is read; the emptied cells stay blank."""
    printed = extracted(SHARED / "002_tongzhou_2020_numbered.docx")["values"]
    got = extracted(GENERATED / "tongzhou-numbered-borderless-blanks.pdf")
    assert "table-from-positions" in {p["code"] for p in got["problems"]}
    blank = {"13", "21", "36", "52", "225", "146", "103", "112"}
    assert got["values"] == {f: None if str(v) in blank else v for f, v in printed.items()}


@pytest.mark.parametrize("name", ["tongzhou-numbered-borderless.pdf",
                                  "tongzhou-numbered-borderless-top.pdf"])
def test_table_without_ruling_lines_is_rebuilt_from_word_positions(name):
    """Numbers of one column overlap only each other, and a wrapped label is centred on its
    row's numbers (or starts on their line): the three tables come back as grids, wrapped
    labels, group labels cut by the rows' lines (其他对外管理服务 / 事项, beside two sub-rows)
    and the header words stacked in narrow columns (自然/人) joined."""
    printed = extracted(SHARED / "002_tongzhou_2020_numbered.docx")["values"]
    got = extracted(GENERATED / name)
    assert got["values"] == printed
    assert "cells-glued" not in {p["code"] for p in got["problems"]}
    noted = [p for p in got["problems"] if p["code"] == "table-from-positions"]
    assert [(p["severity"], p["message"]) for p in noted] == [  # 表二, 表三 and 表四
        ("info", "3 个表格没有框线（第 1、2 页起），单元格按文字在页面上的位置还原")]
    ruled = extracted(SHARED / "002_tongzhou_2020_numbered.pdf")  # the same with its lines
    assert "table-from-positions" not in {p["code"] for p in ruled["problems"]}
    tables = [b for b in readers.read(GENERATED / name).blocks if isinstance(b, Table)]
    assert len(tables) == 3
    assert "其他对外管理服务事项" in {c.text for row in tables[0].rows for c in row}
    labels = {c.text for row in tables[1].rows for c in row}
    assert {"（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "社会公益组织",
            "5.要求行政机关确认或重新出具已获取信息", "三、本年度办理结果", "不予公开",
            "（五）不予处理"} <= labels
    # top-aligned, 自然 stands on the line of 法人或其他组织, a heading over several columns,
    # and that line reads as headings over several: the columns then go in the form's order
    header = {p["code"] for p in got["problems"]} & {"header-unreadable", "header-missing"}
    assert ("自然人" in labels and not header) if name.endswith("borderless.pdf") else header


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("ningbo") and
                                  not n.endswith(".txt")])
def test_prose_reads_as_in_the_text(name):
    """Title, sections and signature: PDF lines joined back into the text's paragraphs."""
    text = readers.read(GENERATED / MANIFEST[name]["text"].rsplit("/", 1)[-1])
    doc = readers.read(GENERATED / name)
    assert prose.front_matter(doc) == prose.front_matter(text)
    assert prose.sections(doc) == prose.sections(text)
    assert prose.signature_date(doc) == prose.signature_date(text) == "2022-01-20"


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("name", "reader"), [
    ("beijing-tongzhou-shangwuju-2020.pdf", PdfReader),
    ("beijing-tongzhou-shangwuju-2020.docx", DocxReader),
    ("zibo-zichuan-zhaoshangju-2020.ofd", OfdReader),
    ("hangzhou-gongshu-shangwuju-2019.ofd", OfdReader),
    ("beijing-tongzhou-shangwuju-2020.utf-8.html", HtmlReader),
    ("zibo-zichuan-zhaoshangju-2020.gbk.html", HtmlReader),
    ("ningbo-yinzhou-shangwuju-2021-a.utf16.html", HtmlReader),
    ("ningbo-yinzhou-shangwuju-2021-a.doc", DocReader),
    ("ningbo-yinzhou-shangwuju-2021-a.txt", TextReader),
    ("ningbo-yinzhou-shangwuju-2021-a.utf16le.txt", TextReader),
])
@pytest.mark.parametrize("suffix", ["", ".txt", ".pdf", ".docx", ".html", ".bin"])
def test_sniffing_ignores_the_extension(tmp_path, name, reader, suffix):
    path = tmp_path / ("report" + suffix)
    shutil.copyfile(GENERATED / name, path)
    assert reader_for(path) is reader


@pytest.mark.parametrize("name", ["beijing-tongzhou-shangwuju-2020.pdf",
                                  "beijing-tongzhou-shangwuju-2020.docx",
                                  "zibo-zichuan-zhaoshangju-2020.ofd",
                                  "zibo-zichuan-zhaoshangju-2020.gbk.html"])
def test_misnamed_file_still_gives_its_values(tmp_path, name):
    path = tmp_path / "2020年报.txt"
    shutil.copyfile(GENERATED / name, path)
    _same_values(name, extract_json(path))


# ---------------------------------------------------------------- files that cannot be read


def _unreadable(path: Path, code: str) -> None:
    report = extract(source_for(path))
    assert [p.code for p in report.errors] == [code], report.problems
    assert report.template is None and not report.values  # a problem, never data


def test_scanned_pdf_needs_ocr():
    _unreadable(GENERATED / "scanned.pdf", "needs-ocr")
    with pytest.raises(ReadError, match="扫描件") as err:
        readers.read(GENERATED / "scanned.pdf")
    assert "OCR" in err.value.message


def test_encrypted_pdf():
    _unreadable(GENERATED / "encrypted.pdf", "encrypted-pdf")


def test_truncated_pdf(tmp_path):
    data = (GENERATED / "zibo-zichuan-zhaoshangju-2020.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    _unreadable(path, "damaged-file")


@pytest.mark.parametrize(("name", "code"), [("report.docx", "not-a-word-document"),
                                          ("report.ofd", "not-an-ofd-document")])
def test_zip_that_is_not_what_its_name_says(tmp_path, name, code):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    _unreadable(path, code)


def test_truncated_docx(tmp_path):
    data = (GENERATED / "zibo-zichuan-zhaoshangju-2020.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    _unreadable(path, "damaged-file")


# ---------------------------------------------------------------- OFD


def _rewritten_ofd(tmp_path: Path, name: str, change) -> Path:
    """A fixture OFD with its parts passed through change(parts) (a dict name → bytes)."""
    with zipfile.ZipFile(GENERATED / name) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    change(parts)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    return path


def test_scanned_ofd_needs_ocr():
    _unreadable(GENERATED / "scanned.ofd", "needs-ocr")
    with pytest.raises(ReadError, match="OFD 没有文字层") as err:
        readers.read(GENERATED / "scanned.ofd")
    assert "OCR" in err.value.message


def test_word_file_named_ofd_is_read_as_word(tmp_path):
    path = tmp_path / "report.ofd"
    shutil.copyfile(GENERATED / "beijing-tongzhou-shangwuju-2020.docx", path)
    assert reader_for(path) is DocxReader
    _same_values("beijing-tongzhou-shangwuju-2020.docx", extract_json(path))


def test_truncated_ofd(tmp_path):
    data = (GENERATED / "zibo-zichuan-zhaoshangju-2020.ofd").read_bytes()
    path = tmp_path / "cut.ofd"
    path.write_bytes(data[: len(data) // 2])
    _unreadable(path, "damaged-file")


@pytest.mark.parametrize("damage", ["missing", "cut"])
def test_ofd_with_a_damaged_page_names_it(tmp_path, damage):
    """A page the zip lacks, or whose XML is cut short: one named problem, at that page."""
    page = "Doc_0/Pages/Page_1/Content.xml"

    def change(parts: dict) -> None:
        if damage == "missing":
            del parts[page]
        else:
            parts[page] = parts[page][: len(parts[page]) // 2]

    path = _rewritten_ofd(tmp_path, "zibo-zichuan-zhaoshangju-2020.ofd", change)
    _unreadable(path, "damaged-file")
    with pytest.raises(ReadError) as err:
        readers.read(path)
    assert err.value.line == 2 and "Pages/Page_1/Content.xml" in err.value.message


def test_ofd_text_placed_without_deltas(tmp_path):
    """Writers may leave DeltaX out and let the font's advances place the glyphs: they are
    then set by their own widths, and every value stays in its cell."""
    def change(parts: dict) -> None:
        for n in parts:
            if n.endswith("Content.xml"):
                parts[n] = re.sub(rb' DeltaX="[^"]*"', b"", parts[n])

    path = _rewritten_ofd(tmp_path, "zibo-zichuan-zhaoshangju-2020.ofd", change)
    assert b"DeltaX" not in b"".join(zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist())
    _same_values("zibo-zichuan-zhaoshangju-2020.ofd", extract_json(path))


def test_ofd_wide_digits_stay_one_number(tmp_path):
    """A bold sans font's digits are 0.7 em wide, wider than the half em a glyph is taken to be
    where the file does not say: glyphs of one run reach the next, so the title's year (its
    DeltaX 3.95 mm at 5.64 mm type) reads 2020, not "2 0 2 0年" glued to the agency's name."""
    def change(parts: dict) -> None:
        page = "Doc_0/Pages/Page_0/Content.xml"
        title = b'Y="5.644" DeltaX="3.353 3.347 3.353">2020<'
        assert title in parts[page]
        parts[page] = parts[page].replace(title, b'Y="5.644" DeltaX="g 3 3.95">2020<')

    got = extract_json(_rewritten_ofd(tmp_path, "zibo-zichuan-zhaoshangju-2020.ofd", change))
    assert (got["agency"], got["year"]) == ("淄川区招商局", 2020)
    assert "year-inferred" not in {p["code"] for p in got["problems"]}


_HOSTILE = ["", "-1", "0", "1e400", "-1e300", "nan", "g", "g 3", "g 1e9 1", "1 0 0", "0 0 0 0",
            "M", "C", "L 1", "Q 1 2", "1.5.5", "false"]


@pytest.mark.parametrize("seed", range(40))
def test_ofd_with_hostile_numbers_never_crashes(tmp_path, seed):
    """Well-formed XML with nonsense where numbers go (Boundary, CTM, DeltaX, Size, path
    data): a report or a named problem, never an internal error."""
    rng = random.Random(seed)
    number = re.compile(rb'(?:\b(?:Boundary|CTM|DeltaX|DeltaY|Size|X|Y|LineWidth)="|'
                        rb"<ofd:AbbreviatedData>|<ofd:PhysicalBox>)([^\"<]*)")

    def change(parts: dict) -> None:
        for _ in range(rng.randint(1, 12)):
            name = rng.choice([n for n in parts if n.endswith(".xml")])
            spots = list(number.finditer(parts[name]))
            if spots:
                m = rng.choice(spots)
                parts[name] = (parts[name][:m.start(1)] + rng.choice(_HOSTILE).encode()
                               + parts[name][m.end(1):])

    name = rng.choice(sorted(p.name for p in GENERATED.glob("*.ofd")))
    report = extract(source_for(_rewritten_ofd(tmp_path, name, change)))
    assert not [p for p in report.problems if p.code in ("internal-error", "unreadable-file")], \
        report.problems


def test_html_without_a_report(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body><nav>首页</nav><p>页面不存在</p></body></html>", encoding="utf-8")
    report = extract(source_for(path))
    assert "no-tables" in [p.code for p in report.problems]


# ---------------------------------------------------------------- PDF structure


def test_pdf_table_across_pages_is_one_table():
    doc = readers.read(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.pdf")
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(tables) == 3
    apply = tables[1]
    assert len(set(apply.row_lines)) > 1, "table 三 breaks across pages in this fixture"
    labels = [" ".join(c.text for c in row) for row in apply.rows]
    assert sum("申请人情况" in x for x in labels) == 1  # the repeated header row is dropped
    assert len(apply.rows) == 3 + 25  # header rows and the 2021 rows, none split or lost


def test_pdf_prose_is_outside_the_tables():
    doc = readers.read(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.pdf")
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert texts[:2] == ["宁波市鄞州区商务局", "2021年政府信息公开工作年度报告"]
    assert "三、收到和处理政府信息公开申请情况" in texts
    assert not any("申请人情况" in t or "本年新收" in t for t in texts)
    assert any(t.startswith("（一）主动公开。") and t.endswith("等社会关注度高的信息。") for t in texts)


def test_pdf_merged_cells_are_spanned_not_repeated():
    doc = readers.read(SHARED / "002_tongzhou_2020.pdf")
    apply = [b for b in doc.blocks if isinstance(b, Table)][1]
    group = [row for row in apply.rows if any("不予" in c.text and "公开" in c.text for c in row)]
    assert len(group) == 8  # （三）不予公开 over its 8 rows, across the page break
    assert [c.spanned for row in group for c in row if "不予" in c.text] == [False] + [True] * 7
    assert not any(c.spanned for row in apply.rows for c in row if c.text.strip() == "0")


# ---------------------------------------------------------------- DOCX structure


def _docx(build) -> Path:
    import docx

    doc = docx.Document()
    build(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf


def test_docx_merges_by_cell_not_by_text(tmp_path):
    def build(doc):
        doc.add_paragraph("前言")
        table = doc.add_table(rows=3, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "合并"
        table.cell(0, 2).text = "0"
        table.cell(1, 0).merge(table.cell(2, 0)).text = "竖向"
        table.cell(1, 1).text = "0"
        table.cell(1, 2).text = "0"  # the same text side by side: two cells, both values
        table.cell(2, 1).text = "1"
        table.cell(2, 2).text = "2"
        doc.add_paragraph("后记")

    path = tmp_path / "t.docx"
    path.write_bytes(_docx(build).getvalue())
    blocks = DocxReader().read(path).blocks
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "Table", "Paragraph"]
    assert blocks[1].rows == [
        [Cell("合并"), Cell("0")],
        [Cell("竖向"), Cell("0"), Cell("0")],
        [Cell("竖向", spanned=True), Cell("1"), Cell("2")],
    ]


def test_docx_layout_frame_and_nested_table(tmp_path):
    def build(doc):
        frame = doc.add_table(rows=1, cols=1)
        inner = frame.cell(0, 0)
        inner.paragraphs[0].text = "框内标题"
        table = inner.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "规章"
        table.cell(0, 1).text = "3"
        outer = doc.add_table(rows=1, cols=2)
        outer.cell(0, 0).text = "说明"
        nested = outer.cell(0, 1).add_table(rows=1, cols=2)
        nested.cell(0, 0).text = "甲"
        nested.cell(0, 1).text = "乙"

    path = tmp_path / "t.docx"
    path.write_bytes(_docx(build).getvalue())
    blocks = DocxReader().read(path).blocks
    assert isinstance(blocks[0], Paragraph) and blocks[0].text == "框内标题"
    assert blocks[1].rows == [[Cell("规章"), Cell("3")]]  # the frame is looked through
    assert blocks[2].rows[0][0].text == "说明"
    assert "甲 乙" in blocks[2].rows[0][1].text  # a table inside a cell: its text, flattened


# ---------------------------------------------------------------- HTML structure and encodings


PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某区商务局2021年政府信息公开工作年度报告_某区人民政府</title>
<meta name="PubDate" content="2022-01-20 10:00"></head><body>
<div class="nav"><a href="/">首页</a><a href="/a">2020年政府信息公开工作年度报告</a></div>
<h1>某区商务局<br>2021年政府信息公开工作年度报告</h1><div>发布时间：2022-01-20 【打印】</div>
<div id="zoom"><p>一、总体情况</p><p>正文&nbsp;第一段，
跨行的文字。</p><p style="display:none">隐藏</p>
<table><tr><td rowspan="2">行政<br/>复议</td><td colspan="2"><p>结果</p><p>维持</p></td></tr>
<tr><td>1</td><td> 2 </td></tr></table><p>二、主动公开政府信息情况</p></div>
<footer>版权所有</footer><div class="share">分享到</div></body></html>"""


def test_html_finds_the_report_inside_the_page(tmp_path):
    path = tmp_path / "page.htm"
    path.write_bytes(PAGE.encode("gb18030"))
    doc = HtmlReader().read(path)
    assert doc.encoding == "gb18030"
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert texts == ["某区商务局", "2021年政府信息公开工作年度报告", "一、总体情况",
                     "正文 第一段，跨行的文字。", "二、主动公开政府信息情况"]
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert table.rows == [[Cell("行政\n复议"), Cell("结果\n维持")],
                          [Cell("行政\n复议", spanned=True), Cell("1"), Cell("2")]]
    assert doc.meta["title"] == "某区商务局2021年政府信息公开工作年度报告"
    assert doc.meta["published"] == "2022-01-20"


def test_html_declared_charset_wrong_falls_back():
    data = PAGE.replace("gb2312", "utf-8").encode("gbk")
    text, encoding = decode_html(data)
    assert "总体情况" in text and encoding == "gb18030"


def test_utf8_page_with_a_gbk_line(tmp_path):
    """A UTF-8 page whose footer include was saved in GBK, in the middle of a line: each
    part reads in its own encoding (the page was 'undecodable'), with a warning to check
    its text."""
    page = (GENERATED / "ningbo-yinzhou-shangwuju-2021-a.utf-8.html").read_text(encoding="utf-8")
    end = page.rindex("</body>")
    path = tmp_path / "page.html"
    path.write_bytes(page[:end].encode("utf-8") + "<div>主办：鄞州区人民政府办公室 丂</div>".encode("gbk")
                     + page[end:].encode("utf-8"))
    got = extract_json(path)
    assert got["values"] == extract_json(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.utf-8.html")["values"]
    assert [p["severity"] for p in got["problems"] if p["code"] == "encoding-mixed"] == ["warning"]
    assert "主办：鄞州区人民政府办公室 丂" in decode(path.read_bytes())[0]  # 丂: 81 40, "@" its 2nd byte


def test_gbk_file_with_one_broken_character(tmp_path):
    """A GBK page with a character cut in half (a byte no encoding decodes) reads as a
    browser shows it, the byte as U+FFFD, with a warning placed at it (it was
    'undecodable'). A GBK file so broken that a line of it is neither encoding is not read
    line by line: its other lines could pass for UTF-8 by accident."""
    data = (GENERATED / "zibo-zichuan-zhaoshangju-2020.gbk.html").read_bytes()
    at = data.index("一、总体情况".encode("gbk"))
    path = tmp_path / "page.html"
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    got = extract_json(path)
    assert got["values"] == extract_json(GENERATED / "zibo-zichuan-zhaoshangju-2020.gbk.html")["values"]
    [note] = [p for p in got["problems"] if p["code"] == "encoding-errors"]
    assert note["severity"] == "warning" and note["message"].startswith("文件有 1 处字节无法按 GB18030 解码")
    assert re.search(r":\d+$", note["where"])  # the paragraph it is in
    assert decode(data[:at] + b"\xff" + data[at:])[1] == "gb18030+replaced"


def test_utf8_with_a_few_bad_bytes_is_not_read_as_gb18030():
    """GB18030 takes most of UTF-8's bytes for characters, wrong ones: a UTF-8 text with a
    GBK character run into it (no ASCII between) showed fewer U+FFFD as GB18030, and was
    read as mojibake. UTF-8 with its few bad bytes as U+FFFD comes first."""
    text = "中文·é，本年新收政府信息公开申请"
    got, encoding = decode(text.encode("utf-8") + "中".encode("gbk"))
    assert encoding == "utf-8+replaced" and got.startswith(text)
    # and a GBK line under UTF-8 ones: GB18030 reads the whole without an error, as mojibake
    data = f"{text}\n".encode() + "中\n".encode("gbk")
    assert decode(data) == (f"{text}\n中\n", "utf-8+gb18030")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec):
    text = "宁波市鄞州区商务局\n2021年政府信息公开工作年度报告\n一、总体情况\n\t规章\n\t0\n"
    data = text.encode(codec)
    assert utf16_variant(data) == codec
    assert decode(data) == (text, codec)
    assert TextReader.sniff(data, ".txt")


@pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
def test_eight_bit_text_is_not_utf16(codec):
    data = "一、总体情况\n本年新收 12 件".encode(codec)
    assert utf16_variant(data) is None
    assert decode(data)[0].startswith("一、总体情况")


def test_amount_in_yuan_and_wan(tmp_path):
    """Values print as "26.8万元" in the fixtures; the parser keeps the exact decimal."""
    got = extract(source_for(GENERATED / "ningbo-yinzhou-shangwuju-2021-b.docx"))
    assert got.values["active.fees.amount"] == Decimal("26.8")


# ---------------------------------------------------------------- a page as a government CMS serves it


CMS_PAGE = ROOT / "tests" / "corpus" / "cms-html" / "shanghai-bangongting-2019.html"
RECORD = CMS_PAGE.read_text(encoding="utf-8").split('<table class="record">')[1].split("</table>")[0]


def test_cms_page_reads_as_published():
    got = extracted(CMS_PAGE)
    values = got["values"]
    assert (got["agency"], got["region"]["code"], got["year"]) == ("上海市人民政府办公厅", "310000", 2019)
    assert values["active.rules.total"] == 524 and values["active.licensing.decisions"] == 0
    assert values["active.procurement.amount"] == 25.1  # "251000元" in a 万元 column
    assert values["apply.new.natural"] == 821 and values["apply.new.total"] == 859
    assert values["apply.withheld_process.commercial"] == 1
    assert values["appeal.review.upheld"] == 5 and values["appeal.suit_direct.total"] == 9
    # &nbsp; cells are blank, never 0: a whole row, a total left out, 表四's empty cells
    assert values["apply.withheld_law.natural"] is None
    assert values["apply.disclosed.total"] is None and values["apply.new.research"] is None
    assert values["appeal.suit_after_review.total"] is None
    codes = {p["code"] for p in got["problems"]}
    assert codes == {"rule-unchecked"}, got["problems"]  # rows printed empty are not missing


def test_cms_page_breadcrumb_is_not_the_title(tmp_path):
    """Without the disclosure record after it, the breadcrumb trail is the last text saying
    年报 above the report: it must not be read as the title ("首页 >" as the agency)."""
    page = tmp_path / "page.html"
    page.write_text(CMS_PAGE.read_text(encoding="utf-8").replace(RECORD, ""), encoding="utf-8")
    doc = HtmlReader().read(page)
    assert not any("首页" in b.text for b in doc.blocks if isinstance(b, Paragraph))
    got = extract_json(page)
    assert got["agency"] == "上海市人民政府办公厅" and got["region"]["code"] == "310000"


def test_text_saved_with_its_breadcrumb_keeps_the_title(tmp_path):
    text = (GENERATED / "ningbo-yinzhou-shangwuju-2021-a.txt").read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_text("当前位置：首页 > 政务公开 > 政府信息公开年报\n发布机构：鄞州区商务局\n" + text,
                    encoding="utf-8")
    got = extract_json(path)
    assert got["agency"] == "宁波市鄞州区商务局" and got["region"]["code"] == "330212"


def test_table_four_printed_empty_is_not_missing(tmp_path):
    """An agency with no appeals may leave all fifteen cells of 表四 empty: the table is
    there, its fields are blank (not 0), and nothing says it was not found."""
    html = CMS_PAGE.read_text(encoding="utf-8")
    head, four = html.split("四、政府信息公开行政复议、行政诉讼情况")
    four = re.sub(r"<p>\d+</p>", "&nbsp;", four)
    page = tmp_path / "page.html"
    page.write_text(head + "四、政府信息公开行政复议、行政诉讼情况" + four, encoding="utf-8")
    got = extract_json(page)
    assert all(v is None for k, v in got["values"].items() if k.startswith("appeal."))
    assert got["values"]["apply.new.total"] == 859
    assert {p["code"] for p in got["problems"]} == {"rule-unchecked"}


def _untitled_cms_page() -> str:
    """The CMS page with no title above the report: no disclosure record, no title line."""
    html = CMS_PAGE.read_text(encoding="utf-8").replace(RECORD, "")
    return re.sub(r"<p style='text-align: center;font-weight: bold;'>.*?</p>", "", html)


def test_page_with_its_title_only_in_the_head(tmp_path):
    """A page that prints no title above the report: the first sentence ("根据…编制本报告。")
    is not the title; the agency comes from <title>."""
    html = _untitled_cms_page()
    html = re.sub(r"<p>本年度报告根据.*?</p>", "<p>根据《条例》编制本报告。</p>", html)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    got = extract_json(page)
    assert got["agency"] == "上海市人民政府办公厅" and got["region"]["code"] == "310000"


# ---------------------------------------------------------------- a page printed by the browser


CHROMIUM_PDF = GENERATED / "ningbo-yinzhou-shangwuju-2021-a.chromium.pdf"


@pytest.mark.parametrize("printed", [CHROMIUM_PDF, CHROMIUM_PDF.with_suffix(".ofd")])
def test_page_printed_to_pdf_by_chromium(caplog, printed):
    """The 2021 report's web page as Chromium prints it (make_fixtures.browser_pdf): the
    site's menus, related links and footer on the page, text mapped back to CJK radicals,
    tables cut open at page breaks. Every value, the title, the prose, and no log flood.
    The same converted to OFD (make_ofd): a glyph an object, its lines thin filled boxes."""
    with caplog.at_level(logging.WARNING):
        got = extract_json(printed)
    assert not [r for r in caplog.records if r.name.startswith("pdfminer")]  # one per glyph
    untrue = {k: (v, got["values"][k]) for k, v in TRUTH_2021["values"].items()
              if not _matches(v, got["values"][k])}
    assert not untrue, untrue  # the rows a page break cut open are read
    assert (got["agency"], got["year"], got["template"]) == ("宁波市鄞州区商务局", 2021, "2021")
    assert not [p for p in got["problems"] if p["severity"] != "info"], got["problems"]
    doc = readers.read(printed)
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    texts += [c.text for b in doc.blocks if isinstance(b, Table) for row in b.rows for c in row]
    assert not [t for t in texts if any(0x2E80 <= ord(ch) <= 0x2FDF for ch in t)]  # ⼀ ⼈⺠
    text = readers.read(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.txt")
    assert prose.front_matter(doc) == prose.front_matter(text)
    assert prose.sections(doc)[-1] == prose.sections(text)[-1]  # no share bar, no ICP number
    assert prose.signature_date(doc) == "2022-01-20"


def test_watermark_outlines_are_no_ruling_lines():
    """The same page with a watermark over 表二 and 表三, its letters flattened into filled
    outlines of straight strokes (make_fixtures.watermarked_pdf): their edges are no table's
    rules. They cut 表三's cells apart: 174 values, a header unread."""
    got = extract_json(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.watermark.pdf")
    assert got["values"] == extract_json(CHROMIUM_PDF)["values"]
    assert not [p for p in got["problems"] if p["severity"] != "info"], got["problems"]


def test_links_to_other_reports_are_not_the_title():
    """A printed page lists other years' reports above this one's title; a title that names
    no agency does not borrow one from them."""
    doc = Document([Paragraph(t, i) for i, t in enumerate(
        ["相关链接", "2019年政府信息公开工作年度报告", "2020年政府信息公开工作年度报告",
         "2021年政府信息公开工作年度报告", "一、总体情况"])])
    assert (prose.front_matter(doc).agency, prose.front_matter(doc).year) == (None, 2021)


# ---------------------------------------------------------------- what Word does not print


def _run(paragraph, text: str, **props):
    """A run with raw run properties: vanish, vertAlign=superscript, fldChar=begin…"""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run(text)
    rpr = run._r.get_or_add_rPr()
    for name, value in props.items():
        if name == "fldChar":
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), value)
            run._r.append(el)
        elif name == "instr":
            el = OxmlElement("w:instrText")
            el.text = value
            run._r.append(el)
        else:
            el = OxmlElement(f"w:{name}")
            if value is not True:
                el.set(qn("w:val"), value)
            rpr.append(el)
    return run


def test_docx_reads_what_word_prints(tmp_path):
    def build(doc):
        table = doc.add_table(rows=1, cols=5)
        hidden, nested, note, merged, shown = table.rows[0].cells
        p = hidden.paragraphs[0]
        _run(p, "101")
        _run(p, "9", vanish=True)  # hidden text: Word prints 101
        _run(hidden.add_paragraph(), "88", vanish=True)  # a hidden paragraph above nothing
        p = nested.paragraphs[0]  # { IF { =SUM(LEFT) } > 0 … }: only the IF's result shows
        _run(p, "", fldChar="begin")
        _run(p, "", instr=" IF ")
        _run(p, "", fldChar="begin")
        _run(p, "", instr=" =SUM(LEFT) ")
        _run(p, "", fldChar="separate")
        _run(p, "201")
        _run(p, "", fldChar="end")
        _run(p, "", instr=' > 0 "yes" ')
        _run(p, "", fldChar="separate")
        _run(p, "201")
        _run(p, "", fldChar="end")
        p = note.paragraphs[0]
        _run(p, "33")
        _run(p, "1", vertAlign="superscript")  # a note marker, no digit of 33
        merged.paragraphs[0].add_run("118")  # two cells merged keep both paragraphs
        merged.add_paragraph("121")
        _run(shown.paragraphs[0], "7", vanish="0")  # vanish switched off: printed

    path = tmp_path / "t.docx"
    path.write_bytes(_docx(build).getvalue())
    row = DocxReader().read(path).blocks[0].rows[0]
    assert [c.text for c in row] == ["101", "201", "33[1]", "118 / 121", "7"]


def test_docx_struck_text_and_note_markers_are_no_digits(tmp_path):
    """A review hunting silent errors: a struck-out "9" before "97" read 997, a subscript
    "2" after it 972, and a run raised only by the footnote-reference style 971 (table 二
    has no rule to catch any of them)."""
    def build(doc):
        doc.styles.add_style("FootnoteReference", 2)  # WD_STYLE_TYPE.CHARACTER
        table = doc.add_table(rows=1, cols=4)
        struck, double, sub, styled = table.rows[0].cells
        for cell, props in ((struck, {"strike": True}), (double, {"dstrike": True})):
            _run(cell.paragraphs[0], "9", **props)
            _run(cell.paragraphs[0], "97")
        _run(sub.paragraphs[0], "97")
        _run(sub.paragraphs[0], "2", vertAlign="subscript")
        _run(styled.paragraphs[0], "97")
        _run(styled.paragraphs[0], "1", rStyle="FootnoteReference")

    path = tmp_path / "t.docx"
    path.write_bytes(_docx(build).getvalue())
    row = DocxReader().read(path).blocks[0].rows[0]
    assert [c.text for c in row] == ["97", "97", "97[2]", "97[1]"]


@pytest.mark.parametrize("cell", [
    "<del cite='mailto:x'>9</del><ins cite='mailto:x'>97</ins>",  # Word's tracked change
    "<s>9</s>97", "<strike>9</strike>97",
    "<span style='text-decoration: line-through'>9</span>97",
    "<span style='font-size:0pt'>9</span>97", "<span style='mso-hide:all'>9</span>97",
    "97<sub>2</sub>",
])
def test_html_struck_or_unseen_text_is_no_digit(tmp_path, cell):
    """The same review: each of these read 997 or 972 from a web page."""
    page = tmp_path / "t.html"
    page.write_text(f"<table><tr><td>行政许可</td><td>{cell}</td>"
                    "<td style='font-size:10pt'>5</td></tr></table>", encoding="utf-8")
    row = HtmlReader().read(page).blocks[0].rows[0]
    assert [c.text for c in row][1:] in (["97", "5"], ["97[2]", "5"])


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice is not installed")
def test_legacy_doc_named_docx(tmp_path):
    """A .doc renamed .docx is converted like any .doc (it was 'damaged' when LibreOffice
    refused to overwrite its own input, input.docx)."""
    path = tmp_path / "report.docx"
    shutil.copyfile(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.doc", path)
    assert reader_for(path) is DocReader
    got = extract_json(path)
    assert got["values"] == extracted(GENERATED / "ningbo-yinzhou-shangwuju-2021-a.txt")["values"]


def test_cms_page_with_what_real_pages_carry(tmp_path):
    """The CMS page as other sites serve it: a Western charset declared over GBK bytes,
    zero-width characters pasted in, a note in <sup>, the amount's heading in 元 and its
    number bare, 其它 for 其他, "&nbsp;" escaped twice. The same values, none guessed."""
    html = CMS_PAGE.read_text(encoding="utf-8").replace('<meta charset="utf-8">',
                                                        '<meta charset="iso-8859-1">')
    for old, new in (('<p align="center">821</p>', '<p align="center">821<sup>1</sup></p>'),
                     ('<p align="center">859</p>', '<p align="center">&#8203;859</p>'),
                     ("<p>三、收到和处理", "<p>&#xFEFF;三、收到和处理"),
                     ("采购总金额", "采购总金额（元）"), ("251000元", "251000"),
                     ("（六）其他处理", "（六）其它处理"),
                     ('<p align="center">72</p></td><td nowrap="nowrap" style="width:47px;">'
                      '<p align="center">&nbsp;</p>',
                      '<p align="center">72</p></td><td nowrap="nowrap" style="width:47px;">'
                      '<p align="center">&amp;nbsp;</p>')):
        assert old in html, old
        html = html.replace(old, new)
    page = tmp_path / "page.html"
    page.write_bytes(html.encode("gb18030"))
    got, plain = extract_json(page), extracted(CMS_PAGE)
    assert got["values"] == plain["values"]
    assert (got["agency"], got["region"]) == (plain["agency"], plain["region"])
    assert got["values"]["active.procurement.amount"] == 25.1  # 251000 元, printed bare
    codes = sorted(p["code"] for p in got["problems"] if p["code"] != "rule-unchecked")
    assert codes == ["amount-in-yuan"], got["problems"]


def test_page_titled_by_its_site_only(tmp_path):
    """No title above the report, and <title> is the site's name: the agency is unknown
    (an error that asks for it), never the site's name."""
    html = _untitled_cms_page()
    html = re.sub(r"<title>.*?</title>", "<title>上海市人民政府</title>", html)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    got = extract_json(page)
    assert got["agency"] != "上海市人民政府"
    assert "agency-unknown" in {p["code"] for p in got["problems"]}


@pytest.mark.parametrize("title, agency, year", [
    ("二〇二〇年北京市通州区商务局政府信息公开工作年度报告", "北京市通州区商务局", 2020),
    ("北京市通州区商务局２０２１年政府信息公开工作年度报告", "北京市通州区商务局", 2021),
    ("北京市通州区商务局2021年政府信息公开工作年度报告（全文）", "北京市通州区商务局", 2021),
    ("北京市通州区商务局2021年政府信息公开工作年度报告（文字版）", "北京市通州区商务局", 2021),
    ("北京市通州区商务局2021年度政府信息公开工作情况报告", "北京市通州区商务局", 2021),
    ("北京市通州区商务局政府信息公开工作年度报告（2021年度）", "北京市通州区商务局", 2021),
    ("关于北京市通州区商务局2021年政府信息公开工作年度报告的公告", "北京市通州区商务局", 2021),
    ("2021年政府信息公开工作年度报告（北京市通州区商务局）", "北京市通州区商务局", 2021),
    ("北 京 市 通 州 区 商 务 局 2021年政府信息公开工作年度报告", "北京市通州区商务局", 2021),
    ("2020年南关区商务局政府信息公开工作年度报告", "南关区商务局", 2020),
    ("2021年政府信息公开工作年度报告", None, 2021),
    # a year OCR misread: no year (the body gives it, with a note), and not in the name
    ("宁波市鄞州区商务局2O21年政府信息公开工作年度报告", "宁波市鄞州区商务局", None),
    ("2O2l年度南关区商务局政府信息公开工作年度报告", "南关区商务局", None),
    ("区商务局201g年度政府信息公开工作年度报告", "区商务局", None),
    ("附件1：2020年南关区商务局政府信息公开工作年度报告", "南关区商务局", 2020),
])
def test_titles_as_agencies_print_them(title, agency, year):
    front = prose.parse_title(title)
    assert (front.agency, front.year) == (agency, year)


def _report_table(container) -> None:
    """A heading and a three-row table, in a document body or a cell."""
    container.add_paragraph("二、主动公开政府信息情况")
    table = container.add_table(rows=3, cols=2)
    for r, row in enumerate(TABLE_ROWS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


TABLE_ROWS = [["信息内容", "本年制发件数"], ["规章", "3"], ["规范性文件", "5"]]


def _read_rows(tmp_path, build) -> tuple[list[str], list[list[str]]]:
    path = tmp_path / "t.docx"
    path.write_bytes(_docx(build).getvalue())
    blocks = DocxReader().read(path).blocks
    return ([b.text for b in blocks if isinstance(b, Paragraph)],
            [[c.text for c in row] for b in blocks if isinstance(b, Table) for row in b.rows])


def test_docx_report_inside_a_layout_table(tmp_path):
    """The whole report in a table used for layout: an empty margin column beside it, or a
    column of rows (title, content, signature). Read what is inside, as a page of its own."""
    def margin(doc):
        frame = doc.add_table(rows=1, cols=2)
        _report_table(frame.cell(0, 1))

    def rows(doc):
        frame = doc.add_table(rows=3, cols=1)
        frame.cell(0, 0).text = "某区商务局2021年政府信息公开工作年度报告"
        _report_table(frame.cell(1, 0))
        frame.cell(2, 0).text = "某区商务局"

    def beside(doc):  # the heading in the cell beside the table
        frame = doc.add_table(rows=1, cols=2)
        _report_table(frame.cell(0, 1))
        heading = frame.cell(0, 1).paragraphs[1]
        frame.cell(0, 0).text = heading.text
        heading._p.getparent().remove(heading._p)

    for build in (margin, rows, beside):
        paragraphs, table = _read_rows(tmp_path, build)
        assert "二、主动公开政府信息情况" in paragraphs
        assert table == TABLE_ROWS


def test_docx_table_in_a_text_box(tmp_path):
    """WPS puts tables in text boxes: read as tables, not as their glued text."""
    import docx
    from lxml import etree

    namespaces = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                  'xmlns:v="urn:schemas-microsoft-com:vml"')

    def build(doc):
        p = doc.add_paragraph("表前")
        holder = docx.Document()
        _report_table(holder)
        inner = "".join(etree.tostring(el, encoding="unicode") for el in holder.element.body
                        if el.tag.endswith(("}p", "}tbl")))
        xml = (f'<w:r {namespaces}><w:pict><v:shape><v:textbox><w:txbxContent>{inner}'
               '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
        p._p.append(etree.fromstring(xml))

    paragraphs, table = _read_rows(tmp_path, build)
    assert paragraphs == ["表前", "二、主动公开政府信息情况"]
    assert table == TABLE_ROWS


def test_strict_ooxml_docx(tmp_path):
    """Word's "Strict Open XML" names its elements in another namespace."""
    src = _docx(_report_table)
    path = tmp_path / "strict.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                                    b"http://purl.oclc.org/ooxml/wordprocessingml/main")
            zout.writestr(item, data)
    blocks = DocxReader().read(path).blocks
    assert [[c.text for c in row] for row in blocks[1].rows] == TABLE_ROWS


def test_year_from_the_body_says_how(tmp_path):
    """A title without its year: the statistics period the body states gives it (a note);
    without one, the year the body mentions most is a guess, and a warning says so."""
    text = (GENERATED / "ningbo-yinzhou-shangwuju-2021-a.txt").read_text(encoding="utf-8")
    text = text.replace("2021年政府信息公开工作年度报告", "政府信息公开工作年度报告", 1)
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    got = extract_json(path)
    inferred = [p for p in got["problems"] if p["code"] == "year-inferred"]
    assert got["year"] == 2021 and [p["severity"] for p in inferred] == ["info"]
    assert "2021年1月1日起至2021年12月31日" in inferred[0]["message"]
    path.write_text(text.replace("统计期限自2021年1月1日起至2021年12月31日止", "统计口径与上年相同"),
                    encoding="utf-8")
    got = extract_json(path)
    inferred = [p for p in got["problems"] if p["code"] == "year-inferred"]
    assert [p["severity"] for p in inferred] == ["warning"] and "请核对" in inferred[0]["message"]


def test_tables_cut_by_page_breaks_with_their_headers_repeated(tmp_path):
    """A CMS page pasted from a paged document: 表二 cut right after 第二十条第（五）项, 表三
    and 表四 cut with their header rows printed again. The same values, no header warning."""
    html = CMS_PAGE.read_text(encoding="utf-8")
    cut = "\n</tbody></table><table border=\"1\"><tbody>"
    item = html.index("第二十条第（五）项")
    item = html.index("</tr>", item) + len("</tr>")
    html = html[:item] + cut + html[item:]
    for first_header, first_row in (("（本列数据的勾稽关系", "一、本年新收"),
                                    ("<p>行政复议</p>", "<p>5</p>")):
        start = html.rindex("<tr>", 0, html.index(first_header))
        end = html.rindex("<tr>", 0, html.index(first_row))
        html = html[:end] + cut + html[start:end] + html[end:]
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    assert sum(isinstance(b, Table) for b in HtmlReader().read(page).blocks) == 6
    got = extract_json(page)
    assert got["values"] == extracted(CMS_PAGE)["values"]
    assert {p["code"] for p in got["problems"]} == {"rule-unchecked"}, got["problems"]


def test_web_archive_named_doc(tmp_path):
    """A single-file web page (.mht, as Word and IE save it), GBK in quoted-printable, and
    named .doc as agencies often do: read as the page it holds."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    archive = MIMEMultipart("related")
    page = MIMEText(CMS_PAGE.read_text(encoding="utf-8").replace('<meta charset="utf-8">', ""),
                    "html", "gb2312")
    archive.attach(page)
    path = tmp_path / "report.doc"
    path.write_bytes(archive.as_bytes())
    assert reader_for(path) is HtmlReader
    got, plain = extract_json(path), extracted(CMS_PAGE)
    assert (got["agency"], got["values"]) == (plain["agency"], plain["values"])


def test_table_four_printed_as_two_tables(tmp_path):
    """行政复议 and 行政诉讼 as tables of their own (5 and 10 columns): each header names
    its groups, each values row fills them; neither is a duplicate of the other."""
    heads = "".join(f"<td>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
    review = (f'<table border="1"><tr><td colspan="5">行政复议</td></tr><tr>{heads}</tr>'
              "<tr><td>5</td><td></td><td></td><td>2</td><td>7</td></tr></table>")
    suits = (f'<table border="1"><tr><td colspan="10">行政诉讼</td></tr>'
             '<tr><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>'
             f"<tr>{heads}{heads}</tr><tr><td>8</td><td></td><td></td><td>1</td><td>9</td>"
             + "<td></td>" * 5 + "</tr></table>")
    html = CMS_PAGE.read_text(encoding="utf-8")
    start = html.index("<table", html.index("四、政府信息公开行政复议"))
    end = html.index("</table>", start) + len("</table>")
    page = tmp_path / "page.html"
    page.write_text(html[:start] + review + suits + html[end:], encoding="utf-8")
    got = extract_json(page)
    assert got["values"] == extracted(CMS_PAGE)["values"]
    assert {p["code"] for p in got["problems"]} == {"rule-unchecked"}, got["problems"]


def test_excel_web_page_text_running_over_empty_cells(tmp_path):
    """Excel's "save as web page" writes a label that runs on over the empty cells beside
    it as one cell spanning them (mso-ignore:colspan): the label's cell is one, the cells it
    runs over are empty value cells, and the row keeps its seven."""
    html = CMS_PAGE.read_text(encoding="utf-8")
    label = '<tr><td colspan="2" nowrap="nowrap" style="width:194px;">\n<p>（六）其他处理</p></td>'
    start = html.index(label)
    end = html.index("</tr>", start)
    values = "".join(f"<td>{v}</td>" for v in ("1", "2", "", "", "", "3"))
    plain = html[:start] + label + "<td></td>" + values + html[end:]
    excel = (html[:start] + "<tr><td colspan=\"3\" style='mso-ignore:colspan'>（六）其他处理</td>"
             + values + html[end:])
    (tmp_path / "plain.html").write_text(plain, encoding="utf-8")
    (tmp_path / "excel.html").write_text(excel, encoding="utf-8")
    want, got = extract_json(tmp_path / "plain.html"), extract_json(tmp_path / "excel.html")
    assert want["values"]["apply.other.commercial"] == 1  # (the 2019 form: 其他处理 is one row)
    assert got["values"] == want["values"]
    assert [p["message"] for p in got["problems"]] == [p["message"] for p in want["problems"]]


def test_table_left_unclosed(tmp_path):
    """表二 without its </table>: the HTML parser puts the tables after it inside it, beside
    its rows. Each is still read as the table it is."""
    html = CMS_PAGE.read_text(encoding="utf-8")
    end = html.index("</table>", html.index("第二十条第（九）项"))
    page = tmp_path / "page.html"
    page.write_text(html[:end] + html[end + len("</table>"):], encoding="utf-8")
    got = extract_json(page)
    assert got["values"] == extracted(CMS_PAGE)["values"]
    assert {p["code"] for p in got["problems"]} == {"rule-unchecked"}, got["problems"]


@pytest.mark.parametrize("signature", ["<p>上海市人民政府办公厅</p><p>2020年1月31日</p>",
                                       "<p>上海市人民政府办公厅　2020年1月31日</p>"])
def test_agency_from_the_signature(tmp_path, signature):
    """No agency in any title: the name signed above the date at the end gives it, with a
    note saying so. Without a signature the agency is unknown (test above)."""
    html = _untitled_cms_page()
    html = re.sub(r"<title>.*?</title>", "<title>上海市人民政府</title>", html)
    html = html.replace("<p>无。</p>", "<p>无。</p>" + signature)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    got = extract_json(page)
    assert (got["agency"], got["region"]["code"]) == ("上海市人民政府办公厅", "310000")
    assert "agency-from-signature" in {p["code"] for p in got["problems"]}


def test_table_lines_running_off_the_page():
    """A table a page break left open whose lines run on above the page: the line that
    closes it is drawn at the page's edge (it was drawn off the page, and reading the page
    failed as 'damaged')."""
    doc = PdfReader().read(ROOT / "tests" / "corpus" / "chromium-pdf" / "vertical-group-cells-page.pdf")
    rows = [[c.text for c in row] for b in doc.blocks if isinstance(b, Table) for row in b.rows]
    assert ["（七）总计", "2751", "2772", "2793", "2814", "2835", "2856", "16821"] in \
        [[t for t in row if t] for row in rows]
    assert ["1", "2", "3", "4", "10", "5", "6", "7", "8", "26", "9", "10", "11", "12", "42"] in rows


def _against_truth(name: str) -> tuple[dict, dict, dict]:
    """A tests/corpus/libreoffice-pdf file read: what came out, its truth, and the values
    read wrong (not blank: different from what the file prints)."""
    folder = ROOT / "tests" / "corpus" / "libreoffice-pdf"
    truth = json.loads((folder / f"{name}.truth.json").read_text(encoding="utf-8"))
    got = extract_json(folder / f"{name}.pdf")
    wrong = {k: (v, truth["values"][k]) for k, v in got["values"].items()
             if v is not None and v != truth["values"][k]}
    return got, truth, wrong


def test_row_cut_by_a_page_break():
    """A row LibreOffice let break across pages: the number cut after its first line (104 on
    one page, 1 on the next) is 1041, and the group label's last words (处理, below the
    repeated header) go back to it: no value cut short, no unknown row."""
    got, truth, _ = _against_truth("row-cut-by-page-break")
    assert got["values"]["apply.rejected_duplicate.total"] == 1041
    assert got["values"] == truth["values"]
    assert not [p for p in got["problems"] if p["severity"] != "info"], got["problems"]


def test_intro_line_is_not_the_title():
    """A PDF's first body line, broken before the body's first comma, says 报告 and has no
    sentence punctuation: it is no title (it gave the agency '本报告根据《中华人民…')."""
    doc = Document([Paragraph(t, i) for i, t in enumerate(
        ["宁波市鄞州区商务局", "2021年政府信息公开工作年度报告",
         "本报告根据《中华人民共和国政府信息公开条例》（以下简称", "《条例》）第五十条规定编制。",
         "一、总体情况"])])
    assert (prose.front_matter(doc).agency, prose.front_matter(doc).year) == ("宁波市鄞州区商务局", 2021)


def test_shaded_header_cells_are_no_ruling_lines():
    """A table without lines whose header cells are shaded: the shading's boxes made a grid
    that cut the first row's wrapped numbers apart (its second line read as the row)."""
    got, _, wrong = _against_truth("shaded-header-no-lines")
    assert not wrong, wrong
    assert sum(v is not None for v in got["values"].values()) > 80


def test_table_wider_than_the_page():
    """A table running past the page's edge: the cells there hold only part of a number.
    They are emptied with an error, never read as the part inside the page (201 as 2)."""
    got, _, wrong = _against_truth("table-wider-than-page")
    assert not wrong, wrong
    assert sum(v is not None for v in got["values"].values()) > 150  # the rest is read
    assert [p["severity"] for p in got["problems"] if p["code"] == "table-off-page"] == ["error"] * 2


def test_a_misprinted_unit_is_not_yuan(tmp_path):
    """Only a heading whose unit is 元 makes its numbers yuan: 采购总金额（一元，…), a misprint
    of 万元 the fuzzer made, leaves 5.0475 as printed (it read 0.00050475)."""
    text = TONGZHOU_TEXT.read_text(encoding="utf-8")
    assert "采购总金额（万元，保留四位小数）" in text
    path = tmp_path / "report.txt"
    path.write_text(text.replace("采购总金额（万元", "采购总金额（一元"), encoding="utf-8")
    got = extract_json(path)
    assert got["values"]["active.procurement.amount"] == extracted(TONGZHOU_TEXT)["values"][
        "active.procurement.amount"]
    assert "amount-in-yuan" not in {p["code"] for p in got["problems"]}


# ---------------------------------------------------------------- Markdown from OCR tools

OCR_MARKDOWN = ROOT / "tests" / "corpus" / "ocr-markdown"


@pytest.mark.parametrize(("markdown", "word"), [
    ("ningbo-yinzhou-2021-mineru.md", "ningbo-yinzhou-shangwuju-2021-a.docx"),
    ("beijing-tongzhou-2020-marker.md", "beijing-tongzhou-shangwuju-2020.docx"),
    ("zibo-zichuan-2020-paddle.md", "zibo-zichuan-zhaoshangju-2020.docx"),
    ("ningbo-yinzhou-2021-b-pandoc-gfm.md", "ningbo-yinzhou-shangwuju-2021-b.docx"),
    ("hangzhou-gongshu-2019-pandoc-strict.md", "hangzhou-gongshu-shangwuju-2019.docx"),
])
def test_ocr_markdown_reads_as_its_word_file(markdown, word):
    """A report as OCR tools write it (headings as "#" and bold, HTML tables with merged
    cells, blank lines between their rows, pipe tables wider than their first row): every
    value, the title, the sections and the signature are the Word file's."""
    got, want = extract_json(OCR_MARKDOWN / markdown), extract_json(GENERATED / word)
    assert got["values"] == want["values"]
    assert (got["agency"], got["year"], got["template"]) == (want["agency"], want["year"], want["template"])
    assert not [p for p in got["problems"] if p["severity"] == "error"]
    assert "transcribed-copy" in {p["code"] for p in got["problems"]}  # not the agency's file
    doc, word_doc = readers.read(OCR_MARKDOWN / markdown), readers.read(GENERATED / word)
    assert doc.format == "markdown"
    assert prose.front_matter(doc) == prose.front_matter(word_doc)
    assert prose.sections(doc) == prose.sections(word_doc)
    assert prose.signature_date(doc) == prose.signature_date(word_doc)


def test_markdown_problem_names_the_line_of_its_row(tmp_path):
    """A broken rule in an HTML table names the line of the row's <tr>, blank lines and all."""
    text = (OCR_MARKDOWN / "zibo-zichuan-2020-paddle.md").read_text(encoding="utf-8")
    row = next(i for i, ln in enumerate(text.split("\n"), 1) if "（一）予以公开" in ln)
    broken = tmp_path / "report.md"
    broken.write_text(text.replace("（一）予以公开</td><td>1</td>", "（一）予以公开</td><td>77</td>"),
                      encoding="utf-8")
    got = extract_json(broken)
    assert got["values"]["apply.disclosed.natural"] == 77
    rows = [p for p in got["problems"] if p["code"] == "rule-broken" and "一行" in p["message"]]
    assert [p["where"].split(" ")[0] for p in rows] == [f"report.md:{row}"]


def test_markdown_syntax_is_not_report_text(tmp_path):
    """Markdown's own marks never reach a label or a heading, and what it would take for
    syntax (a list's number, a row wider than its table's first) stays."""
    path = tmp_path / "report.md"
    path.write_text("\n".join([
        "# **某市某局2021年政府信息公开工作年度报告**", "",
        "## 一、总体情况", "", "本年度共主动公开信息\\*12条。![](images/seal.jpg)", "",
        "1. 属于国家秘密", "",
        "| 信息内容 | 本年制发件数 |", "|---|---|", "| 规章 | 1 | 2 | 3 |",
        "| 行政<br>规范性文件 | 118<br>121 | 0 | 0 |",
    ]), encoding="utf-8")
    doc = readers.read(path)
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert texts == ["某市某局2021年政府信息公开工作年度报告", "一、总体情况",
                     "本年度共主动公开信息*12条。", "1.属于国家秘密"]
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert [[c.text for c in row] for row in table.rows][-2:] == [
        ["规章", "1", "2", "3"], ["行政 规范性文件", "118 / 121", "0", "0"]]  # two numbers, not 118121
    assert table.row_lines[-2:] == [11, 12]


def test_ocr_table_row_a_cell_short_is_not_shifted(tmp_path):
    """An OCR tool lost a cell from the middle of a row: the row is short, its numbers are
    not read one column to the left (a web page's short row is blanks at its end, as a
    browser shows it; an OCR tool's is a cell lost anywhere)."""
    text = (OCR_MARKDOWN / "zibo-zichuan-2020-paddle.md").read_text(encoding="utf-8")
    row = "（一）予以公开</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td>"
    assert row in text
    path = tmp_path / "report.md"
    path.write_text(text.replace(row, row.replace("<td>0</td>", "", 1)), encoding="utf-8")
    got = extract_json(path)
    fields = [k for k in got["values"] if k.startswith("apply.disclosed.")]
    assert len(fields) == 7 and all(got["values"][k] is None for k in fields)
    assert "cells-misaligned" in {p["code"] for p in got["problems"] if p["severity"] == "error"}
    want = extract_json(GENERATED / "zibo-zichuan-zhaoshangju-2020.docx")["values"]
    assert {k: v for k, v in got["values"].items() if k not in fields} == \
        {k: v for k, v in want.items() if k not in fields}


def test_pipe_rows_without_padding_keep_their_blank_end_cells(tmp_path):
    """"|行政许可||107|108||": one bar each side is the row's edge; the blank cells at its
    ends are cells (all the bars were stripped, and the numbers moved a column)."""
    path = tmp_path / "report.md"
    path.write_text("信息内容|上一年项目数量|本年增/减|处理决定数量\n---|---|---|---\n"
                    "|行政许可||107|108||\n", encoding="utf-8")
    [table] = [b for b in readers.read(path).blocks if isinstance(b, Table)]
    assert [c.text for c in table.rows[-1]] == ["行政许可", "", "107", "108", ""]
    assert [c.text for c in table.rows[0]] == ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]


def _marker_with(tmp_path, *edits: tuple[str, str]) -> dict:
    """The Marker-written report with some of its lines changed, extracted."""
    text = (OCR_MARKDOWN / "beijing-tongzhou-2020-marker.md").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    return extract_json(path)


def test_full_grid_row_with_its_last_value_blank(tmp_path):
    """"行政许可 | _ | 19 | 0 | _" in a converter's full grid: the blank under the label's
    second column and the blank last value could not be told apart (the row was left
    blank); the header row's cells say which column each value stands in."""
    got = _marker_with(tmp_path, ("| 行政许可 |  | 19 | 0 | 753 |", "| 行政许可 |  | 19 | 0 |  |"))
    values = got["values"]
    assert (values["active.licensing.prev"], values["active.licensing.change"],
            values["active.licensing.decisions"]) == (19, 0, None)
    assert "cells-misaligned" not in {p["code"] for p in got["problems"]}


@pytest.mark.parametrize(("change", "read"), [("7 | 7", 7), ("7 | 8", None)])
def test_heading_repeated_over_the_columns_it_spans(tmp_path, change, read):
    """Docling writes a merged cell's text in every column it spans, the heading's and the
    value's: "本年增/减 | 本年增/减" over "7 | 7" is one column holding 7. Two different
    numbers under it are no one value."""
    got = _marker_with(
        tmp_path,
        ("| 信息内容 |  | 上一年项目数量 | 本年增/减 |  |",
         "| 信息内容 | 信息内容 | 上一年项目数量 | 本年增/减 | 本年增/减 |"),
        ("| 行政事业性收费 |  | 0 | 0 |  |", f"| 行政事业性收费 | 行政事业性收费 | 3 | {change} |"))
    assert (got["values"]["active.fees.prev"], got["values"]["active.fees.change"]) == \
        ((3, read) if read is not None else (None, None))


def test_misread_number_is_one_unreadable_cell(tmp_path):
    """"l9" (OCR's l for 1) or "19." where a row's first number stands: that cell cannot be
    read; taken for the row's last label, it left the whole row blank."""
    for bad in ("l9", "19."):
        got = _marker_with(tmp_path, ("| 行政许可 |  | 19 | 0 | 753 |", f"| 行政许可 |  | {bad} | 0 | 753 |"))
        values = got["values"]
        assert (values["active.licensing.prev"], values["active.licensing.change"],
                values["active.licensing.decisions"]) == (None, 0, 753)
        assert [p["code"] for p in got["problems"] if "licensing" in p["message"]] == ["cell-unreadable"]


def test_spaced_out_numbers_in_a_pdf():
    """Letter-spaced numbers come out of a PDF's cells as "11 1", "1, 207" or "26. 8万元":
    one number each (a cell with digits a space apart is otherwise two numbers, refused)."""
    got, truth, wrong = _against_truth("spaced-out-numbers")
    assert not wrong, wrong
    assert got["values"] == truth["values"]


def test_control_character_prints_nothing(tmp_path):
    """A stray control byte after the 1 of a number a tab cut in two ("1\\x01", "01"): the
    cell is 1, and the row has a number too many (blank, with an error). Kept, it made "1\\x01"
    a label, and the row's first value read 1 from the "01" after it (the slow fuzz found it)."""
    lines = TONGZHOU_TEXT.read_text(encoding="utf-8").split("\n")
    at = lines.index("\t规章")
    lines[at + 1:at + 2] = ["\t1\x01", "\t01"]
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    got = extract_json(path)
    assert got["values"]["active.rules.made"] is None
    assert any(p["code"] == "cells-misaligned" and "规章" in p["message"] for p in got["problems"])
    assert "\x01" not in "".join(b.text for b in readers.read(path).blocks if isinstance(b, Paragraph))


def test_appeal_heading_repeated_in_each_row_it_spans(tmp_path):
    """Docling writes 表四's merged headings in every row they span: 行政复议's five column
    headings stand again in the row under them. Counted twice, they made twenty columns for
    three groups, and the header was "incomplete" (read in the form's order, with a warning)."""
    review = "| 结 果 维 持 | 结 果 纠 正 | 其 他 结 果 | 尚 未 审 结 | 总 计 "
    got = _marker_with(
        tmp_path,
        ("| 行政复议 |  |  |  |  | 行政诉讼 |  |  |  |  |  |  |  |  |  |",
         "| " + " | ".join(["行政复议"] * 5 + ["行政诉讼"] * 10) + " |"),
        ("| 未经复议直接起诉 |  |  |  |  | 复议后起诉 |  |  |  |  |",
         "| " + " | ".join(["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5) + " |"),
        ("|  |  |  |  |  | 结 果 维 持", review + "| 结 果 维 持"),
        ("| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
         "| " + " | ".join(str(n) for n in range(1, 16)) + " |"))
    assert "header-unreadable" not in {p["code"] for p in got["problems"]}
    assert got["values"]["appeal.review.upheld"] == 1
    assert got["values"]["appeal.suit_after_review.total"] == 15


def test_markdown_fence_never_closed_keeps_its_last_line(tmp_path):
    """A code fence is text as written, without its own ``` lines; one never closed runs to
    the end of the file, whose last line is text too (it was cut as if it were the fence)."""
    path = tmp_path / "report.md"
    path.write_text("# 某局2021年报告\n\n```\n| 规章 | 1 | 2 | 3 |\n```\n\n```\n| 规章 | 4 | 5 | 6 |\n",
                    encoding="utf-8")
    [table] = [b for b in readers.read(path).blocks if isinstance(b, Table)]
    assert [[c.text for c in row] for row in table.rows] == [["规章", "1", "2", "3"], ["规章", "4", "5", "6"]]
    assert table.row_lines == [4, 8]


_NINGBO_TEXT = Path(__file__).parent / "fixtures" / "generated" / "ningbo-yinzhou-shangwuju-2021-a.txt"


def _edited(tmp_path, source: Path, *edits: tuple[str, str]) -> dict:
    """The extract JSON of source's text with each (old, new) replaced: old must be there."""
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"edited{source.suffix}"
    path.write_text(text, encoding="utf-8")
    return extract_json(path)


@pytest.mark.parametrize(("heading", "printed", "read", "code"), [
    ("本年收费金额（单位：万 元）", "26.8", 26.8, None),  # a narrow cell's 万元, wrapped
    ("本年收费金额（万　元）", "26.8", 26.8, None),
    ("本年收费金额/元", "9800", 0.98, "amount-in-yuan"),
    ("本年收费金额【元】", "9800", 0.98, "amount-in-yuan"),
    ("本年收费金额（人民币元）", "9800", 0.98, "amount-in-yuan"),
    ("本年收费金额（单位：千元）", "268", None, "amount-unit-unknown"),
    ("本年收费金额（亿元）", "0.00268", None, "amount-unit-unknown"),
])
def test_an_amount_headings_unit_is_read_as_printed(tmp_path, heading, printed, read, code):
    """A review hunting silent errors: LibreOffice's PDF of a plain table wraps the narrow
    heading 采购总金额（万元） as "（万 / 元）", read as 元, so 26.8 万元 became 0.00268 with a
    note; /元, 【元】 and 人民币元 went unseen, so 9800 元 stood as 9800 万元; 千元 and 亿元
    were taken for 万元. Each is read as it says, or left blank with an error."""
    got = _edited(tmp_path, _NINGBO_TEXT, ("\t本年收费金额（单位：万元）\n", f"\t{heading}\n"),
                  ("\t26.8万元\n", f"\t{printed}\n"))
    assert got["values"]["active.fees.amount"] == read
    codes = {p["code"] for p in got["problems"] if p["code"].startswith("amount")}
    assert codes == ({code} if code else set()), got["problems"]


_TONGZHOU = ROOT / "content" / "reports" / "2020" / "beijing-tongzhou-shangwuju-2020.txt"


@pytest.mark.parametrize(("old", "new", "expected"), [
    # a counter the value cells carry: read, with the word kept as the cell's note
    ("\t政府集中采购\n\t5\n\t5.0475\n", "\t政府集中采购\n\t5批次\n\t5.0475\n\t\n",
     {"active.procurement.items": 5, "active.procurement.amount": 5.0475}),
    ("\t行政处罚\n\t0\n\t0\n\t0\n", "\t行政处罚\n\t932起\n\t+7\n\t220\n\t\n",
     {"active.penalty.prev": 932, "active.penalty.change": 7, "active.penalty.decisions": 220}),
    # a number no value cell prints: unread, in its own column, the others in theirs
    ("\t政府集中采购\n\t5\n\t5.0475\n", "\t政府集中采购\n\t(5)\n\t5.0475\n\t\n",
     {"active.procurement.items": None, "active.procurement.amount": 5.0475}),
    ("\t行政处罚\n\t0\n\t0\n\t0\n", "\t行政处罚\n\t约932\n\t+7\n\t220\n\t\n",
     {"active.penalty.prev": None, "active.penalty.change": 7, "active.penalty.decisions": 220}),
])
def test_a_value_cell_with_words_is_never_a_label(tmp_path, old, new, expected):
    """A review hunting silent errors: "13批次", "932起", "(75)" or "约13" in a value's
    place was taken for a label, and the row's other values moved one column to the left
    into a blank cell after them: 行政处罚 932起 +7 220 read prev 7, change 220."""
    got = _edited(tmp_path, _TONGZHOU, (old, new))
    assert {f: got["values"][f] for f in expected} == expected
    unread = [f for f, v in expected.items() if v is None]
    named = {c for p in got["problems"] if p["severity"] == "error"
             for c in re.findall(r"active\.\w+\.\w+", p["message"])}
    assert set(unread) <= named, got["problems"]


@pytest.mark.parametrize(("subtotal", "warned"), [("22\n\t0\n\t775", False), ("23\n\t0\n\t775", True)])
def test_a_subtotal_among_sub_rows_is_the_rows_not_a_part(tmp_path, subtotal, warned):
    """A review hunting silent errors: 其他对外管理服务事项 printed as 小计, 行政检查 and 行政确认
    was summed with its 小计, doubling the row (with no problem). The 小计 is the row's; the
    parts are checked against it."""
    got = _edited(tmp_path, _TONGZHOU, ("\t其他对外管理服务事项\n\t行政检查\n",
                                        f"\t其他对外管理服务事项\n\t小计\n\t{subtotal}\n\n\t\n\t行政检查\n"))
    prev = 23 if warned else 22
    assert [got["values"][f"active.other_services.{c}"] for c in ("prev", "change", "decisions")] \
        == [prev, 0, 775]
    mismatch = [p for p in got["problems"] if p["code"] == "sub-rows-subtotal"]
    assert len(mismatch) == warned and (not warned or "之和为 22，与所印“小计” 23 不符" in mismatch[0]["message"])
    # placed in table 二, not the table read last (四)
    assert all(p["where"].endswith("二、主动公开政府信息情况") for p in mismatch), mismatch


def test_a_sub_row_named_like_another_row_is_its_parents_part(tmp_path):
    """A review hunting silent errors: under 其他对外管理服务事项 (its cell merged down), the
    sub-rows 行政检查 and 行政处罚: the second was taken for the form's 行政处罚 row, and the
    parent kept 行政检查's numbers alone, with no problem naming it."""
    got = _edited(tmp_path, _TONGZHOU, ("\t行政确认\n\t22\n\t0\n\t775\n", "\t行政处罚\n\t22\n\t0\n\t775\n"))
    assert [got["values"][f"active.other_services.{c}"] for c in ("prev", "change", "decisions")] \
        == [22, 0, 775]
    assert [got["values"][f"active.penalty.{c}"] for c in ("prev", "change", "decisions")] == [0, 0, 0]
    assert not [p for p in got["problems"] if p["severity"] == "error"], got["problems"]


def test_an_items_headings_on_its_own_row_are_read(tmp_path):
    """A review hunting silent errors: with the 第二十条 item's label on its headings' row
    (no 信息内容 cell), the headings went unread and the columns were taken in the form's
    order: printed 总数量 | 新制作 | 新公开, 规范性文件's 1 | 0 | +1 read made 1, total +1."""
    old = ("\t第二十条第（一）项\n\n\t信息内容\n\t本年新制作数量\n\t本年新公开数量\n\t对外公开总数量\n\n"
           "\t规章\n\t0\n\t0\n\t0\n\n\t规范性文件\n\t0\n\t＋1\n\t1\n")
    new = ("\t第二十条第（一）项\n\t对外公开总数量\n\t本年新制作数量\n\t本年新公开数量\n\n"
           "\t规章\n\t0\n\t0\n\t0\n\n\t规范性文件\n\t1\n\t0\n\t＋1\n")
    got = _edited(tmp_path, _TONGZHOU, (old, new))
    assert [got["values"][f"active.normative.{c}"] for c in ("made", "published", "total")] == [0, 1, 1]
    assert "header-unreadable" not in {p["code"] for p in got["problems"]}


def test_table_four_a_group_to_a_row_reads_its_header(tmp_path):
    """A review hunting silent errors: 表四 printed a group to a row under one header row
    that puts 结果纠正 before 结果维持 was read in the form's order, the two swapped (the
    group's total cannot notice a swap between two of its parts)."""
    text = _TONGZHOU.read_text(encoding="utf-8")
    start, end = text.index("四、政府信息公开行政复议"), text.index("五、存在的主要问题")
    heading = text[start:text.index("\n", start) + 1]
    table = "\n\t\n\t结果纠正\n\t结果维持\n\t其他结果\n\t尚未审结\n\t总计\n\n" + "".join(
        f"\t{group}\n" + "".join(f"\t{n}\n" for n in numbers) + "\n"
        for group, numbers in (("行政复议", (3, 1, 7, 2, 13)), ("未经复议直接起诉", (5, 1, 9, 0, 15)),
                               ("复议后起诉", (0, 1, 9, 2, 12))))
    path = tmp_path / "r.txt"
    path.write_text(text[:start] + heading + table + text[end:], encoding="utf-8")
    got = extract_json(path)
    read = {g: [got["values"][f"appeal.{g}.{c}"] for c in ("upheld", "corrected", "other", "pending", "total")]
            for g in ("review", "suit_direct", "suit_after_review")}
    assert read == {"review": [1, 3, 7, 2, 13], "suit_direct": [1, 5, 9, 0, 15],
                    "suit_after_review": [1, 0, 9, 2, 12]}


@pytest.mark.parametrize(("printed", "read"), [("减少2", -2), ("增3项", 3), ("持平", 0), ("−2", -2)])
def test_a_change_said_in_words_is_read(tmp_path, printed, read):
    """A review hunting silent errors: 本年增/减 printed 减少2, 增3, 持平 or with the minus
    sign was no value, so the cell became a label and the row was reported missing though
    printed."""
    got = _edited(tmp_path, _TONGZHOU, ("\t行政许可\n\t19\n\t0\n\t753\n",
                                        f"\t行政许可\n\t19\n\t{printed}\n\t753\n"))
    assert [got["values"][f"active.licensing.{c}"] for c in ("prev", "change", "decisions")] \
        == [19, read, 753]


def test_an_items_unit_after_its_label_holds_for_its_amounts(tmp_path):
    """A review hunting silent errors: 第二十条第（八）项（单位：元） was no item label, so its
    headings were read against the item before it and 9800 元 stood as 9800 万元."""
    got = _edited(tmp_path, _NINGBO_TEXT, ("\t第二十条第（八）项\n", "\t第二十条第（八）项（单位：元）\n"),
                  ("\t本年收费金额（单位：万元）\n", "\t本年收费金额\n"), ("\t26.8万元\n", "\t9800\n"))
    assert got["values"]["active.fees.amount"] == 0.98
    assert "header-unreadable" not in {p["code"] for p in got["problems"]}


def test_a_remarks_column_is_no_label(tmp_path):
    """A review hunting silent errors: table 二 with a 备注 column holding words (按规定公开)
    was lost whole, reported as table-missing: each row's remark, its last text cell, was
    taken for its label, and its numbers with it."""
    old = ("\t信息内容\n\t本年新制作数量\n\t本年新公开数量\n\t对外公开总数量\n\n"
           "\t规章\n\t0\n\t0\n\t0\n\n\t规范性文件\n\t0\n\t＋1\n\t1\n")
    new = ("\t信息内容\n\t本年新制作数量\n\t本年新公开数量\n\t对外公开总数量\n\t备注\n\n"
           "\t规章\n\t0\n\t0\n\t0\n\t按规定公开\n\n\t规范性文件\n\t0\n\t＋1\n\t1\n\t按规定公开\n")
    got, plain = _edited(tmp_path, _TONGZHOU, (old, new)), extract_json(_TONGZHOU)
    assert got["values"] == plain["values"]
    assert "table-missing" not in {p["code"] for p in got["problems"]}
