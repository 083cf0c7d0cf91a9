"""The command line contract: extract's JSON lines, build's summary and exit status."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from nianbao import catalogue as cat
from tests.conftest import CONTENT, REPORTS, ROOT, SEEDS

KEYS = {"source", "agency", "agency_id", "region", "year", "template", "values", "extra_rows",
        "problems"}


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_extract_prints_one_json_object_per_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    files = [str(REPORTS / rel) for rel in SEEDS.values()] + [str(empty)]
    proc = run("extract", *files)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().split("\n")
    assert len(lines) == len(files)
    for line, path in zip(lines, files):
        obj = json.loads(line)
        assert set(obj) == KEYS
        assert obj["source"] == path
        assert set(obj["region"]) == {"province", "city", "county", "code"}
        for p in obj["problems"]:
            assert set(p) == {"code", "severity", "message", "where"}
        if obj["template"]:
            assert list(obj["values"]) == cat.load().template(obj["template"]).field_ids
    last = json.loads(lines[-1])
    assert last["template"] is None and last["problems"][0]["code"] == "empty-file"
    assert str(empty) in last["problems"][0]["where"]


def test_extract_names_what_it_could_not_read_and_fails(tmp_path):
    """A missing file, a folder and a sidecar are each named on stderr; the reports among
    them are still printed, and the exit status says that something was left out (it was 0,
    and a sidecar was read as a report whose agency was its YAML)."""
    report = tmp_path / "a.txt"
    report.write_text((REPORTS / SEEDS["002_90cadabf32ab491f.json"]).read_text(encoding="utf-8"),
                      encoding="utf-8")
    sidecar = tmp_path / "a.txt.yaml"
    sidecar.write_text("agency: 北京市通州区商务局\n", encoding="utf-8")
    proc = run("extract", str(tmp_path / "gone.txt"), str(tmp_path), str(sidecar), str(report))
    assert proc.returncode == 2
    assert [json.loads(line)["source"] for line in proc.stdout.splitlines()] == [str(report)]
    lines = proc.stderr.splitlines()
    assert lines[0] == f"{tmp_path / 'gone.txt'}: no such file"
    assert lines[1].startswith(f"{tmp_path}: a folder")
    assert lines[2].startswith(f"{sidecar}: a sidecar")


def test_validate_without_a_built_site_fails(tmp_path):
    proc = run("validate", "--output", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "build the site first" in proc.stderr


def test_build_summary_problems_and_exit_status(tmp_path):
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    (content / "site.yaml").write_text((CONTENT / "site.yaml").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    seed = REPORTS / SEEDS["002_90cadabf32ab491f.json"]
    (content / "reports" / "good.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    (content / "reports" / "binary.txt").write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "out"
    proc = run("--content", str(content), "--output", str(out), "--no-search")
    assert proc.returncode == 0, proc.stderr
    assert "2 reports, 1 agency-years published" in proc.stdout
    assert "binary.txt" in proc.stdout
    assert (out / "data" / "beijing-tongzhou-shangwuju" / "2020" / "datapackage.json").exists()
    strict = run("build", "--content", str(content), "--output", str(out), "--no-search",
                 "--strict")
    assert strict.returncode == 1
    assert strict.stdout == proc.stdout  # a no-op lists the same problems
    assert (out / "data" / "all" / "datapackage.json").exists()  # a strict failure still built


def test_build_cannot_run_without_content(tmp_path):
    proc = run("--content", str(tmp_path / "nowhere"), "--output", str(tmp_path / "o"))
    assert proc.returncode != 0


def test_build_lists_errors_and_warnings_and_counts_notes(tmp_path):
    """A national corpus has hundreds of thousands of notes: the command counts them by kind
    and lists them only with --verbose; errors and warnings are always listed."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    notes_only = SEEDS["004_6d2805c236cf6dac.json"]  # its problems are all notes
    mixed = SEEDS["001_2c2532b92fa8338a.json"]  # an error, warnings and notes
    for rel in (notes_only, mixed):
        (content / "reports" / rel).parent.mkdir(exist_ok=True)
        (content / "reports" / rel).write_bytes((REPORTS / rel).read_bytes())
    args = ("--content", str(content), "--output", str(tmp_path / "out"), "--no-search")
    quiet, verbose = run(*args), run(*args, "--verbose")
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr + verbose.stderr

    def listed(stdout):  # (severity, code, file) of each problem line under a file
        return {(line.split()[0], line.split()[1], line.split()[2].split(":")[0])
                for line in stdout.splitlines()
                if line.startswith("  ") and len(line.split()) > 3}

    everything = listed(verbose.stdout)
    assert ("info", "agency-completed", notes_only) in everything
    assert ("error", "cells-misaligned", mixed) in everything
    assert listed(quiet.stdout) == {p for p in everything if p[0] != "info"}
    assert notes_only not in quiet.stdout.splitlines()  # no file heading without a line under it
    assert notes_only in verbose.stdout.splitlines()
    for out in (quiet.stdout, verbose.stdout):
        tally = out[out.index("problems by kind:"):].splitlines()
        assert "  info    header-missing              1" in tally
        assert "  error   cells-misaligned            1" in tally
    assert "--verbose lists them" in quiet.stdout and "--verbose lists" not in verbose.stdout


def test_two_files_for_one_agency_year_fail_the_build(tmp_path):
    """Neither of two files for one agency-year publishes, so the page that was live goes;
    the build writes every other report and exits 1, naming the files, so that the Pages
    workflow stops before deploying a site without it."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    original = content / "reports" / "2020" / "beijing-tongzhou-shangwuju-2020.txt"
    shutil.copy(original, original.with_name("copy.txt"))
    out = tmp_path / "out"
    proc = run("--content", str(content), "--output", str(out), "--no-search")
    assert proc.returncode == 1
    assert "2 files claim an agency-year or an id that another file claims" in proc.stderr
    assert "2020/copy.txt" in proc.stderr
    assert (out / "zibo-zichuan-zhaoshangju" / "2020" / "index.html").is_file()
    assert not (out / "beijing-tongzhou-shangwuju").exists()


def test_a_placeholder_address_is_pointed_out(tmp_path):
    """The bundled site.yaml's base_url is example.github.io: every citation, feed and
    package's homepage carried it with nothing said. The build says so, until it is set."""
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    shutil.copy(REPORTS / "2020/changchun-nanguan-shangwuju-2020.txt", content / "reports")
    proc = run("--content", str(content), "--output", str(tmp_path / "out"), "--no-search")
    assert "note: the site's address is https://example.github.io/nianbao/, a placeholder" \
        in proc.stdout
    settings = content / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "https://example.github.io/nianbao/", "https://open.example.gov.cn/"), encoding="utf-8")
    proc = run("--content", str(content), "--output", str(tmp_path / "out"), "--no-search")
    assert proc.returncode == 0 and "a placeholder" not in proc.stdout


def test_the_console_places_a_pdf_or_word_problem_by_page_or_paragraph():
    """The console printed "x.pdf:2", which a maintainer reads as line 2; the site says
    原始文件第 2 页. A text file keeps "x.txt:60", the form editors and grep take."""
    from nianbao.cli import where_text

    assert where_text("2020/x.pdf", "2020/x.pdf:2 三、收到和处理政府信息公开申请情况") \
        == "2020/x.pdf 第 2 页 三、收到和处理政府信息公开申请情况"
    assert where_text("x.ofd", "x.ofd:3") == "x.ofd 第 3 页"
    assert where_text("x.docx", "x.docx:14 表三") == "x.docx 第 14 段 表三"
    assert where_text("x.txt", "x.txt:60 表三") == "x.txt:60 表三"
    assert where_text("x.pdf", "x.pdf.yaml:2") == "x.pdf.yaml:2"  # its sidecar's line


def test_extract_show_prints_what_was_read_for_a_maintainer():
    """From a maintainer's review: extract printed only the JSON contract, so when a report's
    numbers came out wrong nothing showed whether the reader split its table wrongly or the
    parser matched it wrongly. --show prints the grids as read, with their lines (a Word
    file's paragraphs, a PDF's pages) and merged cells, then the fields and the problems."""
    zhongmu = REPORTS / SEEDS["001_2c2532b92fa8338a.json"]
    docx = ROOT / "tests" / "fixtures" / "generated" / "beijing-tongzhou-shangwuju-2020.docx"
    encrypted = ROOT / "tests" / "fixtures" / "generated" / "encrypted.pdf"
    proc = run("extract", "--show", str(zhongmu), str(docx), str(encrypted))
    assert proc.returncode == 0, proc.stderr
    text, word, locked = proc.stdout.split("\n== ")
    assert "机关：中牟县商务局（zhengzhou-zhongmu-shangwuju） · 地区：河南省郑州市中牟县 410122" in text
    assert "  行 37    │ 规章 │ 0 │ 0 │ 0\n" in text
    assert "字段：198 个，有数值 167 个，空白 31 个（row-missing 24，cells-misaligned 7）" in text
    assert "  error   cells-misaligned     原始文件第 60 行 · 三、收到和处理政府信息公开申请情况：" in text
    assert "地区：北京市通州区 110112" in word  # not 北京市北京市
    assert re.search(r"\n  段 \d+ +│ 〃 │ 行政确认 │ 22 │ 0 │ 775\n", word)
    assert "不发布" in locked and "读不出内容：PDF 文件已加密" in locked
    assert "encrypted-pdf" in locked


def test_a_reader_that_stops_early_gets_no_traceback():
    """`extract ... | head`: the pipe closes under the printing; Python's traceback for that
    would bury the lines the maintainer wanted."""
    zhongmu = REPORTS / SEEDS["001_2c2532b92fa8338a.json"]
    proc = subprocess.run(f'"{sys.executable}" build.py extract --show "{zhongmu}" | head -1',
                          shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.stdout.startswith("== ") and proc.stdout.count("\n") == 1
    assert proc.stderr == ""
