"""The published downloads and metadata: every xlsx and the SQLite database hold exactly the
numbers of the CSVs, the catalogue, sitemap and feed list everything, hostile text stays text,
and two builds are byte-identical."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook

from nianbao import schemas
from nianbao.model import Report, Site
from nianbao.package import RESOURCES, original_name, sha256
from nianbao.pipeline import BuildResult, build
from nianbao.publish import (
    DB_NAME,
    FORMULA_START,
    base_url,
    catalog,
    publish,
    site_urls,
    sitemaps,
    write_catalog,
    write_xlsx,
    write_zip,
    xlsx_text,
)
from tests.conftest import CONTENT

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://data.example.org/nianbao/"
HOSTILE = '=HYPERLINK("http://evil.example/","点我")'
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# A report given a hostile agency name (and a URL that needs escaping) through its sidecar.
SIDECAR = f"""\
agency: '{HOSTILE}'
id: hostile-agency
region: '110112'
published: 2099-02-03
source_url: 'http://example.com/report?a=1&b=<2>'
"""
MY_ROOT_FILES = ("catalog.jsonld", "sitemap.xml", "robots.txt", "feed.xml")


def _build(tmp: Path) -> BuildResult:
    content = tmp / "content"
    shutil.copytree(ROOT / "content", content)
    seed = next(p for p in sorted((content / "reports").rglob("*.txt")) if "beijing" in p.name)
    seed.with_name(seed.name + ".yaml").write_text(SIDECAR, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NIANBAO_BASE_URL", BASE.rstrip("/"))  # the slash is added back
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = build(content, tmp / "output", search=False)
        if not (result.output / "data" / DB_NAME).exists():  # until build() calls publish()
            publish(result.site, result.output)
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> BuildResult:
    return _build(tmp_path_factory.mktemp("publish-a"))


@pytest.fixture(scope="module")
def out(built) -> Path:
    return built.output


def _packages(built):
    """(package, table prefix for its schemas) for every agency-year and the combined one."""
    yield from ((p, "") for p in built.site.packages.values())
    yield built.site.combined, "all/"


def _tables(prefix: str) -> tuple[str, ...]:
    return (*RESOURCES, *schemas.COMBINED_ONLY) if prefix else RESOURCES


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _same(kind: str, text: str, value) -> bool:
    """Does a cell read back from xlsx or SQLite hold exactly what the CSV says?"""
    if text == "":
        return value is None
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return Decimal(repr(value)) == Decimal(text)
    if kind == "date" and isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d") == text
    return excel_text(value) == xlsx_text(text)


def excel_text(value):
    """A cell's text as Excel reads it: the file escapes control characters as _xHHHH_
    (ECMA-376 ST_Xstring), which openpyxl hands back undecoded."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def test_the_site_has_reports_to_publish(built):
    assert len(built.site.reports) >= 5
    assert any(r.agency_id == "hostile-agency" for r in built.site.reports)


# ---------------------------------------------------------------- xlsx


def test_every_workbook_holds_exactly_the_csv_values(built, out):
    checked = 0
    for package, prefix in _packages(built):
        folder = out / package.path
        [name] = [f.name for f in package.files if f.name.endswith(".xlsx")]
        checked += _matches_csvs(load_workbook(folder / name), folder, prefix, name, ours=True)
    assert checked > 5000


def _matches_csvs(wb, folder: Path, prefix: str, name: str, *, ours: bool) -> int:
    """Asserts the workbook holds its package's CSVs: sheets, bold header with a filter,
    every cell's value; ours (not re-saved by LibreOffice, which drops view settings and
    may keep empty rows below): also frozen, and nothing below. Returns the cells compared."""
    checked = 0
    assert wb.sheetnames == ["说明", *_tables(prefix)]
    for table in _tables(prefix):
        fields = schemas.load(f"{prefix}{table}.schema.json")["fields"]
        rows = _csv(folder / f"{table}.csv")
        ws = wb[table]
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.freeze_panes == "A2" or not ours
        header = next(ws.iter_rows(max_row=1))
        assert [c.value for c in header] == rows[0] and all(c.font.b for c in header)
        if ours or len(rows) > 1:
            sheet = list(ws.iter_rows(min_row=2, max_row=None if ours else len(rows),
                                      max_col=len(fields), values_only=True))
        else:
            sheet = []
        assert len(sheet) == len(rows) - 1, (name, table)
        for csv_row, xlsx_row in zip(rows[1:], sheet, strict=True):
            for field, text, value in zip(fields, csv_row, xlsx_row, strict=True):
                assert _same(field["type"], text, value), (name, table, field["name"], text,
                                                           value)
                checked += 1
    return checked


def test_libreoffice_opens_our_workbooks(built, out, tmp_path):
    """Our workbooks are written by hand (nianbao/xlsx.py): a second, independent reader
    opens them. LibreOffice Calc loads each and saves it again with its own writer; the
    re-saved file must still hold every CSV value, the bold header and the filter. (The
    frozen row is not checked here: headless LibreOffice drops view settings, XlsxWriter's
    files' included.)"""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office, "LibreOffice (Calc) is needed: .ci/run installs it"
    books = {}
    for package, prefix in _packages(built):
        [name] = [f.name for f in package.files if f.name.endswith(".xlsx")]
        books[name] = (out / package.path, prefix)
        shutil.copy(out / package.path / name, tmp_path / name)
    saved = tmp_path / "saved"
    subprocess.run([office, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved),
                    *sorted(str(tmp_path / n) for n in books)],
                   check=True, capture_output=True, timeout=300)
    checked = 0
    for name, (folder, prefix) in books.items():
        assert (saved / name).is_file(), f"LibreOffice could not open {name}"
        checked += _matches_csvs(load_workbook(saved / name), folder, prefix, name, ours=False)
    assert checked > 5000


def test_workbook_explains_itself(built, out):
    wb = load_workbook(out / "data/all/nianbao-all.xlsx")
    about = {row[0]: row[1] for row in wb["说明"].iter_rows(values_only=True) if row[0]}
    lic = built.site.config["license"]
    assert lic["path"] in about["许可协议"] and lic["title"] in about["许可协议"]
    assert about["网址"] == BASE + "data/"
    # a journalist's review: it said every blank was one the report left, of 67 in 311 not
    assert "未能读出" in about["注意"] and "blank_reason" in about["注意"]
    assert wb.properties.created == wb.properties.modified == dt.datetime(1980, 1, 1)


def _sheet_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [zf.read(n).decode("utf-8") for n in zf.namelist()
                if n.startswith("xl/worksheets/")]


def test_hostile_text_in_the_data_stays_text(out):
    path = out / "data/all/nianbao-all.xlsx"
    assert not any("<f>" in xml or "<f " in xml for xml in _sheet_xml(path))
    ws = load_workbook(path)["reports"]
    agency = next(row[1] for row in ws.iter_rows(min_row=2) if row[0].value == "hostile-agency")
    assert agency.value == HOSTILE
    assert agency.data_type == "s" and agency.quotePrefix
    # The per-package workbook carries it too, in its 说明 sheet's title.
    own = out / "data/hostile-agency/2020/hostile-agency-2020.xlsx"
    assert not any("<f>" in xml for xml in _sheet_xml(own))


def test_formula_like_text_is_neutralised(tmp_path):
    hostile = ["=1+2", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=1+2", "\r=1+2", HOSTILE,
               "=" + "x" * 40_000]
    schema = {"fields": [{"name": "label", "type": "string"},
                         {"name": "value", "type": "integer"}]}
    rows = [[text, "-3"] for text in hostile]
    path = tmp_path / "h.xlsx"
    write_xlsx(path, [("t", schema, rows)], [["标题", "=2*3"]])
    assert not any("<f>" in xml or "<f " in xml for xml in _sheet_xml(path))
    wb = load_workbook(path)
    cells = list(wb["t"].iter_rows(min_row=2))
    for text, (label, value) in zip(hostile, cells, strict=True):
        assert excel_text(label.value) == xlsx_text(text) and label.data_type == "s"
        assert label.quotePrefix and excel_text(label.value).startswith(FORMULA_START)
        assert value.value == -3 and value.data_type == "n"  # numbers stay numbers
    assert len(cells[-1][0].value) == 32_767
    title = wb["说明"]["B1"]
    assert title.value == "=2*3" and title.data_type == "s" and title.quotePrefix


def test_workbook_text_that_looks_like_an_escape_stays_as_written(tmp_path):
    """Cells are ST_Xstring: _xHHHH_ in the file means a character, so text that contains
    one literally must be escaped itself, and a carriage return (which XML would turn into a
    line feed) must be escaped, not lost. Sheet names with quotes survive too."""
    texts = ["_x0041_", "a_x000D_b", "line\r\nbreak", " padded ", "x_y", "<&>"]
    schema = {"fields": [{"name": "t", "type": "string"}]}
    write_xlsx(tmp_path / "e.xlsx", [("it's", schema, [[t] for t in texts])], [])
    wb = load_workbook(tmp_path / "e.xlsx")
    got = [excel_text(c.value) for (c,) in wb["it's"].iter_rows(min_row=2)]
    assert got == texts


def test_workbook_and_zip_dates_follow_source_date_epoch(tmp_path, monkeypatch):
    """The dates files carry: the workbook's own (created, modified) and every zip's entries
    follow SOURCE_DATE_EPOCH; the workbook's inner zip entries carry a fixed 1980 date.
    Either way, the same input gives the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    schema = {"fields": [{"name": "a", "type": "string"}]}
    write_xlsx(tmp_path / "a.xlsx", [("t", schema, [["x"]])], [])
    assert load_workbook(tmp_path / "a.xlsx").properties.created == dt.datetime(2023, 11, 14,
                                                                                22, 13, 20)
    write_zip(tmp_path / "a.zip", [("a.txt", b"a")])
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    first = (tmp_path / "a.xlsx").read_bytes()
    write_xlsx(tmp_path / "a.xlsx", [("t", schema, [["x"]])], [])
    assert (tmp_path / "a.xlsx").read_bytes() == first


# ---------------------------------------------------------------- SQLite


def test_database_holds_exactly_the_csv_values(out):
    con = sqlite3.connect(out / "data" / DB_NAME)
    checked = 0
    for table in ("reports", *RESOURCES):
        fields = schemas.load(f"all/{table}.schema.json")["fields"]
        rows = _csv(out / f"data/all/{table}.csv")
        cursor = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
        assert [d[0] for d in cursor.description] == rows[0]
        db_rows = cursor.fetchall()
        assert len(db_rows) == len(rows) - 1, table
        for csv_row, db_row in zip(rows[1:], db_rows, strict=True):
            for field, text, value in zip(fields, csv_row, db_row, strict=True):
                if field["type"] == "integer" and text:
                    assert isinstance(value, int), (table, field["name"], value)
                if field["type"] == "date":
                    assert value == (text or None)
                else:
                    assert _same(field["type"], text, value), (table, field["name"], text, value)
                checked += 1
    assert checked > 5000
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    decimals = con.execute("SELECT count(*) FROM \"values\" WHERE typeof(value) = 'real'")
    assert decimals.fetchone()[0] > 0  # amounts in 万元 are numbers, not text


def test_database_values_from_the_csv_text_or_the_values_it_prints():
    """The build loads the database from the values the CSVs are printed from, the reference
    path from the CSVs' text: each cell must come out the same either way."""
    from nianbao.package import cell
    from nianbao.publish import _sql_rows

    kinds = ["string", "integer", "number", "date", "string"]
    typed = [["a", 5, Decimal("5"), "2021-01-05", 7],
             ["", 0, Decimal("5.0"), None, None],
             [None, None, Decimal("1.50"), "", "x"],
             ["b", "12x", "abc", "2021-13-01", True],
             ["c", -3, 12345678901234567, None, Decimal("2.5")]]
    text = [[cell(x) for x in row] for row in typed]
    from_text, from_values = list(_sql_rows(text, kinds)), list(_sql_rows(typed, kinds))
    assert from_values == from_text
    assert [type(v) for v in from_values[1]] == [type(None), int, float, type(None), type(None)]


def test_database_indexes_and_documentation(out):
    con = sqlite3.connect(out / "data" / DB_NAME)
    indexed = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for index in con.execute(f'PRAGMA index_list("{name}")').fetchall():
            columns = [c[2] for c in con.execute(f'PRAGMA index_info("{index[1]}")')]
            indexed.setdefault(name, []).append(columns)
    for table in RESOURCES:
        assert ["agency_id", "year"] in indexed[table], table
    assert ["field_id"] in indexed["values"]
    assert ["agency_id", "year"] in indexed["reports"]  # the primary key
    doc = (out / "data/nianbao-db.md").read_text(encoding="utf-8")
    assert "datasette nianbao.db" in doc
    for table in ("reports", *RESOURCES):
        assert f"### `{table}`" in doc
    # every name SQLite refuses bare is among those the guide says to quote
    quote_line = next(line for line in doc.splitlines() if "SQL 关键字" in line)
    for table in ("reports", *RESOURCES):
        bare_table = _bare_ok(con, f"SELECT 1 FROM {table} LIMIT 0")
        assert bare_table or f"`{table}`" in quote_line, table
        quoted = f'"{table}"'
        for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{table}')"):
            assert _bare_ok(con, f"SELECT {name} FROM {quoted} LIMIT 0") or \
                f"`{name}`" in quote_line, (table, name)
    assert "`where`" in quote_line  # problems.where


def _bare_ok(con, sql: str) -> bool:
    try:
        con.execute(sql)
    except sqlite3.OperationalError:
        return False
    return True


# ---------------------------------------------------------------- files and zips


def test_every_listed_file_exists_with_its_size(built, out):
    names = set()
    for package, _prefix in _packages(built):
        for info in package.files:
            path = (out / package.path / info.name).resolve()
            assert path.stat().st_size == info.bytes, info.name
            names.add(path.name)
        others = [f.name for f in package.files if f.name != package.zip_name
                  and not f.name.startswith("../")]
        with zipfile.ZipFile(out / package.path / package.zip_name) as zf:
            assert zf.namelist() == others  # the package zip holds its workbook too
    assert {"nianbao.db", "nianbao-db.md", "nianbao-data.zip", "nianbao-all.xlsx"} <= names


def test_data_zip_holds_all_the_data(out):
    data = out / "data"
    with zipfile.ZipFile(data / "nianbao-data.zip") as zf:
        names = set(zf.namelist())
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert zf.read("nianbao-data/nianbao.db") == (data / DB_NAME).read_bytes()
    expected = {f"nianbao-data/{p.relative_to(data).as_posix()}" for p in data.rglob("*")
                if p.is_file() and p.suffix != ".zip"
                and (p.parent.name == "all" or p.name in (DB_NAME, "nianbao-db.md"))}
    assert names == expected
    assert {"nianbao-data/all/nianbao-all.xlsx", "nianbao-data/all/values.csv",
            "nianbao-data/all/datapackage.json"} <= names


# ---------------------------------------------------------------- catalogue


def test_catalog_lists_every_dataset_and_distribution(built, out):
    cat = json.loads((out / "catalog.jsonld").read_text(encoding="utf-8"))
    assert cat["@type"] == "dcat:Catalog"
    assert cat["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert cat["@context"]["dct"] == "http://purl.org/dc/terms/"
    lic = built.site.config["license"]["path"]
    assert cat["dct:license"] == {"@id": lic}
    datasets = {d["dct:identifier"]: d for d in cat["dcat:dataset"]}
    assert len(datasets) == len(built.site.reports) + 1
    for report in built.site.reports:
        d = datasets[f"{report.agency_id}-{report.year}"]
        assert d["@type"] == "dcat:Dataset"
        assert d["dcat:landingPage"] == {"@id": f"{BASE}{report.agency_id}/{report.year}/"}
        assert d["dct:publisher"]["foaf:name"]["@value"] == report.agency
        assert d["dct:temporal"]["dcat:startDate"]["@value"] == f"{report.year}-01-01"
        assert d["dct:temporal"]["dcat:endDate"]["@value"] == f"{report.year}-12-31"
        assert d["dct:license"] == {"@id": lic}
        if report.region.code:
            assert d["dct:spatial"]["dct:identifier"] == report.region.code
        assert d["dct:title"]["@value"] and d["dct:description"]["@value"]
    assert sum("dct:spatial" in d for d in datasets.values()) == len(built.site.reports)
    urls = {}
    packages = [(r, built.site.packages[(r.agency_id, r.year)]) for r in built.site.reports]
    originals = {BASE + pkg.path + original_name(r) for r, pkg in packages}
    zips = {BASE + pkg.path + pkg.zip_name for _, pkg in packages}
    for d in cat["dcat:dataset"]:
        for dist in d["dcat:distribution"]:
            assert dist["@type"] == "dcat:Distribution"
            assert dist["dcat:mediaType"]["@id"].startswith("https://www.iana.org/")
            url = dist["dcat:downloadURL"]["@id"]
            # the agency's own report is not under the data's licence
            assert dist.get("dct:license") == (None if url in originals else {"@id": lic})
            assert ("dct:rights" in dist) == (url in originals | zips)  # a zip holds one
            urls[url] = dist
    assert originals <= set(urls)
    for package, _prefix in _packages(built):
        for info in package.files:
            path = (out / package.path / info.name).resolve()
            url = BASE + path.relative_to(out.resolve()).as_posix()
            assert url in urls, url
            assert urls[url]["dcat:byteSize"]["@value"] == path.stat().st_size
            for kind in ("csv", "json", "xlsx", "zip"):
                if url.endswith("." + kind):
                    assert urls[url]["dct:format"]["@id"].endswith("/" + kind.upper())
    assert len(urls) == sum(len(p.files) for p, _ in _packages(built))


# ---------------------------------------------------------------- sitemap, robots, feed


def _locs(data: bytes, tag: str = "url") -> list[str]:
    root = ET.fromstring(data)
    assert root.tag == (f"{SITEMAP}urlset" if tag == "url" else f"{SITEMAP}sitemapindex")
    return [el.findtext(f"{SITEMAP}loc") for el in root.iter(f"{SITEMAP}{tag}")]


def test_sitemap_lists_every_page(built, out):
    locs = _locs((out / "sitemap.xml").read_bytes())
    assert len(locs) == len(set(locs))
    pages = {"", "data/", "quality/", "search/", "about/", "compare/", "agencies/", "years/"}
    expected = {BASE + p for p in pages}
    for r in built.site.reports:
        expected |= {f"{BASE}{r.agency_id}/", f"{BASE}{r.agency_id}/{r.year}/",
                     f"{BASE}years/{r.year}/"}
    assert set(locs) == expected
    # and it is every page the build wrote but the 404 page
    pages = [p for p in out.rglob("*.html") if p.name != "404.html"]
    assert {p.name for p in pages} == {"index.html"}
    assert {BASE + ("" if p.parent == out else p.parent.relative_to(out).as_posix() + "/")
            for p in pages} == expected


def test_sitemap_lists_the_split_list_pages(tmp_path):
    """Past list_limit, the agencies and year pages split by province: those pages too."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\nlist_limit: 2\n")
    result = build(content, tmp_path / "output", search=False)
    locs = set(_locs((result.output / "sitemap.xml").read_bytes()))
    base = base_url(result.site.config)
    split = {u.removeprefix(base) for u in locs if u.count("/") - base.count("/") >= 2
             and u.removeprefix(base).startswith(("agencies/", "years/"))}
    provinces = {p.parent.name for p in (result.output / "agencies").glob("*/index.html")}
    assert len(provinces) >= 2
    assert {f"agencies/{p}/" for p in provinces} <= split
    assert any(u.startswith("years/") and u.count("/") == 3 for u in split), split


def _many_reports(n: int) -> Site:
    reports = [Report(source=None, agency_id=f"agency-{i // 5}", year=2019 + i % 5)
               for i in range(n)]
    return Site(reports=reports, problem_reports=[], all_reports=reports, packages={},
                combined=None, config={})


def test_a_big_site_gets_a_sitemap_index():
    """Search engines take at most 50,000 URLs a sitemap: 60,000 agency-year pages (and
    12,000 agency pages) make an index of two sitemaps, holding every URL once."""
    site, lists = _many_reports(60_000), ["agencies/", "agencies/110000/"]
    files = sitemaps(site, BASE, lists)
    assert list(files) == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"]
    assert _locs(files["sitemap.xml"], "sitemap") == [BASE + "sitemap-1.xml",
                                                      BASE + "sitemap-2.xml"]
    parts = [_locs(files[name]) for name in ("sitemap-1.xml", "sitemap-2.xml")]
    urls = site_urls(site, BASE, lists)
    assert len(urls) > 72_000 and len(parts[0]) == 50_000
    assert parts[0] + parts[1] == urls
    assert f"{BASE}agencies/110000/" in parts[1]
    assert all(len(data) < 50_000_000 for data in files.values())
    # a small one stays one file
    assert list(sitemaps(_many_reports(10), BASE)) == ["sitemap.xml"]


def test_robots_points_to_the_sitemap(out):
    text = (out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE}sitemap.xml" in text.splitlines()
    assert "User-agent: *" in text


def test_feed_is_atom_newest_first(built, out):
    feed = ET.parse(out / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(built.site.reports)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert set(ids) == {f"{BASE}{r.agency_id}/{r.year}/" for r in built.site.reports}
    stamps = [e.findtext(f"{ATOM}updated") for e in entries]
    rfc3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
    assert all(rfc3339.match(s) for s in stamps)
    assert stamps == sorted(stamps, reverse=True)
    assert feed.findtext(f"{ATOM}updated") == stamps[0]
    first = entries[0]  # the report with a published date in its sidecar
    assert first.findtext(f"{ATOM}id") == f"{BASE}hostile-agency/2020/"
    assert first.findtext(f"{ATOM}published") == "2099-02-03T00:00:00+08:00"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == HOSTILE
    raw = (out / "feed.xml").read_text(encoding="utf-8")
    assert "http://evil.example/" in raw and "<2>" not in raw


def test_catalog_checksums_and_sizes_are_the_files(built, out):
    """Checksums are carried from where files are written (a CSV's while it is written, the
    rest in the worker that wrote them), not taken by the catalogue: each must still be
    the file's own."""
    cat = json.loads((out / "catalog.jsonld").read_text(encoding="utf-8"))
    checked = 0
    for d in cat["dcat:dataset"]:
        for dist in d["dcat:distribution"]:
            path = out / unquote(dist["dcat:downloadURL"]["@id"].removeprefix(BASE))
            assert dist["spdx:checksum"]["spdx:checksumValue"]["@value"] == sha256(path), path
            assert dist["dcat:byteSize"]["@value"] == path.stat().st_size, path
            checked += 1
    assert checked > 30


def test_a_big_catalogue_is_paged(built, out, tmp_path):
    """Past per_page datasets (500 in a build; 2 here) the catalogue goes on in
    catalog/2.jsonld, …: following hydra:next from catalog.jsonld, as a harvester does,
    gives each dataset of the one-file catalogue once, in order, every page the same
    catalogue. A small site's catalogue is one file without paging."""
    whole = json.loads((out / "catalog.jsonld").read_text(encoding="utf-8"))
    assert "hydra:view" not in whole and not (out / "catalog").exists()
    assert whole["dcat:dataset"][0]["dct:identifier"] == "nianbao-all"
    write_catalog(tmp_path, catalog(built.site, out, BASE), per_page=2)
    seen, url, previous = [], BASE + "catalog.jsonld", None
    while url:
        page = json.loads((tmp_path / url.removeprefix(BASE)).read_text(encoding="utf-8"))
        assert {k: v for k, v in page.items() if k not in ("dcat:dataset", "hydra:view")} == \
            {k: v for k, v in whole.items() if k != "dcat:dataset"}
        assert 1 <= len(page["dcat:dataset"]) <= 2
        seen += page["dcat:dataset"]
        view = page["hydra:view"]
        assert "hydra:PagedCollection" in view["@type"]  # what CKAN's harvester looks for
        assert view["hydra:first"] == {"@id": BASE + "catalog.jsonld"}
        assert view.get("hydra:previous", {}).get("@id") == previous
        assert view.get("hydra:next") == view.get("hydra:nextPage")
        previous, url = url, view.get("hydra:next", {}).get("@id")
    assert seen == whole["dcat:dataset"]
    pages = -(-len(seen) // 2)
    assert sorted(p.name for p in (tmp_path / "catalog").iterdir()) == \
        sorted(f"{n}.jsonld" for n in range(2, pages + 1))


def test_catalog_escapes_urls(out):
    cat = json.loads((out / "catalog.jsonld").read_text(encoding="utf-8"))
    [d] = [d for d in cat["dcat:dataset"] if d["dct:identifier"] == "hostile-agency-2020"]
    assert d["dct:source"] == {"@id": "http://example.com/report?a=1&b=<2>"}
    assert d["dct:issued"]["@value"] == "2099-02-03"


# ---------------------------------------------------------------- reproducibility


def _published_files(root: Path) -> dict[str, bytes]:
    files = [p for p in (root / "data").rglob("*") if p.is_file()]
    files += [root / name for name in MY_ROOT_FILES]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_two_builds_are_byte_identical(out, tmp_path):
    again = _build(tmp_path).output
    first, second = _published_files(out), _published_files(again)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_no_combined_workbook_past_the_row_limit(tmp_path):
    """Past combined_workbook_max_rows the combined package has no workbook (nor does the
    data zip), the downloads page says why and points to CSV and SQLite; every agency-year
    keeps its own workbook."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("combined_workbook_max_rows: 50\n")
    result = build(content, tmp_path / "out", search=False)
    data = tmp_path / "out" / "data"
    assert not (data / "all" / "nianbao-all.xlsx").exists()
    assert not any(f.name.endswith(".xlsx") for f in result.site.combined.files)
    with zipfile.ZipFile(data / "nianbao-data.zip") as zf:
        assert not [n for n in zf.namelist() if n.endswith(".xlsx")]
    with zipfile.ZipFile(data / "all" / "nianbao-all.zip") as zf:
        assert "values.csv" in zf.namelist() and "nianbao-all.xlsx" not in zf.namelist()
    text = (data / "index.html").read_text(encoding="utf-8")
    assert "全部数据超过 50 行" in text and "nianbao-all.xlsx" not in text
    for r in result.site.reports:
        assert (data / r.agency_id / str(r.year) / f"{r.agency_id}-{r.year}.xlsx").is_file()
