"""Every published cell of the five seeds, exactly as spec/seeds-truth says."""

from __future__ import annotations

import pytest

from tests.conftest import SEEDS


def _matches(expected, got) -> bool:
    if isinstance(expected, dict):  # {"any_of": [...]}: the printed text cannot decide
        return any(got == option and type(got) is type(option) for option in expected["any_of"])
    if expected is None:
        return got is None
    return got == expected and got is not None and not isinstance(got, bool)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_value_exact(seed_results, name):
    truth, got = seed_results[name]
    assert set(got["values"]) == set(truth["values"]), "a value for every field of the template"
    wrong = {k: (v, got["values"][k]) for k, v in truth["values"].items()
             if not _matches(v, got["values"][k])}
    assert not wrong


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_identity(seed_results, name):
    truth, got = seed_results[name]
    for key in ("agency", "year", "template", "region", "extra_rows"):
        assert got[key] == truth[key], key


def test_blank_is_not_zero(seed_results):
    truth, got = seed_results["000_6ef92f06de48b6b1.json"]
    assert got["values"]["apply.new.natural"] == 0
    assert got["values"]["apply.new.commercial"] is None


def test_missing_rows_are_named(seed_results):
    _, got = seed_results["001_2c2532b92fa8338a.json"]
    missing = [p for p in got["problems"] if p["code"] == "row-missing"]
    named = " ".join(p["message"] for p in missing)
    for label in ("行政处罚", "行政强制", "行政事业性收费", "政府集中采购",
                  "本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量"):
        assert label in named
    misaligned = [p for p in got["problems"] if p["code"] == "cells-misaligned"]
    assert len(misaligned) == 1 and "本机关不掌握相关政府信息" in misaligned[0]["message"]
    assert ":60" in misaligned[0]["where"] and "收到和处理" in misaligned[0]["where"]


def test_agency_completed_from_body(seed_results):
    _, got = seed_results["004_6d2805c236cf6dac.json"]
    assert got["agency"] == "拱墅区商务局"
    assert any(p["code"] == "agency-completed" for p in got["problems"])


def test_stable_ids(seed_results):
    ids = {name: got["agency_id"] for name, (_, got) in seed_results.items()}
    assert ids == {
        "000_6ef92f06de48b6b1.json": "changchun-nanguan-shangwuju",
        "001_2c2532b92fa8338a.json": "zhengzhou-zhongmu-shangwuju",
        "002_90cadabf32ab491f.json": "beijing-tongzhou-shangwuju",
        "003_d67b1e978b819952.json": "zibo-zichuan-zhaoshangju",
        "004_6d2805c236cf6dac.json": "hangzhou-gongshu-shangwuju",
    }


def test_prose_sections_and_signature():
    from nianbao.discover import source_for
    from nianbao.extract import extract
    from tests.conftest import REPORTS

    report = extract(source_for(REPORTS / SEEDS["002_90cadabf32ab491f.json"]))
    titles = [(s.number, s.title) for s in report.sections]
    assert ("一", "总体情况") in titles and ("六", "其他需要报告的事项") in titles
    overview = next(s for s in report.sections if s.title == "总体情况")
    assert "全年主动公开政府信息80条" in overview.markdown
    problems = next(s for s in report.sections if s.number == "五")
    assert problems.markdown.count("\n\n") == 1  # two paragraphs
    zhongmu = extract(source_for(REPORTS / SEEDS["001_2c2532b92fa8338a.json"]))
    assert zhongmu.signed == "2020-12-28"
    table_section = next(s for s in zhongmu.sections if s.number == "二")
    assert "本年度办" not in table_section.markdown  # label fragments are not prose
