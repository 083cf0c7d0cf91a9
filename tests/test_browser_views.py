# ruff: noqa: F811  (pytest fixtures imported from tests.test_browser and tests.site_fixtures)
"""The compare view and the year tables in a real browser: how they show numbers that cannot
be computed, their legends and messages, the compare CSV, the year filters.

Uses the browser fixtures of tests/test_browser.py (Debian's chromium, the site served under
/nianbao/, every request and console error checked).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from nianbao import figures as fg
from tests.site_fixtures import built_site, make_region_content, serve_folder  # noqa: F401
from tests.test_browser import browser, open_page, site_url  # noqa: F401

pytestmark = pytest.mark.browser

NO_REPORT = "该年度没有这个机关的报告"
ZERO_BASE = "办理结果总计为 0，无法计算占比"
BLANK = "报告中相关单元格空白，无法计算"


def _reports(built):
    return {(r.agency_id, r.year): r for r in built.result.site.reports}


def _years(built) -> list[int]:
    return sorted({r.year for r in built.result.site.reports})


def _compare_url(built, measure: str) -> str:
    ids = sorted({r.agency_id for r in built.result.site.reports})
    return f"compare/?agencies={'%2C'.join(ids)}&measure={measure}"


def _compare_cells(pg) -> list[dict]:
    """Every body cell of the compare table: agency link, year, text, title, classes."""
    return pg.evaluate("""() => {
        const years = [...document.querySelectorAll('#compare-table thead th')].slice(1)
            .map(th => Number(th.textContent));
        return [...document.querySelectorAll('#compare-table tbody tr')].flatMap(tr =>
            [...tr.querySelectorAll('td')].map((td, i) => ({
                agency: tr.querySelector('th a').getAttribute('href').split('/').filter(Boolean).pop(),
                year: years[i], text: td.textContent, title: td.title,
                na: td.classList.contains('na')})));
    }""")


# ---------------------------------------------------------------- shares that cannot be computed


@pytest.mark.parametrize("measure", ["disclosed_share", "partial_share", "received"])
def test_compare_cells_read_as_the_other_pages(open_page, built_site, measure):
    """Each cell shows what report, agency and year pages show for the same figure ("—" when
    办理结果总计 is 0, blank for a blank cell, "100.0%"), with the matching explanation; "—"
    on a hatched cell when the agency has no report that year."""
    pg = open_page(_compare_url(built_site, measure))
    pg.wait_for_selector("#compare-chart svg")
    reports = _reports(built_site)
    cells = _compare_cells(pg)
    assert len(cells) == len({a for a, _ in reports}) * len(_years(built_site))
    seen = set()
    for c in cells:
        report = reports.get((c["agency"], c["year"]))
        if report is None:
            assert (c["text"], c["title"], c["na"]) == ("—", NO_REPORT, True), c
            seen.add("no report")
            continue
        kf = fg.key_figures(report)
        if measure.endswith("_share"):
            expected = fg.share_text(kf, measure.removesuffix("_share"))
        else:
            expected = fg.fmt(kf.values[measure])
        assert c["text"] == expected and not c["na"], c
        if expected == "—":
            assert c["title"] == ZERO_BASE, c
            seen.add("zero base")
        elif expected == "":
            assert c["title"] == BLANK, c
            seen.add("blank")
        else:
            assert c["title"] == "", c
    # the bundled reports have every case this test is about
    assert "no report" in seen
    assert ("zero base" if measure.endswith("_share") else "blank") in seen


def test_compare_zero_over_zero_is_a_dash(open_page):
    """Two reports that both print 办理结果总计 0, neither has a blank cell."""
    pg = open_page("compare/?agencies=hangzhou-gongshu-shangwuju%2Cbeijing-tongzhou-shangwuju"
                   "&measure=disclosed_share")
    pg.wait_for_selector("#compare-chart svg")
    cells = {(c["agency"], c["year"]): c for c in _compare_cells(pg)}
    for key in (("hangzhou-gongshu-shangwuju", 2019), ("beijing-tongzhou-shangwuju", 2020)):
        assert (cells[key]["text"], cells[key]["title"], cells[key]["na"]) == ("—", ZERO_BASE, False)
    assert BLANK not in [c["title"] for c in cells.values()]


def test_compare_formats_shares_as_other_pages(open_page, built_site):
    """One decimal, as fg.fmt(percent=True) gives it: 100.0%, not 100%."""
    reports = _reports(built_site)
    key, report = next((k, r) for k, r in reports.items()
                       if fg.key_figures(r).shares["disclosed"] is not None)
    pg = open_page(f"compare/?agencies={key[0]}&measure=disclosed_share")
    pg.wait_for_selector("#compare-chart svg")
    cell = next(c for c in _compare_cells(pg) if c["year"] == key[1])
    expected = fg.fmt(fg.key_figures(report).shares["disclosed"], percent=True)
    assert cell["text"] == expected and expected.endswith(".0%")  # 100.0% in the bundled site
    assert expected in pg.locator("#compare-chart svg circle title").first.text_content()


def test_year_pages_explain_a_zero_denominator(open_page, built_site):
    """Year table: a "—" share is titled as 办理结果总计 0, not as a blank cell; the years
    summary shows "—" (not a blank) for a year whose 办理结果总计 adds up to 0."""
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_page(f"years/{year}/")
    titles = pg.evaluate("""() => [...document.querySelectorAll('#year-table td')]
        .filter(td => td.textContent.trim() === '—').map(td => td.title)""")
    assert titles and set(titles) == {ZERO_BASE}
    assert "“—”表示办理结果总计为 0" in pg.locator(".page-head").inner_text()
    pg = open_page("years/")
    zero = [y for y in _years(built_site)
            if (t := fg.totals([r for r in built_site.result.site.reports if r.year == y]))
            .share_reports and t.disclosed_share is None]
    assert zero  # 2019: one report, 办理结果总计 0
    for y in zero:
        cell = pg.locator("table tbody tr", has_text=f"{y} 年度").locator("td").nth(2)
        assert cell.inner_text() == "—" and cell.get_attribute("title") == ZERO_BASE


# ---------------------------------------------------------------- compare: legend, filter, CSV


@pytest.mark.parametrize("width", [375, 1280])
def test_compare_legend_is_visible_under_the_table(open_page, built_site, width):
    pg = open_page(_compare_url(built_site, "disclosed_share"), width=width, height=812)
    pg.wait_for_selector("#compare-chart svg")
    legend = pg.locator("#compare-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    assert "“—”" in text and NO_REPORT in text and "空白表示报告中相关单元格空白" in text
    assert ZERO_BASE in text  # a share measure: "—" also means 办理结果总计 0
    table_box = pg.locator("#compare-table").bounding_box()
    assert legend.bounding_box()["y"] > table_box["y"] + table_box["height"] - 1  # under it
    pg.select_option("#measure", "received")  # a count: no share, no zero-denominator "—"
    assert legend.is_visible() and ZERO_BASE not in legend.inner_text()


def test_compare_filter_without_match_says_so(open_page):
    pg = open_page("compare/")
    pg.wait_for_selector("#compare-chart svg")
    hint = pg.locator("#agency-hint")
    assert hint.get_attribute("aria-live") == "polite"
    pg.fill("#agency-filter", "xyz")
    assert pg.locator("#agency-checks li:visible").count() == 0
    assert hint.is_visible() and "没有名称或地区含“xyz”的机关" in hint.inner_text()
    pg.fill("#agency-filter", "商务局")
    shown = pg.locator("#agency-checks li:visible").count()
    assert shown > 0 and f"找到 {shown} 个匹配的机关" in hint.inner_text()
    pg.fill("#agency-filter", "")
    assert hint.inner_text() == ""


def _download_compare_csv(pg) -> bytes:
    with pg.expect_download() as info:
        pg.click("#compare-links a[download]")
    return info.value.path().read_bytes()


def test_compare_csv_holds_numbers_or_nothing(open_page, built_site):
    reports = _reports(built_site)
    for measure in ("disclosed_share", "received"):
        pg = open_page(_compare_url(built_site, measure))
        pg.wait_for_selector("#compare-chart svg")
        raw = _download_compare_csv(pg)
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel and WPS read UTF-8 with the BOM
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        head, body = rows[0], rows[1:]
        years = [int(y) for y in head[1:]]
        assert head[0].startswith("机关") and years == _years(built_site)
        names = {r.agency: r.agency_id for r in reports.values()}
        assert len(body) == len(names)
        for row in body:
            for year, value in zip(years, row[1:], strict=True):
                report = reports.get((names[row[0]], year))
                if report is None:
                    assert value == "", row
                    continue
                kf = fg.key_figures(report)
                want = (kf.shares[measure.removesuffix("_share")] if measure.endswith("_share")
                        else kf.values[measure])
                assert (Decimal(value) if value else None) == want, (row, year)


# ---------------------------------------------------------------- year filters


def _options(pg, key: str) -> list[str]:
    return pg.evaluate(f"""() => [...document.querySelectorAll(
        'select[data-filter={key}] option')].map(o => o.value)""")


def _visible(pg) -> list[dict]:
    return pg.evaluate("""() => [...document.querySelectorAll('#year-table tbody tr')]
        .filter(r => !r.hidden).map(r => ({...r.dataset}))""")


def test_year_filters_province_narrows_city_and_county(open_page, built_site):
    year = max(r.year for r in built_site.result.site.reports)
    reports = [r for r in built_site.result.site.reports if r.year == year]
    jilin = [r for r in reports if r.region.province == "吉林省"]
    assert jilin and len(reports) > len(jilin)
    pg = open_page(f"years/{year}/", width=375, height=812)
    full = _options(pg, "city")
    assert "北京市" in full
    pg.select_option("select[data-filter=province]", "吉林省")
    assert _options(pg, "city") == [""] + sorted({r.region.city for r in jilin})
    assert _options(pg, "county") == [""] + sorted({r.region.county for r in jilin})
    assert {r["province"] for r in _visible(pg)} == {"吉林省"}
    pg.click("#year-filter button[type=reset]")
    pg.wait_for_function("() => document.querySelector('select[data-filter=city]').options.length > 2")
    assert _options(pg, "city") == full
    assert f"显示 {len(reports)} / {len(reports)} 个机关" == pg.locator("#filter-count").inner_text()


def test_year_filters_say_when_nothing_matches(open_page, built_site):
    year = max(r.year for r in built_site.result.site.reports)
    reports = [r for r in built_site.result.site.reports if r.year == year]
    pg = open_page(f"years/{year}/")
    rows = _visible(pg)
    province, kind = next((p, t) for p in _options(pg, "province")[1:]
                          for t in _options(pg, "type")[1:]
                          if not any(r["province"] == p and r["type"] == t for r in rows))
    pg.select_option("select[data-filter=province]", province)
    pg.select_option("select[data-filter=type]", kind)
    assert _visible(pg) == []
    count = pg.locator("#filter-count")
    assert count.get_attribute("aria-live") == "polite"
    text = count.inner_text()
    assert f"显示 0 / {len(reports)} 个机关" in text
    assert "没有同时符合" in text and province in text and kind in text and "清除筛选" in text


@pytest.fixture(scope="session")
def region_site(tmp_path_factory):
    """Two provinces in one year table (no list_limit): 四川 with cities 成都 (three
    counties) and 绵阳 (one), and a province department; 北京 with two districts."""
    from nianbao.pipeline import build

    tmp = tmp_path_factory.mktemp("regions")
    content = make_region_content(tmp / "content")
    settings = content / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("list_limit: 2\n", ""),
                        encoding="utf-8")
    result = build(content, tmp / "output", search=False)
    server, url = serve_folder(tmp / "output")
    yield url, result
    server.shutdown()
    server.server_close()


def test_year_filters_city_narrows_counties(open_page, region_site):
    url, result = region_site
    reports = [r for r in result.site.reports if r.year == 2021]
    pg = open_page("years/2021/", site=url)
    assert len(_visible(pg)) == len(reports)
    pg.select_option("select[data-filter=province]", "四川省")
    assert _options(pg, "city") == ["", "成都市", "绵阳市"]
    assert "东城区" not in _options(pg, "county")
    pg.select_option("select[data-filter=city]", "绵阳市")
    assert _options(pg, "county") == ["", "涪城区"]
    assert [r["county"] for r in _visible(pg)] == ["涪城区"]
    # another province: the city it rules out goes back to 全部, its counties are offered
    pg.select_option("select[data-filter=province]", "北京市")
    assert pg.locator("select[data-filter=city]").input_value() == ""
    assert _options(pg, "county") == ["", "东城区", "西城区"]
    assert {r["province"] for r in _visible(pg)} == {"北京市"}
