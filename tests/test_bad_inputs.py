"""Bad inputs (tests/bad_inputs/, written by make.py there): each one gets its named problem.

Whatever the file, extract returns a report, never an internal error, and every problem
names the file (a sidecar's problems name the sidecar, `<report>.yaml`). PDF and Word
files only have to fail cleanly: an error-level problem and no numbers published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.discover import discover, source_for
from nianbao.extract import extract
from nianbao.jsonout import dumps, report_json
from nianbao.model import Report
from tests.conftest import REPORTS

BAD = Path(__file__).parent / "bad_inputs"
# a file that is not text at all: which of these depends on the bytes, all mean "not readable"
UNREADABLE = {"unsupported-format", "not-text", "undecodable"}


def run(name: str) -> Report:
    path = BAD / name
    assert path.exists(), f"run tests/bad_inputs/make.py to write {name}"
    report = extract(source_for(path))
    assert not [p for p in report.problems if p.code == "internal-error"], report.problems
    assert all(p.where.startswith(name) for p in report.problems), \
        [p.where for p in report.problems]
    json.loads(dumps(report_json(report)))  # the JSON contract holds for bad files too
    return report


def problems(report: Report, code: str) -> list:
    return [p for p in report.problems if p.code == code]


def nothing_published(report: Report) -> bool:
    return report.template is None or all(v is None for v in report.values.values())


def test_every_file_is_covered():
    tested = {"empty.txt", "binary.txt", "binary-no-nul.txt", "news-article.txt",
              "cut-in-table-three.txt", "wrong-template.txt", "no-year.txt", "truncated.pdf",
              "encrypted.pdf", "not-word.docx", "sidecar-bad-yaml.txt", "sidecar-unknown-keys.txt"}
    present = {p.name for p in BAD.iterdir() if p.suffix not in (".py", ".yaml")}
    assert present == tested


def test_empty_file():
    report = run("empty.txt")
    assert [p.code for p in report.errors] == ["empty-file"]
    assert nothing_published(report)


@pytest.mark.parametrize("name", ["binary.txt", "binary-no-nul.txt"])
def test_binary_with_a_text_extension(name):
    report = run(name)
    assert {p.code for p in report.errors} & UNREADABLE, report.problems
    assert nothing_published(report)


def test_news_article_is_not_a_report():
    report = run("news-article.txt")
    assert problems(report, "no-tables")
    assert nothing_published(report)
    assert not report.publishable


def test_report_cut_off_in_table_three():
    report = run("cut-in-table-three.txt")
    whole = extract(source_for(REPORTS / "2020" / "beijing-tongzhou-shangwuju-2020.txt"))
    assert report.template == whole.template == "2019"
    # table 四 is gone entirely, table 三 from 4.保护第三方合法权益 on
    gone = problems(report, "table-missing")
    assert len(gone) == 1 and "四、" in gone[0].message
    missing = " ".join(p.message for p in problems(report, "row-missing"))
    for label in ("保护第三方合法权益", "本机关不掌握相关政府信息", "（七）总计", "结转下年度继续办理"):
        assert label in missing
    named = {c for p in report.problems for c in p.cells}
    for field_id, value in report.values.items():
        if value is None and whole.values[field_id] is not None:  # lost with the cut: named
            assert field_id in named or field_id.rsplit(".", 1)[0] in named, field_id
        else:  # printed before the cut: as in the whole report
            assert value == whole.values[field_id], field_id
    assert report.values["apply.withheld_state_secret.total"] == 0
    assert report.values["apply.withheld_third_party.total"] is None


def test_wrong_template_for_the_year():
    report = run("wrong-template.txt")
    assert report.year == 2019 and report.template == "2021"  # read as printed …
    mismatch = problems(report, "template-mismatch")  # … and said
    assert len(mismatch) == 1 and "2019" in mismatch[0].message
    assert sum(v is not None for v in report.values.values()) == len(report.values)


def test_no_year_anywhere():
    report = run("no-year.txt")
    assert report.year is None
    assert problems(report, "year-unknown")[0].severity == "error"
    assert not report.publishable


def test_sidecar_with_bad_yaml():
    report = run("sidecar-bad-yaml.txt")
    bad = problems(report, "sidecar-invalid")
    assert len(bad) == 1 and bad[0].severity == "error"
    assert bad[0].where.startswith("sidecar-bad-yaml.txt.yaml:")  # the file and the line
    assert report.year == 2020  # the report itself is still read


def test_sidecar_with_unknown_keys():
    report = run("sidecar-unknown-keys.txt")
    unknown = problems(report, "sidecar-unknown-key")
    assert len(unknown) == 1 and "author" in unknown[0].message and "url" in unknown[0].message
    assert unknown[0].where == "sidecar-unknown-keys.txt.yaml"
    assert report.agency == "南关区商务局"  # the known keys still count


def test_a_sidecar_is_named_from_the_reports_folder_and_its_date_is_checked(tmp_path):
    """A maintainer's review: a sidecar problem named only "x.txt.yaml" (which of the
    folders?), and `published: 2020年1月15日` was taken without a word, then replaced by the
    signature date."""
    folder = tmp_path / "reports" / "2020"
    folder.mkdir(parents=True)
    report = folder / "nanguan.txt"
    report.write_text((REPORTS / "2020/changchun-nanguan-shangwuju-2020.txt").read_text(
        encoding="utf-8"), encoding="utf-8")
    sidecar = folder / "nanguan.txt.yaml"
    for value, ok in (("2020年1月15日", False), ("2021-02-30", False), ("2021-01-15", True)):
        sidecar.write_text(f"published: {value}\n", encoding="utf-8")
        (source,) = discover(tmp_path / "reports")
        got = extract(source)
        bad = problems(got, "sidecar-invalid")
        assert bool(bad) != ok, value
        if bad:
            assert bad[0].where == "2020/nanguan.txt.yaml"
            assert "YYYY-MM-DD" in bad[0].message or "不存在的日期" in bad[0].message
            assert not problems(got, "internal-error")  # 2021-02-30 was one: YAML's ValueError
            assert got.published != value
        else:
            assert got.published == value
    sidecar.write_text("agency 南关区商务局\nyear: 2020\n", encoding="utf-8")
    (source,) = discover(tmp_path / "reports")
    (bad,) = problems(extract(source), "sidecar-invalid")
    assert bad.where == "2020/nanguan.txt.yaml:2" and "冒号后缺空格" in bad.message


@pytest.mark.parametrize("name", ["truncated.pdf", "encrypted.pdf", "not-word.docx"])
def test_broken_pdf_and_word_files_fail_cleanly(name):
    report = run(name)
    assert report.errors, report.problems
    assert nothing_published(report)
