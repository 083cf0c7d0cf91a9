"""The build publishes PDF, OFD, DOCX and HTML reports side by side with text ones."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

from nianbao.pipeline import build
from tests.conftest import CONTENT, REPORTS, ROOT

FIXTURES = Path(__file__).parent / "fixtures"


def test_mixed_formats_publish_side_by_side(tmp_path):
    content = tmp_path / "content"
    reports = content / "reports"
    reports.mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    shutil.copy(REPORTS / "2020/changchun-nanguan-shangwuju-2020.txt", reports / "a.txt")
    shutil.copy(FIXTURES / "shared/002_tongzhou_2020.docx", reports / "b.docx")
    shutil.copy(FIXTURES / "generated/zibo-zichuan-zhaoshangju-2020.pdf", reports / "c.pdf")
    shutil.copy(FIXTURES / "generated/hangzhou-gongshu-shangwuju-2019.utf-8.html", reports / "d.html")
    shutil.copy(FIXTURES / "generated/ningbo-yinzhou-shangwuju-2021-a.docx", reports / "e.docx")
    shutil.copy(FIXTURES / "generated/zhengzhou-zhongmu-shangwuju-2020.ofd", reports / "f.ofd")
    result = build(content, tmp_path / "output", search=False)
    formats = {r.source.rel: (r.format, r.agency_id, r.year, r.template) for r in result.published}
    assert formats == {
        "a.txt": ("text", "changchun-nanguan-shangwuju", 2020, "2019"),
        "b.docx": ("docx", "beijing-tongzhou-shangwuju", 2020, "2019"),
        "c.pdf": ("pdf", "zibo-zichuan-zhaoshangju", 2020, "2019"),
        "d.html": ("html", "hangzhou-gongshu-shangwuju", 2019, "2019"),
        "e.docx": ("docx", "ningbo-yinzhou-shangwuju", 2021, "2021"),
        "f.ofd": ("ofd", "zhengzhou-zhongmou-shangwuju", 2020, "2019"),
    }
    for rel, (_, agency_id, year, _) in formats.items():
        folder = tmp_path / "output" / "data" / agency_id / str(year)
        original = folder / f"{agency_id}-{year}{Path(rel).suffix}"
        assert original.read_bytes() == (reports / rel).read_bytes()
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert descriptor["sources"][0]["path"] == original.name
        page = (tmp_path / "output" / agency_id / str(year) / "index.html").read_text(
            encoding="utf-8")
        kind = {".txt": "纯文本", ".docx": "Word 文档", ".pdf": "PDF", ".html": "网页",
                ".ofd": "OFD 版式文件"}[Path(rel).suffix]
        assert f'下载原始文件</a> <span class="muted">（{kind}，' in page  # what it is, first


def test_ocr_markdown_publishes_as_a_transcript(tmp_path):
    """A scanned report's OCR text (Markdown) publishes like any report, said to be a
    transcript on its page, its problems placed by the file's own line numbers."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    text = (ROOT / "tests/corpus/ocr-markdown/zibo-zichuan-2020-paddle.md").read_text(encoding="utf-8")
    row = next(i for i, ln in enumerate(text.split("\n"), 1) if "（一）予以公开" in ln)
    (content / "reports" / "r.md").write_text(
        text.replace("（一）予以公开</td><td>1</td>", "（一）予以公开</td><td>77</td>"), encoding="utf-8")
    result = build(content, tmp_path / "output", search=False)
    [report] = result.published
    assert (report.format, report.agency_id, report.year) == ("markdown", "zibo-zichuan-zhaoshangju", 2020)
    page = (tmp_path / "output" / report.agency_id / "2020" / "index.html").read_text(encoding="utf-8")
    assert '下载原始文件</a> <span class="muted">（Markdown 文本，' in page
    assert "原始文件为转写本，非机关发布的原件" in page
    assert f"位置：原始文件第 {row} 行" in page


def test_a_damaged_page_is_placed_by_its_page(tmp_path):
    """An OFD whose second page is cut short is not published, and the data-quality page
    sends the reader to that page of the file: 第 2 页, not 第 2 行."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    with zipfile.ZipFile(FIXTURES / "generated/zibo-zichuan-zhaoshangju-2020.ofd") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    page = "Doc_0/Pages/Page_1/Content.xml"
    parts[page] = parts[page][: len(parts[page]) // 2]
    with zipfile.ZipFile(content / "reports" / "broken.ofd", "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    result = build(content, tmp_path / "output", search=False)
    assert not result.published
    quality = (tmp_path / "output" / "quality" / "index.html").read_text(encoding="utf-8")
    assert "原始文件第 2 页" in quality and "原始文件第 2 行" not in quality


def test_unpublished_files_say_whose_they_are(tmp_path):
    """A report with no body (the web page of 平潭综合实验区公安局 2020 lost its content) and
    a second file for the same agency-year are not published; the data-quality page names the
    agency and year it could read, links the original, and the home page says why."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    web = ROOT / "tests" / "corpus" / "web-text"
    shutil.copy(web / "dept_gaj_2020_80590_page_EMPTYBODY.txt", content / "reports" / "gaj.txt")
    shutil.copy(REPORTS / "2020/changchun-nanguan-shangwuju-2020.txt", content / "reports" / "a.txt")
    shutil.copy(REPORTS / "2020/changchun-nanguan-shangwuju-2020.txt", content / "reports" / "b.txt")
    result = build(content, tmp_path / "output", search=False)
    assert not result.published
    quality = (tmp_path / "output" / "quality" / "index.html").read_text(encoding="utf-8")
    assert "<strong>平潭综合实验区公安局 2020 年度</strong> · <code>gaj.txt</code>" in quality
    assert 'href="https://www.pingtan.gov.cn/' in quality
    assert "<strong>南关区商务局 2020 年度</strong> · <code>a.txt</code>" in quality
    home = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert "3 个文件未发布（读不出报告，或与另一个文件重复）" in home


def test_an_agency_page_names_its_years_that_were_not_published(tmp_path):
    """平潭综合实验区公安局's 2019 report publishes, its 2020 web page lost its body: the agency
    page lists 2019 and says 2020's file was not published and why, linking its entry on the
    data-quality page. Once the file goes, a rebuild (the agency's unit is otherwise
    unchanged, so it would be reused) drops the note."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    web = ROOT / "tests" / "corpus" / "web-text"
    shutil.copy(web / "dept_gaj_2019_80569_page.txt", content / "reports" / "gaj-2019.txt")
    broken = content / "reports" / "gaj-2020.txt"
    shutil.copy(web / "dept_gaj_2020_80590_page_EMPTYBODY.txt", broken)
    output = tmp_path / "output"
    result = build(content, output, search=False)
    assert [(r.source.rel, r.year) for r in result.published] == [("gaj-2019.txt", 2019)]
    agency_id = result.published[0].agency_id
    doc = (output / agency_id / "index.html").read_text(encoding="utf-8")
    assert "已发布 1 份年度报告" in doc  # not "共 1 份", beside a year that is missing
    note = re.search(r'<p class="note withheld">(.*?)</p>', doc, re.S)
    assert note and "2020 年度的报告文件 <code>gaj-2020.txt</code> 未能发布" in note.group(1)
    assert "原因：未找到任何表格" in note.group(1)
    anchor = re.search(r'href="\.\./quality/#([\w-]+)"', note.group(1)).group(1)
    quality = (output / "quality" / "index.html").read_text(encoding="utf-8")
    assert re.search(rf'<li id="{anchor}">.*?<code>gaj-2020.txt</code>', quality, re.S)
    # The compare view tells that year from one without a report (a journalist's review:
    # it said 该年度没有这个机关的报告), once another agency's 2020 gives the year a column.
    shutil.copy(web / "dept_czj_2020_80589_page.txt", content / "reports" / "czj-2020.txt")
    build(content, output, search=False)
    data = json.loads((output / "compare" / "data.json").read_text(encoding="utf-8"))
    entry = next(a for a in data["agencies"] if a["id"] == agency_id)
    assert entry["unpublished"] == [2020] and list(entry["years"]) == ["2019"]
    assert all("unpublished" not in a for a in data["agencies"] if a["id"] != agency_id)
    compare = (output / "compare" / "index.html").read_text(encoding="utf-8")
    row = re.search(rf'<tr><th scope="row"><a href="\.\./{agency_id}/">.*?</tr>', compare).group(0)
    assert re.search(r'<td class="num na" title="该年度有报告文件，但未能发布[^"]*">未发布</td>', row)
    (content / "reports" / "czj-2020.txt").unlink()

    broken.unlink()
    build(content, output, search=False)
    doc = (output / agency_id / "index.html").read_text(encoding="utf-8")
    assert "withheld" not in doc and "共 1 份年度报告" in doc


def test_one_file_published_as_two_agencies_is_pointed_out_on_both(tmp_path):
    """A maintainer's review: a byte-identical copy of 拱墅's report with a sidecar naming
    another agency published as a second agency, with nothing said. Both publish (offices
    that share one report exist), each with a warning naming the other; the first agency's
    page, reused by an incremental build, shows it too."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    original = REPORTS / "2019/hangzhou-gongshu-shangwuju-2019.txt"
    shutil.copy(original, content / "reports" / "gongshu.txt")
    output = tmp_path / "output"
    build(content, output, search=False)
    shutil.copy(original, content / "reports" / "copy.txt")
    (content / "reports" / "copy.txt.yaml").write_text("agency: 杭州市上城区商务局\n",
                                                        encoding="utf-8")
    result = build(content, output, search=False)
    assert len(result.published) == 2
    for r in result.published:
        (same,) = [p for p in r.problems if p.code == "same-file"]
        other = "copy.txt" if r.source.rel == "gongshu.txt" else "gongshu.txt"
        assert same.severity == "warning" and other in same.message
    page = (output / "hangzhou-gongshu-shangwuju" / "2019" / "index.html").read_text(encoding="utf-8")
    assert "文件内容完全相同" in page
