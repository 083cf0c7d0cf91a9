"""Agency, region (GB/T 2260) and stable ids; sidecars settle what text cannot."""

from __future__ import annotations

import pytest
from pypinyin import lazy_pinyin

from bench.synth import report
from nianbao.pipeline import build
from nianbao.resolve import _place_readings, agency_id, complete_agency, gazetteer, match_region
from tests.conftest import REPORTS, extract_json


def test_gazetteer_resolves_to_code():
    assert match_region("南关区商务局").place.code == "220102"
    assert match_region("北京市通州区商务局").place.code == "110112"
    assert match_region("长春市南关区商务局").prefix == "长春市南关区"


def test_place_names_are_read_as_places():
    """pypinyin reads a character as in everyday words (花都 huadou, 长治 zhangzhi, 朝阳
    zhaoyang); an id reads a place name as the place is read. The department is not a
    place name: read as pypinyin reads it."""
    cases = {
        "广州市花都区商务局": "guangzhou-huadu-shangwuju",
        "长治市财政局": "changzhi-caizhengju",
        "山西省长治市长子县民政局": "changzhi-zhangzi-minzhengju",  # the one zhang
        "辽宁省朝阳市统计局": "chaoyang-tongjiju",
        "北京市朝阳区司法局": "beijing-chaoyang-sifaju",
        "郑州市中牟县商务局": "zhengzhou-zhongmou-shangwuju",
        "南京市六合区财政局": "nanjing-luhe-caizhengju",
        "成都市郫都区财政局": "chengdu-pidu-caizhengju",
        "吉林省长白朝鲜族自治县财政局": "baishan-changbaichaoxianzu-caizhengju",
        "长春市南关区商务局": "changchun-nanguan-shangwuju",  # as before
        "厦门市思明区民政局": "xiamen-siming-minzhengju",
    }
    assert {a: agency_id(a, match_region(a).place) for a in cases} == cases


def test_places_with_one_short_name_keep_their_ids_apart():
    """长沙县 lies in 长沙市, 黄山区 in 黄山市, 吉林市 in 吉林省: by their short names alone
    each pair's agencies would share an id, and a collision publishes neither."""
    pairs = [("长沙市统计局", "长沙县统计局"), ("黄山市财政局", "黄山市黄山区财政局"),
             ("吉林省统计局", "吉林市统计局"), ("南昌市民政局", "南昌县民政局"),
             ("抚顺市统计局", "辽宁省抚顺市抚顺县统计局")]
    for pair in pairs:
        ids = [agency_id(a, match_region(a).place) for a in pair]
        assert ids[0] != ids[1], ids
    assert agency_id("长沙县统计局", match_region("长沙县统计局").place) == \
        "changsha-changshaxian-tongjiju"
    assert agency_id("吉林省统计局", match_region("吉林省统计局").place) == "jilin-tongjiju"


def test_two_agencies_of_one_short_place_name_are_both_published(tmp_path):
    content = tmp_path / "content"
    for n, agency in enumerate(("长沙市统计局", "长沙县统计局")):
        _synthetic(content / "reports", agency, name=f"r{n}.txt", year=2020)
    result = build(content, tmp_path / "out", search=False)
    assert sorted(r.agency_id for r in result.site.reports) == [
        "changsha-changshaxian-tongjiju", "changsha-tongjiju"]
    assert not [p for r in result.reports for p in r.problems if p.code in (
        "duplicate-report", "id-collision")]


def test_every_place_reading_is_needed():
    """Each entry of place_readings.yaml names places the gazetteer has and changes how
    they are read: a character's reading, what pypinyin makes of some of them; a name's,
    what pypinyin with the characters' readings makes of it (长子 stays zhangzi). The table
    holds corrections, nothing else."""
    _, names, characters = _place_readings()
    places = {p.short for p in gazetteer().by_code.values()}
    for name, reading in names.items():
        assert any(name in p for p in places), name
        without = [characters.get(c, r) for c, r in zip(name, lazy_pinyin(name))]
        assert "".join(without) != reading, name
    for char, reading in characters.items():
        misread = [p for p in places if char in p
                   and any(c == char and r != reading for c, r in zip(p, lazy_pinyin(p)))]
        assert misread, char


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


@pytest.mark.parametrize("agency, code, agency_id", [
    ("北京市民政局", "110000", "beijing-minzhengju"),
    ("上海市财政局", "310000", "shanghai-caizhengju"),
    ("重庆市商务委员会", "500000", "chongqing-shangwuweiyuanhui"),
    ("北京市通州区商务局", "110112", "beijing-tongzhou-shangwuju"),
])
def test_a_municipality_is_not_ambiguous_with_its_own_city_entries(tmp_path, agency, code,
                                                                    agency_id):
    """The gazetteer lists 北京市 as a province (110000) and as a city (110100); 重庆市
    twice as a city. A municipal department is the municipality's, whose counties stay
    where they were."""
    got = extract_json(_synthetic(tmp_path, agency))
    assert got["region"]["code"] == code and got["agency_id"] == agency_id
    assert not [p for p in got["problems"] if p["code"].startswith("region-")]


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
    # two agencies given one id for the same year: a collision, not a duplicate to delete
    for name, agency in (("e.txt", "长沙市统计局"), ("f.txt", "长沙县统计局")):
        _synthetic(reports, agency, "id: changsha-tongji\n", name=name, year=2020)
    result = build(content, tmp_path / "output", search=False)
    by_file = {r.source.rel: r for r in result.reports}
    for name in ("e.txt", "f.txt"):
        assert [p.code for p in by_file[name].problems if p.severity == "error"] == ["id-collision"]
    dup = [p for p in by_file["a.txt"].problems if p.code == "duplicate-report"]
    assert dup and "a.txt" in dup[0].message and "b.txt" in dup[0].message
    assert any(p.code == "duplicate-report" for p in by_file["b.txt"].problems)
    assert any(p.code == "id-collision" for p in by_file["d.txt"].problems)
    published = {r.source.rel for r in result.published}
    assert published == {"c.txt"}


def test_a_line_of_other_text_is_not_completed_as_an_agency():
    """A file that is no report (a JSON file dropped among the reports) gave a 14 KB
    "title"; completing it from the body compiled a pattern for each of its tails (37 s).
    A name longer than any agency's is not completed; a short one is, from the body."""
    body = "拱墅区商务局本着依法、准确、及时、有效、便民的原则……"
    assert complete_agency("区商务局", body) == ["拱墅区商务局"]
    line = "商务局" + "本着依法、准确、及时、有效、便民的原则" * 5
    assert complete_agency(line, "拱墅区" + line) == []


def _tongzhou(tmp_path, title_year: str, signed: str, sidecar: str = ""):
    """Seed 002 (2020) with its title's year, a statement of its period and a signature."""
    text = (REPORTS / "2020/beijing-tongzhou-shangwuju-2020.txt").read_text(encoding="utf-8")
    text = text.replace("2020年政府信息公开工作年度报告", f"{title_year}年政府信息公开工作年度报告", 1)
    text = text.replace("一、总体情况", "一、总体情况\n本报告中所列数据的统计期限自2020年1月1日起至"
                        "2020年12月31日止。", 1)
    path = tmp_path / "tongzhou.txt"
    path.write_text(text + f"\n北京市通州区商务局\n{signed}\n", encoding="utf-8")
    if sidecar:
        (tmp_path / "tongzhou.txt.yaml").write_text(sidecar, encoding="utf-8")
    return extract_json(path)


def test_a_title_year_both_the_period_and_the_signature_contradict_is_not_published(tmp_path):
    """A maintainer's typo (2012 for 2021) was published as 2012, with a warning that 2012
    should use the 2019 form. The body's period and the date it was signed both say 2020:
    the report is not published under the title's year, and the message says why."""
    got = _tongzhou(tmp_path, "2012", "2021年1月20日")
    assert got["year"] is None
    (conflict,) = [p for p in got["problems"] if p["code"] == "year-conflict"]
    assert conflict["severity"] == "error"
    assert "标题写的是 2012 年度" in conflict["message"]
    assert "统计期限为 2020 年" in conflict["message"] and "2021-01-20" in conflict["message"]
    assert "template-mismatch" not in {p["code"] for p in got["problems"]}


def test_a_title_year_out_of_range_is_refused_once(tmp_path):
    """1999 is refused by the range check; the title check then has no year to weigh (it
    compared None with 2019: an internal error)."""
    got = _tongzhou(tmp_path, "1999", "2021年1月20日")
    codes = [p["code"] for p in got["problems"] if p["severity"] == "error"]
    assert got["year"] is None and codes.count("year-unknown") == 1
    assert "internal-error" not in codes and "year-conflict" not in codes


def test_a_title_year_one_other_date_contradicts_is_published_with_a_warning(tmp_path):
    got = _tongzhou(tmp_path, "2020", "2023年1月20日")
    assert got["year"] == 2020 and got["template"] == "2019"
    (doubt,) = [p for p in got["problems"] if p["code"] == "year-doubtful"]
    assert doubt["severity"] == "warning" and "落款日期为 2023-01-20" in doubt["message"]
    agreed = _tongzhou(tmp_path, "2020", "2021年1月20日")
    assert not {"year-doubtful", "year-conflict"} & {p["code"] for p in agreed["problems"]}


def test_a_sidecar_year_settles_a_title_year_in_conflict(tmp_path):
    got = _tongzhou(tmp_path, "2012", "2021年1月20日", sidecar="year: 2020\n")
    assert got["year"] == 2020
    assert not {"year-doubtful", "year-conflict"} & {p["code"] for p in got["problems"]}
    (note,) = [p for p in got["problems"] if p["code"] == "year-from-sidecar"]
    assert note["severity"] == "info" and "标题写的是 2012 年度" in note["message"]
