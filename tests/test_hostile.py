# ruff: noqa: F811  (pytest fixtures imported from tests.site_fixtures)
"""Hostile content stays inert: report text and metadata carrying script, event handlers,
`javascript:` URLs, `</script>` (to break out of JSON-LD), Markdown/HTML injection, spreadsheet
formulas and path-like names.

One build (search index included) of the seed reports plus hostile copies of them; then every
HTML, JSON, XML, CSV, xlsx and Pagefind file it wrote is checked, and a real chromium loads the
hostile pages and searches for the hostile name without any script of theirs running.

CSV choice: the data packages' CSVs are data for machines and keep every label verbatim (a
label `=cmd|…` stays `=cmd|…`); the Excel workbooks store such text as text (never a formula),
and the CSVs of page tables meant for spreadsheets (`years/<y>/nianbao-<y>.csv`,
`<agency>/figures.csv` and the table download in the browser) prefix it with an apostrophe.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook

from nianbao.pipeline import BuildResult, build
from tests.conftest import CONTENT
from tests.site_fixtures import Node, parse_html, serve_folder
from tests.test_browser import ARGS, CHROMIUM, _require

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
BREAKOUT = "</script><script>alert(1)</script>"
CANARY = '<img src=x onerror="window.__pwned=1">'
PROSE = (f"[x](javascript:alert(1)) <iframe src=\"javascript:alert(1)\"></iframe> {SCRIPT} {ATTR} "
         f"{BREAKOUT} {CANARY} <svg onload=alert(1)>")
HOSTILE_AGENCY = f"{SCRIPT}{ATTR}{BREAKOUT}局"
FORMULAS = ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)")
BAD_FILE = ATTR + ".txt"  # a report file named like markup (unidentifiable: not published)

SEED_IDS = {"hangzhou-gongshu-shangwuju", "beijing-tongzhou-shangwuju",
            "changchun-nanguan-shangwuju", "zhengzhou-zhongmu-shangwuju",
            "zibo-zichuan-zhaoshangju"}
HOSTILE_IDS = {"hostile-xss", "hostile-eq", "hostile-plus", "hostile-minus", "hostile-at",
               "dotdot-agency"}
# Our own scripts: by src (relative to the page) and the JSON-LD type; the one inline script
# is the 404 page's, which no content reaches.
SCRIPT_SRC = re.compile(r"^(?:\.\./)*(?:assets/[a-z]+\.js|pagefind/[\w.-]+\.js)$")
URL_ATTRS = ("href", "src", "action", "formaction", "data", "poster", "xlink:href", "srcset",
             "background", "ping", "cite", "manifest", "content")
BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data|file):", re.I)
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}


def _sidecar(**keys) -> str:
    return "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in keys.items())


def make_hostile_content(folder: Path) -> Path:
    """content/ plus hostile copies of the seeds (see the module docstring)."""
    shutil.copytree(CONTENT, folder)
    reports = folder / "reports"
    beijing = (CONTENT / "reports/2020/beijing-tongzhou-shangwuju-2020.txt").read_text(encoding="utf-8")
    changchun = (CONTENT / "reports/2020/changchun-nanguan-shangwuju-2020.txt").read_text(encoding="utf-8")
    zibo = (CONTENT / "reports/2020/zibo-zichuan-zhaoshangju-2020.txt").read_text(encoding="utf-8")
    hostile = reports / "hostile"
    hostile.mkdir()

    def write(name: str, text: str, folder: Path = hostile, **sidecar) -> None:
        (folder / name).write_text(text, encoding="utf-8")
        if sidecar:
            (folder / (name + ".yaml")).write_text(_sidecar(**sidecar), encoding="utf-8")

    # Markup everywhere: title line, prose, extra-row labels (行政检查, 行政确认) and metadata.
    text = (beijing.replace("北京市通州区商务局", f"北京市通州区{SCRIPT}局", 1)
            .replace("行政检查", FORMULAS[0]).replace("行政确认", ATTR)
            .replace("全年主动公开政府信息80条。", "全年主动公开政府信息80条。" + PROSE))
    write("xss-2020.txt", text, agency=HOSTILE_AGENCY, region="110112", id="hostile-xss",
          source_url="javascript:alert(1)", published="2021-01-15")
    # Spreadsheet formulas as agency names and extra-row labels.
    for rid, agency, labels in (("eq", FORMULAS[0], ("@SUM(1)", "-2+3")),
                                ("plus", FORMULAS[1], ("+SUM(1)", "=1+1")),
                                ("minus", FORMULAS[2], ("-cmd", "@A1")),
                                ("at", FORMULAS[3], ("=HYPERLINK(\"http://evil.example\")", "ok"))):
        text = beijing.replace("行政检查", labels[0]).replace("行政确认", labels[1])
        write(f"{rid}-2020.txt", text, agency=agency, region="110112", id=f"hostile-{rid}")
    # A saved page's header naming a javascript: source (the document's own metadata).
    saved = f"标题: 南关区商务局2020年报\n原文链接: javascript:alert(1)\n==== 正文 ====\n{changchun}"
    write("saved-2020.txt", saved, agency="南关区商务局（存档）", region="220102", id="hostile-saved")
    # Path-like names: an id with slashes (rejected), dot files (skipped as hidden, like any
    # dot file), a folder and file named with encoded dots and slashes (published by its id).
    write("etc-2020.txt", changchun, id="../../etc/passwd")
    write("data-2020.txt", zibo, id="data", agency="数据局", region="370302")  # a site folder
    write("..%2F..%2Fetc.txt", changchun, id="dotfile-agency", agency="点文件局", region="220102")
    odd = reports / "%2e%2e"
    odd.mkdir()
    write("x%2F..%2F..%2Fetc%2Fpasswd.txt", zibo, odd, agency="../../etc/passwd",
          region="370302", id="dotdot-agency")
    # Unidentifiable, named with markup, a sidecar key that is markup.
    (hostile / BAD_FILE).write_text(f"这不是一份年度报告。{SCRIPT}\n", encoding="utf-8")
    (hostile / (BAD_FILE + ".yaml")).write_text(f"'{SCRIPT}': 1\n", encoding="utf-8")
    return folder


@dataclass
class Hostile:
    result: BuildResult
    tmp: Path
    content: Path
    output: Path
    before: set[str]


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Hostile:
    tmp = tmp_path_factory.mktemp("hostile")
    content = make_hostile_content(tmp / "content")
    output = tmp / "output"
    before = _tree(tmp)
    result = build(content, output, search=True)
    return Hostile(result, tmp, content, output, before)


def _files(output: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def _report(site: Hostile, agency_id: str):
    return next(r for r in site.result.reports if r.agency_id == agency_id)


# ---------------------------------------------------------------- the build


def test_build_completes_and_every_report_publishes(hostile_site):
    published = {r.agency_id for r in hostile_site.result.published}
    assert published >= SEED_IDS
    assert HOSTILE_IDS | {"hostile-saved"} <= published
    xss = _report(hostile_site, "hostile-xss")
    assert xss.agency == HOSTILE_AGENCY
    labels = {e.label for r in hostile_site.result.reports for e in r.extra_rows}
    assert {"=cmd|'/Ccalc'!A0", "@SUM(1)", "-2+3", "+SUM(1)", "-cmd", "@A1"} <= labels


def test_javascript_source_url_is_a_problem_not_a_link(hostile_site):
    xss = _report(hostile_site, "hostile-xss")
    assert xss.source_url is None
    assert any(p.code == "sidecar-invalid" and "javascript:" in p.message for p in xss.problems)
    saved = _report(hostile_site, "hostile-saved")
    assert saved.source_url is None
    assert any(p.code == "source-url-invalid" for p in saved.problems)


def test_path_like_names_stay_inside_the_output(hostile_site):
    site = hostile_site
    by_rel = {r.source.rel: r for r in site.result.reports}
    rejected = by_rel["hostile/etc-2020.txt"]
    assert rejected.agency_id is None and not rejected.publishable
    assert any(p.code == "id-invalid" for p in rejected.problems)
    taken = by_rel["hostile/data-2020.txt"]  # the downloads section's folder: not an agency's
    assert taken.agency_id is None and not taken.publishable
    assert any(p.code == "id-invalid" and "栏目" in p.message for p in taken.problems)
    assert "数据下载" in (site.output / "data/index.html").read_text(encoding="utf-8")
    assert not any("dotfile" in rel for rel in by_rel)  # dot files are skipped, like any hidden file
    assert by_rel[f"hostile/{BAD_FILE}"].publishable is False
    dotdot = by_rel["%2e%2e/x%2F..%2F..%2Fetc%2Fpasswd.txt"]
    assert dotdot.agency_id == "dotdot-agency"
    assert (site.output / "data/dotdot-agency/2020/dotdot-agency-2020.txt").is_file()
    # Nothing beside content/ and output/ (no staging folder, no escaped file), nothing in
    # content/ changed, and nothing in output/ that is a link or escapes it.
    after = _tree(site.tmp)
    assert {p.split("/", 1)[0] for p in after} == {"content", "output"}
    assert {p for p in after if p.startswith("content")} == site.before
    out = site.output.resolve()
    for path in site.output.rglob("*"):
        rel = path.relative_to(site.output)
        assert not path.is_symlink(), rel
        assert path.resolve().is_relative_to(out), rel
        assert ".." not in rel.parts and "passwd" not in rel.parts and "etc" not in rel.parts, rel
    assert not list(site.tmp.rglob("passwd"))


# ---------------------------------------------------------------- HTML


def _scripts(doc: Node) -> list[Node]:
    return doc.find_all("script")


def check_html(path: Path, output: Path) -> list[str]:
    """Everything executable in one page that is not ours, as messages."""
    raw = path.read_text(encoding="utf-8")
    rel = path.relative_to(output).as_posix()
    doc = parse_html(raw)
    bad = []
    scripts = _scripts(doc)
    if len(re.findall(r"<script", raw, re.I)) != len(scripts):
        bad.append(f"{rel}: a <script start tag the parser did not see as an element")
    for s in scripts:
        body = s.text()
        if "</script" in body.lower():
            bad.append(f"{rel}: </script inside a script")
        src = s.attrs.get("src")
        kind = s.attrs.get("type", "")
        if src is not None:
            if not SCRIPT_SRC.match(src) or body.strip():
                bad.append(f"{rel}: foreign script src={src!r}")
        elif kind == "application/ld+json":
            try:
                json.loads(body)
            except ValueError as exc:
                bad.append(f"{rel}: JSON-LD does not parse: {exc}")
            if "<" in body or ">" in body:
                bad.append(f"{rel}: raw < or > in JSON-LD")
        elif rel != "404.html" or "alert" in body or kind:
            bad.append(f"{rel}: inline script {body[:60]!r}")
    for n in doc.iter():
        if n.tag in FORBIDDEN_TAGS:
            bad.append(f"{rel}: <{n.tag}> element")
        if n.tag == "img" and not n.attrs.get("src", "").startswith(("../", "assets/")):
            bad.append(f"{rel}: <img src={n.attrs.get('src')!r}>")
        if n.tag == "meta" and n.attrs.get("http-equiv", "").lower() == "refresh":
            bad.append(f"{rel}: meta refresh")
        for name, value in n.attrs.items():
            if name.startswith("on"):
                bad.append(f"{rel}: <{n.tag} {name}=…>")
            if (name in URL_ATTRS or name.endswith("href")) and BAD_SCHEME.match(value or ""):
                bad.append(f"{rel}: <{n.tag} {name}={value!r}>")
    return bad


def test_no_executable_injection_in_any_page(hostile_site):
    pages = _files(hostile_site.output, ".html", ".htm", ".svg")
    assert len(pages) > 20
    bad = [msg for p in pages for msg in check_html(p, hostile_site.output)]
    assert not bad, "\n".join(bad)


def _page(site: Hostile, rel: str) -> Node:
    return parse_html((site.output / rel / "index.html").read_text(encoding="utf-8"))


def test_hostile_text_is_shown_as_text(hostile_site):
    doc = _page(hostile_site, "hostile-xss/2020")
    assert HOSTILE_AGENCY in doc.find("h1").text()
    assert HOSTILE_AGENCY in doc.find("title").text()
    prose = " ".join(n.text() for n in doc.find_all("div", class_="prose"))
    for s in ("[x](javascript:alert(1))", '<iframe src="javascript:alert(1)"></iframe>', SCRIPT,
              BREAKOUT, CANARY):
        assert s in prose
    tables = " ".join(n.text() for n in doc.find_all("table"))
    assert "=cmd|'/Ccalc'!A0" in tables and '"><imgsrc=xonerror=alert(1)>' in tables
    links = [n.attrs.get("href", "") for n in doc.find_all("a")]
    assert not [h for h in links if "alert" in h]
    assert "未记录原文网址" in doc.text()
    # the same name on the agency page, the year page, the quality page, the home page
    for rel in ("hostile-xss", "years/2020", "quality", "", "agencies", "compare", "data"):
        assert HOSTILE_AGENCY in _page(hostile_site, rel).text(), rel
    quality = _page(hostile_site, "quality").text()
    assert BAD_FILE in quality and SCRIPT in quality


def test_jsonld_holds_the_hostile_text_as_data(hostile_site):
    doc = _page(hostile_site, "hostile-xss/2020")
    (ld,) = [s for s in _scripts(doc) if s.attrs.get("type") == "application/ld+json"]
    data = json.loads(ld.text())
    assert data["name"].startswith(HOSTILE_AGENCY)
    assert data["publisher"]["name"] == HOSTILE_AGENCY
    assert "isBasedOn" not in data
    raw = (hostile_site.output / "hostile-xss/2020/index.html").read_text(encoding="utf-8")
    start = raw.index('<script type="application/ld+json">')
    end = raw.index("</script>", start)
    assert "\\u003c/script\\u003e" in raw[start:end]  # escaped in place, element not cut short


# ---------------------------------------------------------------- JSON, XML, CSV, xlsx


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_json_files_parse_and_hold_no_script_urls(hostile_site):
    files = _files(hostile_site.output, ".json", ".jsonld")
    assert files
    seen = False
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        for s in _strings(data):
            assert not BAD_SCHEME.match(s), (path, s)
            seen = seen or s == HOSTILE_AGENCY
    assert seen
    catalog = json.loads((hostile_site.output / "catalog.jsonld").read_text(encoding="utf-8"))
    assert HOSTILE_AGENCY in set(_strings(catalog))


def test_xml_files_are_well_formed_and_inert(hostile_site):
    files = _files(hostile_site.output, ".xml")
    assert {p.name for p in files} >= {"feed.xml", "sitemap.xml"}
    for path in files:
        raw = path.read_text(encoding="utf-8")
        assert "<script" not in raw.lower() and "<img" not in raw.lower(), path
        root = ET.fromstring(raw.encode("utf-8"))
        for el in root.iter():
            for name, value in el.attrib.items():
                assert not BAD_SCHEME.match(value), (path, name, value)
            if el.tag.endswith("}loc") or el.tag.endswith("}id"):
                assert urlsplit(el.text or "").scheme in ("http", "https"), (path, el.text)
    feed = ET.fromstring((hostile_site.output / "feed.xml").read_bytes())
    titles = [el.text or "" for el in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t.startswith(HOSTILE_AGENCY) for t in titles)


def _csv_cells(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8-sig")
    return {c for row in csv.reader(io.StringIO(text)) for c in row}


def test_data_csvs_keep_labels_verbatim(hostile_site):
    """Data for machines: the packages' CSVs are exactly what the report printed."""
    data = hostile_site.output / "data"
    extra = _csv_cells(data / "all" / "extra_rows.csv")
    assert {"=cmd|'/Ccalc'!A0", "@SUM(1)", "-2+3", "+SUM(1)", "-cmd", "@A1"} <= extra
    reports = _csv_cells(data / "all" / "reports.csv")
    assert set(FORMULAS) | {HOSTILE_AGENCY} <= reports
    assert "javascript:alert(1)" not in reports


def test_page_table_csvs_neutralise_formulas(hostile_site):
    """The page tables' CSVs are for spreadsheets: formula-like text gets an apostrophe,
    numbers do not."""
    cells = _csv_cells(hostile_site.output / "years" / "2020" / "nianbao-2020.csv")
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells
    assert "+1" in cells and "-1" in cells  # plain numbers to a spreadsheet, not formulas
    formula_like = [c for c in cells if c[:1] and c[0] in "=+-@" and not re.fullmatch(r"[+-]\d+", c)]
    assert not formula_like
    for path in hostile_site.output.glob("hostile-*/figures.csv"):
        assert not [c for c in _csv_cells(path) if c[:1] and c[0] in "=@"]


def test_xlsx_formula_like_cells_are_text(hostile_site):
    books = _files(hostile_site.output, ".xlsx")
    assert len(books) > len(SEED_IDS)
    found = set()
    for path in books:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), (path, name)
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value[:1] and c.value[0] in "=+-@":
                        assert c.data_type == "s", (path.name, ws.title, c.coordinate, c.value)
                        found.add(c.value)
        wb.close()
    assert set(FORMULAS) | {"=cmd|'/Ccalc'!A0", "@SUM(1)", "-2+3"} <= found


# ---------------------------------------------------------------- search index


def _fragments(output: Path) -> list[dict]:
    out = []
    for path in sorted((output / "pagefind" / "fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(b"pagefind_dcd")
        out.append(json.loads(raw[len(b"pagefind_dcd"):]))
    return out


def test_search_index_holds_hostile_text_as_data(hostile_site):
    frags = {f["url"]: f for f in _fragments(hostile_site.output)}
    frag = frags["/hostile-xss/2020/"]
    assert frag["filters"]["agency"] == [HOSTILE_AGENCY]
    assert frag["meta"]["title"].startswith(HOSTILE_AGENCY)
    assert all(urlsplit(u).scheme == "" and u.startswith("/") for u in frags)
    # The search page shows index text through textContent only, never as markup.
    js = (hostile_site.output / "assets" / "search.js").read_text(encoding="utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", js)
    for asset in (hostile_site.output / "assets").glob("*.js"):
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), asset


# ---------------------------------------------------------------- in a browser


BROWSER_PAGES = ("hostile-xss/2020/", "hostile-xss/", "quality/", "years/2020/", "agencies/", "")
INIT = """
window.__pwned = 0;
(function () {
  var real = window.alert;
  window.alert = function () { window.__pwned = (window.__pwned || 0) + 1; return real.apply(this, arguments); };
})();
"""


@pytest.fixture(scope="module")
def hostile_url(hostile_site):
    server, url = serve_folder(hostile_site.output)
    yield url
    server.shutdown()
    server.server_close()


def in_chromium(check) -> None:
    """check(browser) with a chromium of its own, in a thread of its own: Playwright's sync API
    allows one instance per thread, and test_browser's session browser may be running here."""
    if os.environ.get("NIANBAO_SKIP_BROWSER") == "1":
        pytest.skip("NIANBAO_SKIP_BROWSER=1")
    _require(CHROMIUM.exists(), f"{CHROMIUM} not found: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    failure: list[BaseException] = []

    def run():
        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    check(b)
                finally:
                    b.close()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser check did not finish within 120 s"
    if failure:
        raise failure[0]


@pytest.mark.browser
def test_no_script_runs_in_the_browser(hostile_site, hostile_url):
    in_chromium(lambda browser: _browse_hostile(browser, hostile_url))


def _browse_hostile(browser, hostile_url: str) -> None:
    dialogs: list[str] = []
    requests: list[str] = []
    outside: list[str] = []
    context = browser.new_context()
    try:
        context.add_init_script(INIT)

        def route(r):
            host = urlsplit(r.request.url).hostname
            requests.append(r.request.url)
            if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for rel in BROWSER_PAGES:
            page.goto(hostile_url + rel, wait_until="load")
            page.wait_for_timeout(100)
            assert page.evaluate("window.__pwned") == 0, rel
        # the hostile name in the h1, as text
        page.goto(hostile_url + "hostile-xss/2020/", wait_until="load")
        assert HOSTILE_AGENCY in page.inner_text("h1")
        assert page.locator("main iframe, main img[src='x'], main svg[onload]").count() == 0
        # a search for the hostile name: the result shows it as text
        page.goto(hostile_url + "search/?q=" + quote("onerror alert"), wait_until="load")
        page.wait_for_selector("#search-results li a.r-title", timeout=10_000)
        titles = page.locator("#search-results a.r-title").all_inner_texts()
        assert any(t.startswith(HOSTILE_AGENCY) for t in titles), titles
        assert page.locator("#search-results script, #search-results img, #search-results iframe").count() == 0
        page.select_option("select[data-filter=agency]", HOSTILE_AGENCY)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") == 0
        # the year table's CSV download neutralises formulas (built in the browser)
        page.goto(hostile_url + "years/2020/", wait_until="load")
        with page.expect_download(timeout=5_000) as dl:
            page.click("button[data-download-visible]")
        text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
        cells = {c for row in csv.reader(io.StringIO(text)) for c in row}
        assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells
        assert not [c for c in cells if c[:1] and c[0] in "=@"]
        assert page.evaluate("window.__pwned") == 0
    finally:
        context.close()
    assert not dialogs, dialogs
    assert not outside, outside
    assert not [u for u in requests if urlsplit(u).path.endswith("/x")], "an injected <img src=x> loaded"
