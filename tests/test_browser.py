# ruff: noqa: F811  (pytest fixtures imported from tests.site_fixtures)
"""The built site in a real browser: Debian's chromium driven by Playwright.

The site is served by a local HTTP server thread on 127.0.0.1 under /nianbao/ (as GitHub Pages
serves a project site). Every page load records all requests (anything not to 127.0.0.1 is
aborted and fails the test) and every console error.

Needs: `apt-get install -y chromium` and `npm install` in tests/browser (axe-core). Missing
either fails these tests with a message saying so; set NIANBAO_SKIP_BROWSER=1 to skip them.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao import figures as fg
from tests.conftest import SEEDS, TRUTH
from tests.site_fixtures import built_site, page, serve_folder  # noqa: F401

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

    from nianbao.pipeline import build

    tmp = tmp_path_factory.mktemp("split")
    content = tmp / "content"
    shutil.copytree(built_site.content, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 2\n")
    result = build(content, tmp / "output", search=False)
    server, url = serve_folder(tmp / "output")
    yield url, result
    server.shutdown()
    server.server_close()


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
    assert fg.fmt(received) in row.inner_text().split()
    shared = pg.url
    assert first in shared and other in shared and other_place in shared
    pg.fill("#agency-filter", "没有这个机关")
    assert "找到 0 个匹配的机关" in pg.locator("#agency-hint").inner_text()
    assert boxes.count() == 2  # the chosen stay listed
    assert not _axe(pg, axe_source)
    again = open_page(shared.removeprefix(url), site=url)  # the shared link
    expect(again.locator("#compare-table tbody tr")).to_have_count(2)
    assert again.locator("#agency-checks input:checked").count() == 2


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


def test_phone_width_has_no_horizontal_scroll(open_page, built_site):
    wide = {}
    for path in _a11y_pages(built_site):
        pg = open_page(path, width=390, height=844)
        if path.startswith("search/"):
            _results(pg)
        name = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0]).strip("-") or "home"
        _shot(pg, f"390-{name}")
        sw, iw = pg.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        if sw > iw:
            wide[path] = (sw, iw)
    assert not wide


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
