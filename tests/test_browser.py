# ruff: noqa: F811  (pytest fixtures imported from tests.site_fixtures)
"""The built site in a real browser: Debian's chromium driven by Playwright.

The site is served by a local HTTP server thread on 127.0.0.1 under /nianbao/ (as GitHub Pages
serves a project site). Every page load records all requests (anything not to 127.0.0.1 is
aborted and fails the test) and every console error.

Needs: `apt-get install -y chromium` and `npm install` in tests/browser (axe-core). Missing
either fails these tests with a message saying so; set NIANBAO_SKIP_BROWSER=1 to skip them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from nianbao import figures as fg
from tests.conftest import ROOT, SEEDS, TRUTH
from tests.site_fixtures import (  # noqa: F401
    built_site,
    make_region_content,
    page,
    serve_folder,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("NIANBAO_SCREENSHOTS", "")) if os.environ.get("NIANBAO_SCREENSHOTS") else None


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("NIANBAO_SKIP_BROWSER") == "1":
        pytest.skip(message + " (NIANBAO_SKIP_BROWSER=1)")
    pytest.fail(message + " — or set NIANBAO_SKIP_BROWSER=1 to skip the browser tests",
                pytrace=False)


@pytest.fixture(scope="session")
def browser():
    if os.environ.get("NIANBAO_SKIP_BROWSER") == "1":
        pytest.skip("NIANBAO_SKIP_BROWSER=1")
    _require(CHROMIUM.exists(), f"{CHROMIUM} not found: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        _require(False, "playwright is not installed: pip install playwright")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    _require(AXE.exists(), f"{AXE} not found: (cd tests/browser && npm ci)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def site_url(built_site):
    server, url = serve_folder(built_site.output)
    yield url
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def built_and_served(content: Path, output: Path):
    """(url, build result) of content built without search, served while the block runs."""
    from nianbao.pipeline import build

    result = build(content, output, search=False)
    server, url = serve_folder(output)
    try:
        yield url, result
    finally:
        server.shutdown()
        server.server_close()


class Recorder:
    def __init__(self):
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def open_page(browser, site_url):
    """open_page(path, width=1280) → a Playwright page; checks requests and console after."""
    contexts = []
    rec = Recorder()

    def route(r):
        url = r.request.url
        rec.requests.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            rec.outside.append(url)
            r.abort()

    def open_(path: str, width: int = 1280, height: int = 900, site: str | None = None):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="zh-CN", service_workers="block")
        context.route("**/*", route)
        contexts.append(context)
        pg = context.new_page()
        pg.on("console", lambda m: rec.errors.append(f"console {m.type}: {m.text}")
              if m.type == "error" else None)
        pg.on("pageerror", lambda e: rec.errors.append(f"page error: {e}"))
        pg.on("requestfailed", lambda r: rec.errors.append(f"request failed: {r.url}")
              if urlsplit(r.url).hostname == "127.0.0.1" else None)
        pg.goto((site or site_url) + path, wait_until="networkidle")
        return pg

    open_.recorder = rec
    open_.base = site_url
    yield open_
    for c in contexts:
        c.close()
    assert rec.requests, "the page made requests"
    assert not rec.outside, f"requests left 127.0.0.1: {rec.outside}"
    assert not rec.errors, rec.errors


def _shot(pg, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# ---------------------------------------------------------------- numbers


def _matches(expected, shown: str) -> bool:
    if isinstance(expected, dict):
        return any(_matches(o, shown) for o in expected["any_of"])
    if expected is None:
        return shown == ""
    return shown != "" and Decimal(shown.replace("+", "")) == Decimal(str(expected))


@pytest.mark.parametrize("truth_name", sorted(SEEDS))
def test_seed_page_shows_published_numbers(open_page, built_site, truth_name):
    truth = json.loads((TRUTH / truth_name).read_text(encoding="utf-8"))
    report = next(r for r in built_site.result.reports if r.source.rel == SEEDS[truth_name])
    pg = open_page(f"{report.agency_id}/{report.year}/")
    shown = pg.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('td[data-field]')].map(td => [td.dataset.field,
            [...td.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
                .map(n => n.data).join('').trim()]))""")
    wrong = {f: (v, shown.get(f)) for f, v in truth["values"].items()
             if f not in shown or not _matches(v, shown[f])}
    assert not wrong
    assert report.agency in pg.locator("h1").inner_text()
    # blank cells really look blank: nothing rendered inside them
    blanks = pg.evaluate("""() => [...document.querySelectorAll('td.blank:not(.unread):not(.broken)')]
        .map(td => td.innerText.trim()).filter(t => t !== '')""")
    assert blanks == []


# ---------------------------------------------------------------- search


def _results(pg) -> list[str]:
    pg.wait_for_function("""() => {
        const s = document.getElementById('search-status').textContent;
        return s && !s.includes('正在搜索');
    }""")
    return pg.evaluate("""() => [...document.querySelectorAll('#search-results a.r-title')]
        .map(a => new URL(a.href).pathname)""")


def _pages_containing(built, word: str, year: int | None = None) -> set[str]:
    """Agency-year pages whose indexed body mentions the word (what search should find)."""
    out = set()
    for r in built.result.site.reports:
        if year and r.year != year:
            continue
        body = page(built.output, f"{r.agency_id}/{r.year}/").find(data_pagefind_body=True)
        text = "".join(body.text().split())
        if word in text:
            out.add(f"/nianbao/{r.agency_id}/{r.year}/")
    return out


@pytest.mark.parametrize("word", ["行政复议", "商务局", "政府集中采购"])
def test_search_finds_expected_pages_and_year_filter_narrows(open_page, built_site, word):
    pg = open_page("search/?q=" + word)
    found = set(_results(pg))
    expected = _pages_containing(built_site, word)
    assert expected, word
    assert found == expected, (word, found ^ expected)
    if word == "商务局":  # 淄川区招商局 is not a 商务局
        assert not any("zhaoshangju" in p for p in found)
    # a year filter narrows the results to that year's pages
    years = sorted({r.year for r in built_site.result.site.reports})
    year = years[0]
    pg.select_option("select[data-filter=year]", str(year))
    narrowed = set(_results(pg))
    assert narrowed == _pages_containing(built_site, word, year)
    assert narrowed < found
    assert f"year={year}" in pg.url and "q=" in pg.url


def test_search_excerpts_quote_the_report_not_the_sites_figures(open_page):
    """An excerpt is the report's own text: not the key figures the site computes from its
    tables (件数, 占比, a hidden 比例条), which every report page has, nor the facts' labels
    glued to their values (地区北京市…). The filters those facts carry still work."""
    pg = open_page("search/?q=行政复议")
    excerpts = pg.evaluate("""() => [...document.querySelectorAll('#search-results li p')]
        .map(p => p.textContent)""")
    assert excerpts
    noise = [e for e in excerpts if any(w in e for w in ("比例条", "占比", "关键数字", "地区北京"))]
    assert not noise, noise
    pg.select_option("select[data-filter=province]", "北京市")
    assert _results(pg) and all("beijing" in p for p in _results(pg))


@pytest.fixture(scope="session")
def mixed_search_site(tmp_path_factory):
    """The bundled reports and the 2021 one, whose prose has 行政复议 where Pagefind's
    indexer keeps it one word; in the others it stands in headings and table heads."""
    import shutil

    from nianbao.pipeline import build
    from tests.conftest import CONTENT
    from tests.site_fixtures import Built

    tmp = tmp_path_factory.mktemp("mixed-search")
    content = tmp / "content"
    shutil.copytree(CONTENT, content)
    generated = Path(__file__).parent / "fixtures" / "generated"
    shutil.copyfile(generated / "ningbo-yinzhou-shangwuju-2021-a.txt",
                    content / "reports" / "ningbo-yinzhou-shangwuju-2021.txt")
    result = build(content, tmp / "output")
    server, url = serve_folder(tmp / "output")
    yield Built(result, tmp / "output", content), url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("word", ["行政复议", "复议"])
def test_search_finds_a_word_the_index_cut_differently_on_each_page(open_page,
                                                                    mixed_search_site, word):
    """Pagefind's indexer cuts Chinese by its context: 行政复议 is a word in one report's
    prose and pieces in 政府信息公开行政复议 elsewhere, and its browser then looks up the
    whole word only (1 report of 6). Every page that holds the word is found."""
    built, url = mixed_search_site
    found = set(_results(open_page(f"search/?q={word}", site=url)))
    expected = _pages_containing(built, word)
    assert len(expected) == len(built.result.site.reports)
    assert found == expected, found ^ expected


def test_search_results_link_to_pages_under_the_sub_path(open_page):
    pg = open_page("search/?q=行政复议")
    links = _results(pg)
    assert links and all(p.startswith("/nianbao/") for p in links)
    pg.click("#search-results a.r-title >> nth=0")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("table#table-apply").count() == 1


def test_search_ignores_quotes(open_page):
    pg = open_page("search/")
    pg.fill("#search-q", "“商务局”")
    pg.press("#search-q", "Enter")
    assert _results(pg)


# ---------------------------------------------------------------- comparison table


def _column(pg, index: int) -> list[str]:
    return pg.evaluate(f"""() => [...document.querySelectorAll('#year-table tbody tr')]
        .filter(r => !r.hidden).map(r => r.cells[{index}].dataset.sort)""")


def test_year_table_sorts_and_filters(open_page, built_site):
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_page(f"years/{year}/")
    heads = pg.locator("#year-table thead th")
    labels = [heads.nth(i).inner_text().strip() for i in range(heads.count())]
    col = labels.index("本年新收申请")
    pg.locator("#year-table thead th").nth(col).locator("button").click()
    assert pg.locator("#year-table thead th").nth(col).get_attribute("aria-sort") == "descending"
    values = _column(pg, col)
    known = [Decimal(v) for v in values if v != ""]
    assert known == sorted(known, reverse=True)
    assert values[len(known):] == [""] * (len(values) - len(known))  # unknown last
    pg.locator("#year-table thead th").nth(col).locator("button").click()
    values = _column(pg, col)
    known = [Decimal(v) for v in values if v != ""]
    assert known == sorted(known)
    # by agency name (text)
    pg.locator("#year-table thead th").nth(0).locator("button").click()
    assert pg.locator("#year-table thead th").nth(0).get_attribute("aria-sort") == "ascending"
    # filter by province
    rows = pg.locator("#year-table tbody tr")
    total = rows.count()
    province = pg.locator("select[data-filter=province] option").nth(1).get_attribute("value")
    pg.select_option("select[data-filter=province]", province)
    visible = pg.evaluate("() => [...document.querySelectorAll('#year-table tbody tr')].filter(r => !r.hidden).map(r => r.dataset.province)")
    assert visible and set(visible) == {province} and len(visible) < total
    assert f"{len(visible)} / {total}" in pg.locator("#filter-count").inner_text()
    # A journalist's review: the lead's totals stayed those of every agency, the filtered
    # ones hidden included. They are the rows shown, computed as the build computes them.
    shown = fg.totals([r for r in built_site.result.site.reports
                       if r.year == year and r.region.province == province])
    lead = pg.locator("#year-totals").inner_text()
    assert lead.startswith(f"筛选出的 {len(visible)} 个机关本年新收申请合计 {fg.fmt(shown.received)} 件")
    if shown.disclosed_share is not None:
        assert f"予以公开占比 {fg.fmt(shown.disclosed_share, percent=True)}。" in lead
    assert "不受筛选影响" in pg.locator("#year-csv-note").inner_text()
    pg.click("#year-filter button[type=reset]")
    pg.wait_for_function("() => document.getElementById('year-totals').textContent.startsWith('全部机关')")
    everyone = fg.totals([r for r in built_site.result.site.reports if r.year == year])
    assert f"合计 {fg.fmt(everyone.received)} 件" in pg.locator("#year-totals").inner_text()
    assert "与下表完全相同" in pg.locator("#year-csv-note").inner_text()


def test_a_filtered_year_table_can_be_shared_and_downloads_under_its_filter(open_page,
                                                                            built_site):
    """A journalist's review: the filter was not kept in the address, and every filtered
    download was named nianbao-2020-筛选.csv, whatever the filter."""
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_page(f"years/{year}/")
    province = pg.locator("select[data-filter=province] option").nth(1).get_attribute("value")
    pg.select_option("select[data-filter=province]", province)
    assert f"province={province}" in unquote(pg.url)
    with pg.expect_download() as dl:
        pg.click("[data-download-visible]")
    assert dl.value.suggested_filename == f"nianbao-{year}-{province}.csv"

    shared = open_page(pg.url.removeprefix(open_page.base))  # the address, opened afresh
    assert shared.locator("select[data-filter=province]").input_value() == province
    visible = shared.evaluate("() => [...document.querySelectorAll('#year-table tbody tr')]"
                              ".filter(r => !r.hidden).map(r => r.dataset.province)")
    assert visible and set(visible) == {province}
    assert shared.locator("#year-totals").inner_text().startswith("筛选出的")
    shared.click("#year-filter button[type=reset]")
    shared.wait_for_function("() => !location.search")


def test_filtered_totals_pool_shares_as_the_build_does(open_page, built_site):
    """Every province's filtered lead against figures.totals: shares pooled (Σ予以公开 ÷
    Σ办理结果总计), rounded half up, reports that could not count said so."""
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_page(f"years/{year}/")
    options = pg.locator("select[data-filter=province] option")
    provinces = [options.nth(i).get_attribute("value") for i in range(1, options.count())]
    for province in provinces:
        pg.select_option("select[data-filter=province]", province)
        t = fg.totals([r for r in built_site.result.site.reports
                       if r.year == year and r.region.province == province])
        expected = f"本年新收申请合计 {fg.fmt(t.received)} 件"
        if t.received_known < t.reports:
            expected += f"（{t.received_known} 份报告可计算）"
        if t.disclosed_share is not None:
            expected += f"，予以公开占比 {fg.fmt(t.disclosed_share, percent=True)}"
        elif t.share_reports:
            expected += "，办理结果总计为 0，无法计算予以公开占比"
        assert pg.locator("#year-totals").inner_text() == f"筛选出的 {t.reports} 个机关{expected}。"


def test_a_swiped_year_table_never_leaves_a_header_half_under_the_names(open_phone, built_site):
    """A journalist's review: on a phone, swiped sideways, the year table came to rest with
    不予公开占比 half under the sticky 机关 column, reading "公开占比" over another share.
    Columns now come to rest beside it, wherever the swipe ends."""
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_phone(f"years/{year}/")
    scroller = "document.getElementById('year-table').closest('.table-scroll')"
    straddling = f"""() => {{
        const s = {scroller}, heads = [...s.querySelectorAll('thead th')];
        const edge = heads[0].getBoundingClientRect().right;
        return heads.slice(1).filter(th => {{
            const r = th.getBoundingClientRect();
            return r.left < edge - 1 && r.right > edge + 1;
        }}).map(th => th.textContent.trim());
    }}"""
    width = pg.evaluate(f"() => {scroller}.scrollWidth - {scroller}.clientWidth")
    assert width > 200  # it does scroll sideways on a phone
    rests = []
    for offset in (37, 150, 333, width // 2):
        pg.evaluate(f"() => {scroller}.scrollTo({{left: {offset}, behavior: 'instant'}})")
        pg.wait_for_timeout(300)
        rests.append(pg.evaluate(f"() => {scroller}.scrollLeft"))
        assert pg.evaluate(straddling) == [], (offset, rests[-1])
    assert len(set(rests)) > 2  # it came to rest at columns along the table


def test_year_table_on_a_phone_shows_figures_first(open_phone, built_site):
    """On a phone the year table's figures start on the first screen, right after the
    agency, whose place and type are shown under its name; the columns that hold them stay
    in the table, so its CSV and the filtered download are the desktop's."""
    year = max(r.year for r in built_site.result.site.reports)
    pg = open_phone(f"years/{year}/")
    got = pg.evaluate("""() => {
        const t = document.getElementById('year-table');
        const heads = [...t.tHead.rows[0].cells];
        const first = heads.find(th => th.textContent.includes('本年新收申请'));
        const row = t.tBodies[0].rows[0];
        return {left: first.getBoundingClientRect().left, width: innerWidth,
                cells: row.cells.length, heads: heads.length,
                where: row.cells[0].querySelector('.under-name').textContent};
    }""")
    assert got["left"] < got["width"] * 0.7, got
    assert got["cells"] == got["heads"] and " · " in got["where"], got
    with pg.expect_download() as dl:
        pg.click("[data-download-visible]")
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    agencies = sorted(r.agency for r in built_site.result.site.reports if r.year == year)
    assert sorted(r[0] for r in rows[1:]) == agencies


def test_home_latest_reports_on_a_phone_show_figures_first(open_phone):
    """The home page's latest reports on a phone: 本年新收申请 on the first screen, each
    report's place under its name instead of in a column of its own."""
    pg = open_phone("")
    got = pg.evaluate("""() => {
        const t = document.getElementById('latest-table');
        const first = [...t.tHead.rows[0].cells].find(th => th.textContent.includes('本年新收申请'));
        return {left: first.getBoundingClientRect().left, width: innerWidth,
                under: t.tBodies[0].rows[0].cells[0].querySelector('.under-name').textContent};
    }""")
    assert got["left"] < got["width"] * 0.7 and got["under"], got


def test_report_downloads_read_on_a_phone(open_phone, built_site):
    """A report's files on a phone, each a card: its name, what it holds, its rows and
    size, all on the screen (the 内容 column was off it to the right)."""
    r = built_site.result.site.reports[0]
    pg = open_phone(f"{r.agency_id}/{r.year}/")
    got = pg.evaluate("""() => {
        const rows = [...document.querySelectorAll('table.downloads tbody tr')];
        return {width: innerWidth, n: rows.length,
                out: rows.flatMap(tr => [...tr.cells]).filter(td => td.textContent.trim())
                    .filter(td => td.getBoundingClientRect().right > innerWidth + 1)
                    .map(td => td.textContent.trim()),
                size: rows[0].cells[3].textContent.trim()};
    }""")
    assert got["n"] and not got["out"], got
    assert got["size"].startswith("大小 "), got


def test_compare_view_url_is_shareable(open_page, built_site):
    ids = sorted({r.agency_id for r in built_site.result.site.reports})[:2]
    pg = open_page(f"compare/?agencies={','.join(ids)}&measure=received")
    pg.wait_for_selector("#compare-chart svg")
    rows = pg.locator("#compare-table tbody tr")
    assert rows.count() == 2
    assert pg.locator("#compare-chart svg path, #compare-chart svg circle").count() >= 2
    pg.select_option("#measure", "disclosed_share")
    assert "measure=disclosed_share" in pg.url and ",".join(ids) in pg.url.replace("%2C", ",")
    assert "予以公开占比" in pg.locator("#compare-h").inner_text()
    # opening the shared URL gives the same choice
    shared = pg.url
    pg2 = open_page(shared.split("/nianbao/", 1)[1])
    pg2.wait_for_selector("#compare-chart svg")
    assert pg2.locator("#measure").input_value() == "disclosed_share"
    assert pg2.locator("#compare-table tbody tr").count() == 2


@pytest.fixture(scope="session")
def split_site(tmp_path_factory, built_site):
    """The seeds with list_limit 2: the list pages as a national corpus has them (agencies
    and years a province to a page, the compare view offering agencies a place at a time)."""
    import shutil


    tmp = tmp_path_factory.mktemp("split")
    content = tmp / "content"
    shutil.copytree(built_site.content, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 2\n")
    with built_and_served(content, tmp / "output") as served:
        yield served


@pytest.fixture(scope="module")
def pingtan_site(tmp_path_factory):
    """The ten 平潭 web pages: years 2019, 2020, 2021 and 2024, and 公安局's 2020 page, which
    lost its body and is not published."""

    tmp = tmp_path_factory.mktemp("pingtan")
    content = tmp / "content"
    (content / "reports").mkdir(parents=True)
    for path in sorted((ROOT / "tests" / "corpus" / "web-text").glob("*.txt")):
        (content / "reports" / path.name).write_bytes(path.read_bytes())
    with built_and_served(content, tmp / "output") as served:
        yield served


def test_compare_places_years_by_their_distance(open_page, pingtan_site):
    """A journalist's review: 2019, 2020, 2021 and 2024 stood evenly spaced, so 2021 → 2024
    looked like one year. The chart's years stand as far apart as they are."""
    url, result = pingtan_site
    agency = next(r.agency_id for r in result.site.reports if r.year == 2024)
    pg = open_page(f"compare/?agencies={agency}&measure=received", site=url)
    pg.wait_for_selector("#compare-chart svg circle")
    labels = pg.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#compare-chart svg text')].filter(t => /^20\\d\\d$/.test(t.textContent))
        .map(t => [t.textContent, Number(t.getAttribute('x'))]))""")
    assert sorted(labels) == ["2019", "2020", "2021", "2024"]
    step = labels["2020"] - labels["2019"]
    assert step > 0 and labels["2021"] - labels["2020"] == pytest.approx(step)
    assert labels["2024"] - labels["2021"] == pytest.approx(3 * step)


def test_compare_says_which_years_were_not_published(open_page, pingtan_site):
    """公安局's 2020 file could not be read: its cell says 未发布, not that there is no
    report, and the CSV leaves it empty like any year without a number."""
    url, result = pingtan_site
    gaj = next(r for r in result.site.reports if "公安局" in r.agency)
    pg = open_page(f"compare/?agencies={gaj.agency_id}&measure=received", site=url)
    pg.wait_for_selector("#compare-table tbody tr td")
    heads = pg.locator("#compare-table thead th").all_inner_texts()
    cells = pg.locator("#compare-table tbody tr").nth(0).locator("td")
    cell = cells.nth(heads.index("2020") - 1)
    assert cell.inner_text() == "未发布"
    assert "未能发布" in cell.get_attribute("title")
    assert cells.nth(heads.index("2021") - 1).get_attribute("title") == "该年度没有这个机关的报告"


def test_compare_on_a_big_site_offers_agencies_a_place_at_a_time(open_page, split_site,
                                                                  axe_source):
    """Past list_limit, data.json lists places (here the five provinces): the first one's
    agencies are offered and chosen; another place's come when it is chosen; the URL names
    the places whose files hold the chosen agencies, so a shared link opens the same."""
    from playwright.sync_api import expect

    url, result = split_site
    pg = open_page("compare/", site=url)
    pg.wait_for_selector("#compare-chart svg")
    places = pg.locator("#agency-place option")
    assert places.count() == len({r.region.province for r in result.site.reports})
    boxes = pg.locator("#agency-checks input[type=checkbox]")
    assert boxes.count() == 1 and boxes.nth(0).is_checked()
    first = boxes.nth(0).get_attribute("value")
    assert "这里共 1 个机关" in pg.locator("#agency-hint").inner_text()
    other_place = places.nth(places.count() - 1).get_attribute("value")
    pg.select_option("#agency-place", other_place)
    expect(boxes).to_have_count(2)  # the chosen one stays listed, the place's own comes
    other = boxes.nth(1).get_attribute("value")
    assert other != first and not boxes.nth(1).is_checked()
    pg.check(f"#agency-checks input[value='{other}']")
    expect(pg.locator("#compare-table tbody tr")).to_have_count(2)
    report = next(r for r in result.site.reports if r.agency_id == other)
    received = fg.key_figures(report).values["received"]
    row = pg.locator("#compare-table tbody tr", has_text=report.agency)
    years = [int(t) for t in pg.locator("#compare-table thead th").all_inner_texts()[1:]]
    cells = row.locator("td").all_inner_texts()
    assert cells[years.index(report.year)].strip() == fg.fmt(received)  # blank when unknown
    shared = pg.url
    assert first in shared and other in shared and other_place in shared
    pg.fill("#agency-filter", "没有这个机关")
    assert "找到 0 个匹配的机关" in pg.locator("#agency-hint").inner_text()
    assert boxes.count() == 2  # the chosen stay listed
    assert not _axe(pg, axe_source)
    again = open_page(shared.removeprefix(url), site=url)  # the shared link
    expect(again.locator("#compare-table tbody tr")).to_have_count(2)
    assert again.locator("#agency-checks input:checked").count() == 2


def test_an_agencys_compare_link_opens_its_own_place(open_page, split_site):
    """与其他机关对比 names the agency and its region, not the place whose page lists it
    (that depends on the whole site): the view finds that place, not the first one, and
    shows the agency chosen. An agency the site lacks is said, not silently replaced."""
    from playwright.sync_api import expect

    url, result = split_site
    pg = open_page("compare/", site=url)
    pg.wait_for_selector("#compare-chart svg")
    first = pg.locator("#agency-place option").first.get_attribute("value")
    report = next(r for r in result.site.reports if r.region.code[:2] + "0000" != first)
    for path in (f"{report.agency_id}/", f"{report.agency_id}/{report.year}/"):
        pg = open_page(path, site=url)
        pg.get_by_role("link", name="与其他机关对比").click()
        pg.wait_for_selector("#compare-chart svg")
        expect(pg.locator(f"#agency-checks input[value='{report.agency_id}']")).to_be_checked()
        assert pg.locator("#compare-table tbody tr").all_inner_texts() == [
            pg.locator("#compare-table tbody tr").first.inner_text()]
        assert report.agency in pg.locator("#compare-table tbody").inner_text()
        assert pg.locator("#agency-place").input_value() != first
    pg = open_page("compare/?agencies=no-such-agency", site=url)
    pg.wait_for_selector("#compare-chart svg")
    assert "没有找到链接中的机关（no-such-agency）" in pg.locator("#agency-hint").inner_text()


def test_big_site_list_pages_are_accessible(open_page, split_site, axe_source):
    url, result = split_site
    year = max(r.year for r in result.site.reports
               if sum(x.year == r.year for x in result.site.reports) > 2)
    problems = {}
    for path in ("", "agencies/", "agencies/110000/", f"years/{year}/", f"years/{year}/110000/"):
        violations = _axe(open_page(path, site=url), axe_source)
        if violations:
            problems[path] = violations
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- accessibility and layout


def test_region_pages_of_a_big_province_are_accessible(open_page, tmp_path, axe_source):
    """A province split into cities (四川, with a table of its own department's reports),
    a city into counties (成都), a municipality into districts (北京)."""
    from nianbao.pipeline import build
    from tests.site_fixtures import make_region_content

    build(make_region_content(tmp_path / "content"), tmp_path / "output", search=False)
    server, url = serve_folder(tmp_path / "output")
    try:
        problems = {}
        for path in ("agencies/510000/", "agencies/510100/", "agencies/110000/",
                     "years/2021/510000/", "years/2021/510100/", "years/2021/510104/"):
            violations = _axe(open_page(path, site=url), axe_source)
            if violations:
                problems[path] = violations
        assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    finally:
        server.shutdown()
        server.server_close()


def _axe(pg, axe_source: str) -> list[dict]:
    pg.add_script_tag(content=axe_source)
    result = pg.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _a11y_pages(built) -> list[str]:
    r = built.result.site.reports[0]
    return ["", f"{r.agency_id}/{r.year}/", f"years/{r.year}/",
            f"compare/?agencies={r.agency_id}", "search/?q=行政复议", f"{r.agency_id}/",
            "data/", "quality/", "about/"]


def test_axe_no_serious_violations(open_page, built_site, axe_source):
    problems = {}
    for path in _a11y_pages(built_site):
        pg = open_page(path)
        if path.startswith("search/"):
            _results(pg)
        violations = _axe(pg, axe_source)
        if violations:
            problems[path] = violations
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def _every_page(built) -> list[str]:
    """Every kind of page, and every agency-year and agency page: one report's tables can be
    wider than another's (its marks, notes, numbers), so one of each kind is not enough."""
    reports = built.result.site.reports
    years = sorted({r.year for r in reports})
    return list(dict.fromkeys([
        *_a11y_pages(built), "agencies/", "years/", *(f"years/{y}/" for y in years),
        *(f"{r.agency_id}/{r.year}/" for r in reports), *(f"{r.agency_id}/" for r in reports)]))


@pytest.fixture
def open_phone(browser, site_url):
    """open_phone(path) → a page in an emulated phone (375×812, is_mobile, touch, dpr 2).

    is_mobile is what a phone does with a page wider than the screen: the layout viewport
    grows to fit it (innerWidth with it), where a plain narrow window scrolls instead."""
    context = browser.new_context(**PHONE, locale="zh-CN", service_workers="block")
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def open_(path: str):
        pg = context.new_page()
        pg.on("console", lambda m: errors.append(f"{path}: {m.text}") if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(f"{path}: page error: {e}"))
        pg.goto(site_url + path, wait_until="networkidle")
        if path.startswith("search/"):
            _results(pg)
        return pg

    yield open_
    context.close()
    assert not outside, outside
    assert not errors, errors


def test_phone_width_has_no_horizontal_scroll(open_page, open_phone, built_site):
    """No page is wider than a phone's screen, in a plain 390 px window and in an emulated
    phone, where the page is measured against the screen (innerWidth grows with the page)."""
    wide = {}
    for path in _every_page(built_site):
        name = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0]).strip("-") or "home"
        pg = open_page(path, width=390, height=844)
        if path.startswith("search/"):
            _results(pg)
        _shot(pg, f"390-{name}")
        sw = pg.evaluate("document.scrollingElement.scrollWidth")
        if sw > 390:
            wide[f"390 {path}"] = sw
        pg.close()
        pg = open_phone(path)
        _shot(pg, f"phone-{name}")
        sw, iw = pg.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        if max(sw, iw) > PHONE["viewport"]["width"]:
            wide[f"phone {path}"] = (sw, iw)
        pg.close()
    assert not wide, wide


def test_404_page_under_sub_path(open_page):
    pg = open_page("no/such/page/")
    assert "页面不存在" in pg.locator("h1").inner_text()
    assert pg.locator("header a").get_attribute("href") == "/nianbao/"
    assert pg.locator("main a").first.get_attribute("href") == "/nianbao/"
    # the browser logs the 404 response itself as a failed resource: expected on this page only
    open_page.recorder.errors[:] = [e for e in open_page.recorder.errors if "404" not in e]


# ---------------------------------------------------------------- serve: edit → reload


def test_serve_reloads_the_open_page_after_an_edit(browser, tmp_path):
    """`build.py serve` with a page open: an edit to a report shows up in that page with no
    click (the fast path rewrites it and livereload reloads the browser), and a report added
    shows up on the home page after the full build and the second reload."""
    import shutil
    import time

    from tests.test_serve import _stop, start_server

    server = start_server(tmp_path)
    try:
        pg = browser.new_page()
        url = f"http://127.0.0.1:{server.port}/beijing-tongzhou-shangwuju/2020/"
        pg.goto(url)
        pg.wait_for_function("window.LiveReload", timeout=10_000)
        pg.wait_for_timeout(1000)  # the websocket handshake
        report = tmp_path / "content" / "reports" / "2020" / "beijing-tongzhou-shangwuju-2020.txt"
        text = report.read_text(encoding="utf-8")
        assert "一是信息公开时限性不强" in text
        start = time.monotonic()
        report.write_text(text.replace("一是信息公开时限性不强", "一是信息公开时效性仍需提高", 1),
                          encoding="utf-8")
        pg.wait_for_function("document.body.innerText.includes('信息公开时效性仍需提高')",
                             timeout=30_000)
        print(f"edit → reloaded page: {time.monotonic() - start:.2f} s")
        assert "pages updated in" in server.log_text()

        pg.goto(f"http://127.0.0.1:{server.port}/")
        assert "通州区卫生健康委员会" not in pg.content()
        new = report.with_name("beijing-tongzhou-weijianwei-2020.txt")
        shutil.copyfile(report, new)
        new.write_text(text.replace("北京市通州区商务局", "北京市通州区卫生健康委员会"),
                       encoding="utf-8")
        pg.wait_for_function("document.body.innerText.includes('通州区卫生健康委员会')",
                             timeout=60_000)
        pg.close()
    finally:
        _stop(server.proc)


# ---------------------------------------------------------------- phone and page layout


def _report_pages(built) -> list[str]:
    return [f"{r.agency_id}/{r.year}/" for r in built.result.site.reports]


def test_form_tables_on_a_phone_keep_their_labels_in_view(open_phone, built_site):
    """Table 三 on a phone: the numbers start in the left half of the first screen, and
    scrolled to its right end every row label (the nested group labels too) is still in
    view, none over another. Table 四: a column group's label (行政诉讼 …) stays in view
    wherever its columns are."""
    for path in _report_pages(built_site):
        pg = open_phone(path)
        apply = pg.evaluate("""() => {
            const t = document.getElementById('table-apply'), w = t.parentElement;
            w.scrollIntoView();
            const box = () => w.getBoundingClientRect();
            const first = t.tBodies[0].querySelector('td').getBoundingClientRect();
            const start = (first.left - box().left) / box().width;
            w.scrollLeft = w.scrollWidth;
            const wr = box();
            const ths = [...t.tBodies[0].querySelectorAll('th')].map(th => {
                const r = th.getBoundingClientRect();
                return {text: th.textContent.trim(), left: r.left, right: r.right, top: r.top,
                        bottom: r.bottom};
            });
            const outside = ths.filter(r => r.left < wr.left - 1 || r.right > wr.right + 1)
                .map(r => r.text);
            const over = [];
            for (const a of ths) for (const b of ths) {
                if (a === b) continue;
                const rows = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                const cols = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                if (rows > 1 && cols > 1) over.push(a.text + ' / ' + b.text);
            }
            return {start, scrolled: w.scrollLeft, outside, over};
        }""")
        assert apply["start"] < 0.5, (path, apply)
        assert not apply["outside"] and not apply["over"], (path, apply)
        appeal = pg.evaluate("""() => {
            const t = document.getElementById('table-appeal'), w = t.parentElement;
            w.scrollIntoView();
            const groups = t.querySelectorAll('thead th[scope=colgroup]');
            const labels = t.querySelectorAll('thead th[scope=colgroup] > .group-label');
            const lost = [];
            for (let x = 0; x <= w.scrollWidth - w.clientWidth + 20; x += 20) {
                w.scrollLeft = x;
                const wr = w.getBoundingClientRect();
                for (const label of labels) {
                    const th = label.parentElement.getBoundingClientRect();
                    const l = label.getBoundingClientRect();
                    const seen = Math.min(th.right, wr.right) - Math.max(th.left, wr.left);
                    if (seen > l.width + 20 && (l.left < wr.left - 1 || l.right > wr.right + 1))
                        lost.push([x, label.textContent]);
                }
            }
            return {groups: groups.length, labels: labels.length, lost};
        }""")
        assert appeal["groups"] and appeal["labels"] == appeal["groups"], (path, appeal)
        assert not appeal["lost"], (path, appeal)
        pg.close()


def test_form_tables_on_a_desktop_read_in_lines(open_page, built_site):
    """Table 三 on a desktop: each row label reads in a line or two, not a character a line
    (the summary table's .outcomes width once reached 表三's group label of that class)."""
    for path in _report_pages(built_site):
        pg = open_page(path)
        tall = pg.evaluate("""() => [...document.querySelectorAll(
                '#table-apply tbody th:not([rowspan]), #table-active tbody th:not([rowspan])')]
            .map(th => [th.textContent.trim(), th.getBoundingClientRect().height
                        / parseFloat(getComputedStyle(th).lineHeight || 20)])
            .filter(([, lines]) => lines > 3.5)""")
        assert not tall, (path, tall)
        pg.close()


def test_a_wide_tables_caption_stays_in_view_as_it_scrolls(open_page, open_phone, built_site):
    """The year table is wider than the page on a desktop and on a phone. Scrolled to its
    right end, its caption is still read where the table starts: a caption is as wide as
    its table, and scrolled away with it."""
    path = f"years/{built_site.result.site.reports[0].year}/"
    for pg in (open_page(path), open_phone(path)):
        wide = pg.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
            .filter(w => w.scrollWidth > w.clientWidth + 20 && w.querySelector('caption .cap')
                    && !w.querySelector('caption').matches('.visually-hidden'))
            .map(w => {
                w.scrollLeft = w.scrollWidth;
                const box = w.getBoundingClientRect();
                const cap = w.querySelector('caption .cap').getBoundingClientRect();
                return [w.querySelector('caption').id, w.scrollLeft, cap.left - box.left,
                        box.right - cap.right];
            })""")
        assert [c[0] for c in wide] == ["year-caption"], wide
        assert all(c[1] > 0 and c[2] >= -1 and c[3] >= -1 for c in wide), wide
        pg.close()


def test_links_in_tables_and_trails_are_a_finger_wide_on_a_phone(open_phone, built_site):
    """A cell's ≠ and ? links, the breadcrumbs and a report's files on the downloads page:
    24 × 24 px at least on a touch screen (they were 7 × 14)."""
    marked = [r for r in built_site.result.site.reports
              if any(p.cells and p.kind == "parse" for p in r.problems)]
    assert marked
    small = []
    for path in [f"{marked[0].agency_id}/{marked[0].year}/", "data/"]:
        pg = open_phone(path)
        small += pg.evaluate("""() => [...document.querySelectorAll(
                'a.mark, .crumbs a, .file-list a')]
            .map(a => [a.textContent.trim(), a.getBoundingClientRect()])
            .filter(([, r]) => r.width && (r.width < 23.5 || r.height < 23.5))
            .map(([t, r]) => [t, Math.round(r.width), Math.round(r.height)])""")
        pg.close()
    assert not small, small


def test_money_amounts_say_their_unit(open_page, built_site):
    """An amount (采购总金额, in 万元) says 万元 where it is shown: in its column's header on
    the report page and in its row's label on the agency page."""
    for r in built_site.result.site.reports:
        pg = open_page(f"{r.agency_id}/{r.year}/")
        heads = pg.evaluate("""() => [...document.querySelectorAll('td[data-field$=".amount"]')]
            .map(td => {
                const table = td.closest('table');
                const row = table.tHead.rows[table.tHead.rows.length - 1];
                return row.cells[td.cellIndex].innerText;
            })""")
        assert heads and all("万元" in h for h in heads), (r.agency_id, heads)
        pg = open_page(f"{r.agency_id}/")
        labels = [t for t in pg.locator("table.active-cmp tbody th").all_inner_texts()
                  if "金额" in t]
        assert labels and all("万元" in t for t in labels), (r.agency_id, labels)


def test_downloads_are_named_by_their_file_names(open_page):
    """The data page names each download by its file name (no "../"), and each link works."""
    from urllib.request import Request, urlopen

    pg = open_page("data/")
    links = pg.evaluate("""() => [...document.querySelectorAll(
        'table.downloads a, table.packages a[download]')]
        .map(a => ({text: a.textContent.trim(), href: a.href}))""")
    assert len(links) > 10
    for link in links:
        name = urlsplit(link["href"]).path.rsplit("/", 1)[-1]
        assert link["text"] == name and "/" not in link["text"], link
        with urlopen(Request(link["href"], method="HEAD")) as response:
            assert response.status == 200, link


def test_downloads_per_report_read_on_a_phone(open_phone):
    """On a phone each report's downloads are readable: the report's name is not squeezed to
    two characters a line, and no link runs past the right edge."""
    pg = open_phone("data/")
    rows = pg.evaluate("""() => {
        const w = document.querySelector('table.packages').closest('.table-scroll')
            .getBoundingClientRect();
        return [...document.querySelectorAll('table.packages tbody tr')].map(tr => {
            const name = tr.querySelector('th a').getBoundingClientRect();
            const lineHeight = parseFloat(getComputedStyle(tr.querySelector('th a')).lineHeight);
            return {name: tr.querySelector('th').innerText, lines: name.height / lineHeight,
                    cut: [...tr.querySelectorAll('a')].filter(a =>
                        a.getBoundingClientRect().right > Math.min(w.right, innerWidth) + 1)
                        .map(a => a.textContent)};
        });
    }""")
    assert rows
    for row in rows:
        assert row["lines"] < 2.5 and not row["cut"], row


def test_agency_with_one_year_draws_no_trend_charts(open_page, built_site):
    """An agency with one year's report has no per-item trend charts (one bar says nothing
    about a trend), and says why; its numbers are in the table above."""
    years: dict[str, int] = {}
    for r in built_site.result.site.reports:
        years[r.agency_id] = years.get(r.agency_id, 0) + 1
    single = [a for a, n in years.items() if n == 1]
    assert single
    for agency in single:
        pg = open_page(f"{agency}/")
        assert pg.locator(".chart-card, svg.chart").count() == 0, agency
        assert "两个年度" in pg.locator("#charts-one-year").inner_text(), agency
        assert pg.locator("table.figures-by-year tbody tr").count() > 10, agency


def test_home_search_placeholder_fits_on_a_phone(open_phone):
    pg = open_phone("")
    fit = pg.evaluate("""() => {
        const input = document.getElementById('home-q'), s = getComputedStyle(input);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = s.font;
        return [ctx.measureText(input.placeholder).width,
                input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)];
    }""")
    assert fit[0] <= fit[1], fit


def test_footer_sits_at_the_bottom_of_a_short_page(open_page, built_site):
    """A page shorter than the window ends with the footer at the window's bottom, not a
    white band under it."""
    years = sorted({r.year for r in built_site.result.site.reports})
    for path in [*(f"years/{y}/" for y in years), "agencies/", "years/"]:
        pg = open_page(path, width=1366, height=900)
        bottom, height, inner = pg.evaluate("""() => [
            document.querySelector('.site-footer').getBoundingClientRect().bottom + scrollY,
            document.scrollingElement.scrollHeight, innerHeight]""")
        assert abs(bottom - max(height, inner)) <= 1, (path, bottom, height, inner)


def test_404_page_has_the_site_icon(open_page):
    """The 404 page, at any depth, names the site's icon at the site's root (else the browser
    asks for /favicon.ico, another 404)."""
    import time

    pg = open_page("no/such/page/")
    icon = open_page.base + "assets/favicon.svg"
    assert pg.evaluate("[...document.querySelectorAll('link[rel=icon]')].map(l => l.href)") == [icon]
    deadline = time.monotonic() + 5
    while icon not in open_page.recorder.requests and time.monotonic() < deadline:
        pg.wait_for_timeout(100)
    assert icon in open_page.recorder.requests
    assert not [u for u in open_page.recorder.requests if "/no/such/page/assets/" in u]
    open_page.recorder.errors[:] = [e for e in open_page.recorder.errors if "404" not in e]


# ---------------------------------------------------------------- compare and year views

NO_REPORT = "该年度没有这个机关的报告"
ZERO_BASE = "办理结果总计为 0，无法计算占比"
BLANK = "报告中相关单元格空白或未能读出，无法计算"


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
    assert "“—”" in text and NO_REPORT in text and "空白表示报告中相关单元格空白或未能读出" in text
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

    tmp = tmp_path_factory.mktemp("regions")
    content = make_region_content(tmp / "content")
    settings = content / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("list_limit: 2\n", ""),
                        encoding="utf-8")
    with built_and_served(content, tmp / "output") as served:
        yield served


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


# ---------------------------------------------------------------- search: the words as typed, every result
#
# Pagefind only proposes candidates: its browser side splits a name it does not know (江门,
# 新会区) into single characters, each matched as the start of a word (江 finds 九江), and a
# word it has not indexed (不存在) as its longest indexed start (不). search.js keeps the pages
# whose indexed text holds every word as typed, checking candidates a batch at a time, and
# shows them a page (20) at a time with a "显示更多" button, over every year's bundle.

SEARCH_PAGE = 20
_BLOCKS = {"address", "article", "aside", "br", "caption", "dd", "details", "div", "dl", "dt",
           "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li",
           "nav", "ol", "p", "section", "summary", "table", "td", "th", "tr", "ul"}


@pytest.fixture(scope="session")
def synth_search_site(tmp_path_factory):
    """100 synthetic reports (bench.synth, seed 0: 新会区商务局 of 江门, agencies of 九江 and
    盐城 among them), five years, the search index a bundle per year (shard limit 30)."""
    import shutil

    from bench.synth import write_corpus
    from nianbao.pipeline import build
    from tests.conftest import CONTENT
    from tests.site_fixtures import Built

    tmp = tmp_path_factory.mktemp("synth-search")
    content = tmp / "content"
    content.mkdir()
    shutil.copyfile(CONTENT / "site.yaml", content / "site.yaml")
    write_corpus(content, 100)
    result = build(content, tmp / "output", shard_pages=30)
    manifest = json.loads((tmp / "output" / "pagefind" / "nianbao-bundles.json").read_text("utf-8"))
    assert len(manifest["bundles"]) == 5  # a bundle per year
    server, url = serve_folder(tmp / "output")
    yield Built(result, tmp / "output", content), url
    server.shutdown()
    server.server_close()


def _squash(text: str) -> str:
    return "".join(text.split()).lower()


def _indexed_texts(built) -> dict[str, str]:
    """Each agency-year page's indexed text as search.js compares it: the data-pagefind-body
    without its data-pagefind-ignore parts, blocks kept apart (a word never runs from one
    table cell into the next), without spaces, lower-cased."""
    def text(n) -> str:
        if "data-pagefind-ignore" in n.attrs:
            return ""
        inner = "".join(c if isinstance(c, str) else text(c) for c in n.children)
        return f"\0{inner}\0" if n.tag in _BLOCKS else inner

    out = {}
    for r in built.result.site.reports:
        body = page(built.output, f"{r.agency_id}/{r.year}/").find(data_pagefind_body=True)
        out[f"/nianbao/{r.agency_id}/{r.year}/"] = _squash(text(body))
    return out


def _containing(built, *words: str) -> set[str]:
    return {p for p, text in _indexed_texts(built).items()
            if all(_squash(w) in text for w in words)}


def _search_done(pg) -> None:
    pg.wait_for_function("""() => {
        const s = document.getElementById('search-status').textContent;
        const more = document.getElementById('search-more');
        return s && !s.includes('正在搜索') && !(more && more.getAttribute('aria-disabled'));
    }""")


def _shown(pg) -> list[str]:
    return pg.evaluate("""() => [...document.querySelectorAll('#search-results a.r-title')]
        .map(a => new URL(a.href).pathname)""")


def _every_result(pg) -> list[str]:
    """Every result, clicking "显示更多" until it goes."""
    _search_done(pg)
    for _ in range(100):
        if not pg.locator("#search-more").is_visible():
            break
        pg.click("#search-more")
        _search_done(pg)
    return _shown(pg)


@pytest.mark.parametrize("word", ["江门", "新会区", "新会区商务局", "九江"])
def test_search_a_name_finds_the_pages_that_hold_it(open_page, synth_search_site, word):
    """A place or agency name finds the pages that hold it, all of them, and nothing else
    (江门 was 13 pages, 九江's and 盐城's first; 新会区 all 100): the count says so, and each
    excerpt marks the name, not its characters."""
    built, url = synth_search_site
    expected = _containing(built, word)
    assert 0 < len(expected) < 20, word
    pg = open_page("search/?q=" + word, site=url)
    found = _every_result(pg)
    assert len(found) == len(set(found)) and set(found) == expected, (word, set(found) ^ expected)
    assert pg.locator("#search-status").inner_text() == f"找到 {len(expected)} 份含“{word}”的报告。"
    assert pg.locator("#search-more").is_hidden()
    marks = pg.evaluate("""() => [...document.querySelectorAll('#search-results li')].map(li =>
        [...li.querySelectorAll('mark')].map(m => m.textContent.replace(/\\s+/g, '')))""")
    assert all(m and set(m) == {word} for m in marks), marks


@pytest.mark.parametrize("words", ["不存在", "xyzzy不存在", "行政复议 不存在"])
def test_search_for_words_no_page_holds_says_so(open_page, built_site, words):
    """Pagefind answers 不存在 with every page holding 不; the page says that none holds it."""
    assert not _containing(built_site, *words.split())
    pg = open_page("search/?q=" + words)
    _search_done(pg)
    assert _shown(pg) == []
    quoted = "和".join(f"“{w}”" for w in words.split())
    assert pg.locator("#search-status").inner_text() == (
        f"没有报告{'同时' if ' ' in words else ''}含{quoted}。")
    assert pg.locator("#search-more").is_hidden()


@pytest.mark.parametrize("width", [375, 1280])
def test_search_shows_every_result_a_page_at_a_time(open_page, synth_search_site, axe_source,
                                                    width):
    """A word every report holds: a page of results first, then "显示更多" until every
    result of every year's bundle is shown, each once; the count is exact at the end, the
    button moves focus to the first new result, nothing scrolls sideways on a phone."""
    built, url = synth_search_site
    expected = _containing(built, "行政复议")
    assert len(expected) == len(built.result.site.reports) > 3 * SEARCH_PAGE
    pg = open_page("search/?q=行政复议", width=width, site=url)
    _search_done(pg)
    assert len(_shown(pg)) == SEARCH_PAGE
    assert pg.locator("#search-more").is_visible()
    assert "找到至少 20 份含“行政复议”的报告" in pg.locator("#search-status").inner_text()
    assert pg.locator("#search-status").get_attribute("aria-live") == "polite"
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= width
    assert not _axe(pg, axe_source)
    pg.click("#search-more")
    _search_done(pg)
    assert len(_shown(pg)) == 2 * SEARCH_PAGE
    assert pg.evaluate("""() => document.activeElement ===
        document.querySelectorAll('#search-results a.r-title')[20]""")
    found = _every_result(pg)
    assert len(found) == len(set(found)) and set(found) == expected
    assert {p.split("/")[3] for p in found} == {str(r.year) for r in built.result.site.reports}
    assert pg.locator("#search-status").inner_text() == f"找到 {len(expected)} 份含“行政复议”的报告。"
    assert pg.locator("#search-more").is_hidden()


def test_search_by_filters_alone_shows_every_page(open_page, synth_search_site):
    built, url = synth_search_site
    year = 2019
    expected = {f"/nianbao/{r.agency_id}/{r.year}/" for r in built.result.site.reports
                if r.year == year}
    assert len(expected) > SEARCH_PAGE
    pg = open_page(f"search/?year={year}", site=url)
    _search_done(pg)
    assert len(_shown(pg)) == SEARCH_PAGE
    assert pg.locator("#search-status").inner_text() == (
        f"找到 {len(expected)} 份符合所选条件的报告，显示前 {SEARCH_PAGE} 份。")
    found = _every_result(pg)
    assert len(found) == len(expected) and set(found) == expected


def test_search_puts_the_words_together_first(open_page, synth_search_site):
    """Two words: the pages that hold both; those that hold them side by side first."""
    built, url = synth_search_site
    both = _containing(built, "商务局", "2021")
    together = _containing(built, "商务局2021")
    assert together and both - together  # pages of each kind
    pg = open_page("search/?q=商务局 2021", site=url)
    found = _every_result(pg)
    assert set(found) == both and len(found) == len(both)
    assert set(found[:len(together)]) == together
    assert pg.locator("#search-status").inner_text() == (
        f"找到 {len(both)} 份同时含“商务局”和“2021”的报告。")


@pytest.mark.parametrize("quoted", ["“商务局 2021”", '"商务局 2021"', "「商务局2021」"])
def test_search_takes_a_quoted_phrase_as_one_word(open_page, synth_search_site, quoted):
    """Quotes make a phrase one word (spaces in it do not count): the pages that hold it."""
    built, url = synth_search_site
    pg = open_page("search/", site=url)
    pg.fill("#search-q", quoted)
    pg.press("#search-q", "Enter")
    found = _every_result(pg)
    assert set(found) == _containing(built, "商务局2021") and found
    assert "含“商务局2021”" in pg.locator("#search-status").inner_text()


def test_search_asks_before_checking_more_candidates(browser, synth_search_site):
    """Past a round of candidates (500; here 30, search.js rewritten as served) the page says
    how far it got and offers "继续查找", which keeps the focus until the answer is final."""
    from urllib.request import urlopen

    built, url = synth_search_site
    with urlopen(url + "assets/search.js") as response:
        js = response.read().decode("utf-8")
    assert "var ROUND = 500;" in js
    context = browser.new_context(locale="zh-CN", service_workers="block")
    try:
        context.route("**/assets/search.js", lambda r: r.fulfill(
            body=js.replace("var ROUND = 500;", "var ROUND = 30;"),
            content_type="application/javascript"))
        errors: list[str] = []
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(url + "search/?q=不存在", wait_until="networkidle")
        _search_done(pg)
        total = len(built.result.site.reports)
        assert pg.locator("#search-status").inner_text() == (
            f"还没有找到含“不存在”的报告（已逐字核对 {total} 份可能相关报告中的 30 份）。")
        assert pg.locator("#search-more").inner_text() == "继续查找"
        pg.focus("#search-more")
        for checked in (60, 90):
            pg.keyboard.press("Enter")
            _search_done(pg)
            assert f"中的 {checked} 份" in pg.locator("#search-status").inner_text()
            assert pg.evaluate("document.activeElement.id") == "search-more"
        pg.keyboard.press("Enter")
        _search_done(pg)
        assert pg.locator("#search-status").inner_text() == "没有报告含“不存在”。"
        assert pg.locator("#search-more").is_hidden() and _shown(pg) == []
        assert pg.evaluate("document.activeElement.id") == "search-q"
        assert not errors, errors
    finally:
        context.close()
