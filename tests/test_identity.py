"""Agency, region (GB/T 2260) and stable ids; sidecars settle what text cannot."""

from __future__ import annotations

from bench.synth import report
from nianbao.pipeline import build
from nianbao.resolve import match_region
from tests.conftest import REPORTS, extract_json


def test_gazetteer_resolves_to_code():
    assert match_region("南关区商务局").place.code == "220102"
    assert match_region("北京市通州区商务局").place.code == "110112"
    assert match_region("长春市南关区商务局").prefix == "长春市南关区"


def _synthetic(tmp_path, agency, sidecar=None, name="r.txt", seed=21, year=None):
    synth = report(seed, "2019", "cells", broken=False)
    text = synth.text.replace(synth.agency, agency)
    if year:
        text = text.replace(f"{synth.year}年", f"{year}年")
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if sidecar is not None:
        path.with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
    return path


def test_ambiguous_region_is_a_problem_not_a_guess(tmp_path):
    got = extract_json(_synthetic(tmp_path, "通州区商务局"))
    problem = next(p for p in got["problems"] if p["code"] == "region-ambiguous")
    assert "110112" in problem["message"] and "320612" in problem["message"]
    assert got["region"]["code"] is None and got["agency_id"] is None


def test_sidecar_settles_region_and_pins_id(tmp_path):
    got = extract_json(_synthetic(tmp_path, "通州区商务局", "region: 江苏省南通市通州区\n"))
    assert got["region"] == {"province": "江苏省", "city": "南通市", "county": "通州区",
                             "code": "320612"}
    assert got["agency_id"] == "nantong-tongzhou-shangwuju"
    pinned = extract_json(_synthetic(tmp_path, "通州区商务局", "region: '110112'\nid: bj-tz-swj\n",
                                     name="p.txt"))
    assert pinned["region"]["code"] == "110112" and pinned["agency_id"] == "bj-tz-swj"


def test_sidecar_errors_are_named(tmp_path):
    got = extract_json(_synthetic(tmp_path, "南关区商务局", "agency: [unclosed\n"))
    assert any(p["code"] == "sidecar-invalid" and "r.yaml" in p["where"] for p in got["problems"])
    got = extract_json(_synthetic(tmp_path, "南关区商务局", "colour: red\n", name="q.txt"))
    assert any(p["code"] == "sidecar-unknown-key" and "colour" in p["message"]
               for p in got["problems"])


def test_duplicates_and_collisions_publish_neither(tmp_path):
    content = tmp_path / "content"
    reports = content / "reports"
    (reports).mkdir(parents=True)
    (reports / "a.txt").write_text((REPORTS / "2020/zibo-zichuan-zhaoshangju-2020.txt")
                                   .read_text(encoding="utf-8"), encoding="utf-8")
    (reports / "b.txt").write_text((REPORTS / "2020/zibo-zichuan-zhaoshangju-2020.txt")
                                   .read_text(encoding="utf-8"), encoding="utf-8")
    _synthetic(reports, "南关区商务局", name="c.txt", year=2020)
    _synthetic(reports, "南关区商务局", "id: zibo-zichuan-zhaoshangju\n", name="d.txt",
               seed=22, year=2019)
    result = build(content, tmp_path / "output", search=False)
    by_file = {r.source.rel: r for r in result.reports}
    dup = [p for p in by_file["a.txt"].problems if p.code == "duplicate-report"]
    assert dup and "a.txt" in dup[0].message and "b.txt" in dup[0].message
    assert any(p.code == "duplicate-report" for p in by_file["b.txt"].problems)
    assert any(p.code == "id-collision" for p in by_file["d.txt"].problems)
    published = {r.source.rel for r in result.published}
    assert published == {"c.txt"}
