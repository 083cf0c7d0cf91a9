# ruff: noqa: F811  (pytest fixtures imported from tests.site_fixtures)
"""The built site, checked with an HTML parser: numbers, blanks, marks, downloads, links.

The real content/ is built once per session (tests/site_fixtures.py); an extended copy adds a
2021-template report that breaks two rules and an unidentifiable file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import posixpath
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from nianbao import catalogue as cat
from nianbao import figures as fg
from nianbao import schemas, site_svg, site_text
from nianbao.model import SITE_FOLDERS, Region, Report, SourceFile
from nianbao.render import jsonld_script, markdown_renderer
from nianbao.resolve import agency_type
from tests.conftest import ROOT, SEEDS, TRUTH
from tests.site_fixtures import (  # noqa: F401  (fixtures)
    REGION_AGENCIES,
    Node,
    built_site,
    extended_site,
    html_files,
    links_of,
    make_extended_content,
    make_region_content,
    page,
    parse_html,
    resolve_internal,
)

# ---------------------------------------------------------------- helpers


def report_for(built, rel: str) -> Report:
    return next(r for r in built.result.reports if r.source.rel == rel)


def cell_text(td: Node) -> str:
    """The number a form cell shows: its own text, without the marks and notes after it."""
    return "".join(c for c in td.children if isinstance(c, str)).strip()


def as_number(text: str) -> Decimal:
    return Decimal(text.replace("+", "").replace(",", ""))


def matches(expected, shown: str) -> bool:
    if isinstance(expected, dict):
        return any(matches(option, shown) for option in expected["any_of"])
    if expected is None:
        return shown == ""
    return shown != "" and as_number(shown) == Decimal(str(expected))


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def shown_text(node: Node) -> str:
    """A cell's text as a table of the page reads, without the line a phone shows instead
    of hidden columns (.phone-label)."""
    if "phone-label" in node.classes():
        return ""
    return "".join(c if isinstance(c, str) else shown_text(c) for c in node.children)


def row_texts(table: Node) -> list[list[str]]:
    rows = []
    for tr in table.find("tbody").find_all("tr"):
        rows.append([shown_text(c).strip() for c in tr.children
                     if isinstance(c, Node) and c.tag in ("td", "th")])
    return rows


# ---------------------------------------------------------------- seed pages


@pytest.mark.parametrize("truth_name", sorted(SEEDS))
def test_seed_page_shows_published_numbers(built_site, truth_name):
    truth = json.loads((TRUTH / truth_name).read_text(encoding="utf-8"))
    report = report_for(built_site, SEEDS[truth_name])
    doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
    cells = {td.attrs["data-field"]: td for td in doc.find_all("td") if "data-field" in td.attrs}
    assert set(truth["values"]) <= set(cells), "every field of the template is on the page"
    wrong = {f: (v, cell_text(cells[f])) for f, v in truth["values"].items()
             if not matches(v, cell_text(cells[f]))}
    assert not wrong
    h1 = doc.find("h1").text()
    assert report.agency in h1 and str(truth["year"]) in h1
    facts = doc.find("dl", class_="facts").text()
    for part in ("province", "county"):
        assert truth["region"][part] in facts


def test_blank_cells_are_blank_not_zero(built_site):
    report = report_for(built_site, SEEDS["000_6ef92f06de48b6b1.json"])
    doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
    blank = doc.find("td", data_field="apply.new.commercial")
    zero = doc.find("td", data_field="apply.new.natural")
    assert cell_text(blank) == "" and blank.text().strip() == ""
    assert "blank" in blank.classes() and blank.attrs["title"] == "报告中此格空白"
    assert cell_text(zero) == "0" and "blank" not in zero.classes()


def test_only_changes_carry_a_sign(built_site):
    """本年新公开数量 counts documents (the spec types it a delta only because reports write
    "＋1"): it reads 1, not +1, on the report page and the agency page. The 本年增/减 columns
    are changes and keep their sign."""
    report = report_for(built_site, SEEDS["002_90cadabf32ab491f.json"])
    assert report.values["active.normative.published"] == 1
    doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
    assert cell_text(doc.find("td", data_field="active.normative.published")) == "1"
    agency = page(built_site.output, f"{report.agency_id}/").text()
    assert "+1" not in agency
    columns = {c.label: c.signed for r in cat.load().template("2019").rows for c in r.columns}
    assert columns["本年增/减"] and not columns["本年新公开数量"]


def test_cells_not_read_are_not_blamed_on_the_report(built_site):
    """A rule that cannot be checked because cells could not be read (中牟's rows the parser
    lost) is a parse problem, rule-unread; rule-unchecked, the report's own, names only cells
    the report left blank."""
    for report in built_site.result.site.reports:
        unread = {f for p in report.problems if p.kind == "parse" and p.code != "rule-unread"
                  for f in p.cells}
        for p in report.problems:
            if p.code == "rule-unchecked":
                assert p.kind == "report" and not set(p.cells) & unread, (report.source.rel, p)
            if p.code == "rule-unread":
                assert p.kind == "parse" and set(p.cells) <= unread, (report.source.rel, p)
    report = report_for(built_site, SEEDS["001_2c2532b92fa8338a.json"])
    assert [p for p in report.problems if p.code == "rule-unread"]
    doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
    items = [li.text() for li in doc.find("section", id="problems").find_all("li")]
    assert [t for t in items if "因单元格未能读出无法校验" in t and "解析问题" in t]
    assert not [t for t in items if "因单元格空白无法校验" in t and "未能读出" in t]


def test_agency_page_says_which_years_have_errors(extended_site):
    """The agency page's figures come with each year's errors and a link to them: a year
    whose rules are broken is not shown as if its numbers were sound."""
    by_agency: dict[str, list[Report]] = {}
    for r in extended_site.result.site.reports:
        by_agency.setdefault(r.agency_id, []).append(r)
    seen = set()
    for agency_id, reports in by_agency.items():
        doc = page(extended_site.output, f"{agency_id}/")
        row = doc.find("tr", class_="problems-row")
        links = {a.attrs["href"]: a for a in row.find_all("a")}
        for r in reports:
            a = links[f"{r.year}/#problems"]
            broken = sum(p.kind == "report" for p in r.errors)
            assert (a.text() == "无错误") == (not r.errors), (agency_id, r.year, a.text())
            assert (f"{broken} 处不符" in a.text()) == bool(broken)
            assert ("bad" in a.classes()) == bool(r.errors)
            seen.add(bool(broken))
    assert seen == {True, False}


def test_breadcrumbs_trace_the_site_to_every_page(built_site):
    """A report page sits under 机关 and its agency, as the agency page does; the About page
    has a trail home too."""
    report = report_for(built_site, SEEDS["000_6ef92f06de48b6b1.json"])
    trail = page(built_site.output, f"{report.agency_id}/{report.year}/").find("nav", class_="crumbs")
    assert [li.text() for li in trail.find_all("li")] == ["首页", "机关", report.agency,
                                                          f"{report.year} 年度"]
    assert [a.attrs["href"] for a in trail.find_all("a")] == [
        "../../", "../../agencies/", f"../../{report.agency_id}/"]
    about = page(built_site.output, "about/").find("nav", class_="crumbs")
    assert [li.text() for li in about.find_all("li")] == ["首页", "关于本站"]


def test_chart_template_change_label_clears_the_bar_values():
    """"模板变更" sits in a band above every bar's value: over the tallest bar just right of
    the line it once covered that bar's number."""
    svg = site_svg.bar_chart([("2019", 0, ""), ("2020", 0, ""), ("2024", 3, "")],
                             title="本年新收申请", breaks=(2,))
    label = float(re.search(r'class="break-label" x="[\d.]+" y="([\d.]+)"', svg).group(1))
    values = [float(y) for y in re.findall(r'class="value" x="[\d.]+" y="([\d.]+)"', svg)]
    assert values and min(values) - 11 >= label + 2  # 11 px type above each value's baseline


def test_key_figures_follow_figures_module(built_site):
    for report in built_site.result.site.reports:
        doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
        kf = fg.key_figures(report)
        for fig in fg.FIGURES:
            shown = [n for n in doc.find_all(data_figure=fig.id)]
            assert shown, fig.id
            text = shown[0].text().strip()
            value = kf.values[fig.id]
            if value is None:
                assert not re.search(r"\d", text), (report.agency_id, fig.id, text)
            else:
                assert as_number(text.replace("件", "").strip()) == value


def test_unreadable_cells_marked_differently_from_broken_rules(built_site, extended_site):
    # a row the parser could not align (中牟县商务局, kind "parse")
    zz = report_for(built_site, SEEDS["001_2c2532b92fa8338a.json"])
    doc = page(built_site.output, f"{zz.agency_id}/{zz.year}/")
    td = doc.find("td", data_field="apply.unable_not_held.natural")
    assert "unread" in td.classes() and "broken" not in td.classes()
    mark = td.find("a", class_="mark-unread")
    anchor = mark.attrs["href"].lstrip("#")
    li = doc.find("li", id=anchor)
    assert "problem-parse" in li.classes() and "本机关不掌握相关政府信息" in li.text()
    # the mark names the problem; its message is said once, in the list, not in every cell
    said = f"未能读出，见问题 {anchor.removeprefix('problem-')}"
    assert mark.attrs["title"] == said and mark.find("span", class_="visually-hidden").text() == said
    assert "本机关不掌握相关政府信息" not in td.text() + mark.attrs["title"]

    # the generated 2021 report prints 予以公开 总计 2 for 1 + 0 + …: kind "report"
    doc = page(extended_site.output, "beijing-tongzhou-shangwuju/2021/")
    td = doc.find("td", data_field="apply.disclosed.total")
    assert "broken" in td.classes()
    anchors = [a.attrs["href"].lstrip("#") for a in td.find_all("a", class_="mark-broken")]
    assert anchors
    for anchor in anchors:
        li = doc.find("li", id=anchor)
        assert "problem-report" in li.classes() and "不符合勾稽关系" in li.text()
    assert [a.attrs["title"] for a in td.find_all("a", class_="mark-broken")] == \
        [f"不符合勾稽关系，见问题 {a.removeprefix('problem-')}" for a in anchors]
    ok_cell = doc.find("td", data_field="apply.new.total")
    assert not ({"broken", "unread"} & ok_cell.classes())
    checks = doc.find("section", class_="checks").text()
    assert "不符" in checks


def test_a_doubtful_amount_is_marked_as_one_to_check(tmp_path):
    """An amount the check finds too large (984361 万元 where 元 was meant, likely) is neither
    a broken rule (≠) nor unread (?): its cell keeps its value and no frame, with a "!"
    linking to the warning."""
    from nianbao.pipeline import build

    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    text = (ROOT / "tests" / "corpus" / "web-text" / "dept_czj_2020_80589_page.txt").read_text(
        encoding="utf-8")
    (content / "reports" / "czj.txt").write_text(text.replace("2笔 984361元", "2 984361"),
                                                 encoding="utf-8")
    result = build(content, tmp_path / "output", search=False)
    report = result.published[0]
    doc = page(result.output, f"{report.agency_id}/{report.year}/")
    td = doc.find("td", data_field="active.procurement.amount")
    assert td.text().startswith("984361") and not ({"broken", "unread"} & td.classes())
    mark = td.find("a", class_="mark-doubt")
    number = mark.attrs["href"].removeprefix("#problem-")
    assert mark.attrs["title"] == f"数值可疑，请核对，见问题 {number}"
    assert mark.find("span", aria_hidden="true").text() == "!"
    assert "若报告按元印制" in doc.find("li", id=f"problem-{number}").text()


def test_reused_form_cells_print_as_the_macro_does(built_site, extended_site):
    """Pages print form cells through FormCells, which keeps each distinct cell's HTML for
    the next page: what it prints, marked cells and a full memo included, must be what the
    form_cell macro prints for that cell."""
    from nianbao.render import FormCells, environment
    from nianbao.site_form import form_tables

    env = environment()
    macro = env.get_template("macros.html").module.form_cell
    cells = FormCells(env)
    cells.LIMIT = 40  # small: the memo fills and is cleared many times
    marked = 0
    for _ in range(2):  # twice: cells printed before come from the memo
        for site in (built_site, extended_site):
            for report in site.result.published:
                for t in (t for tables in form_tables(report).values() for t in tables):
                    for row in t.head + t.body:
                        assert cells.row(row) == "\n".join(macro(*c) for c in row)
                        assert len(cells.memo) <= cells.LIMIT
                        marked += sum(bool(c.marks) for c in row)
    assert marked


def test_report_page_sections_and_downloads(built_site):
    for report in built_site.result.site.reports:
        doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
        for t in ("active", "apply", "appeal"):
            assert doc.find("section", id=f"sec-{t}"), (report.agency_id, t)
        assert doc.find(id="table-apply").find("th", colspan="7") is not None  # 申请人情况
        pkg = built_site.result.site.packages[(report.agency_id, report.year)]
        hrefs = {a.attrs["href"] for a in doc.find("section", id="downloads").find_all("a")}
        for f in pkg.files:
            assert f"../../{pkg.path}{f.name}" in hrefs
        related = doc.find("nav", class_="related")
        assert f"../../years/{report.year}/" in {a.attrs["href"] for a in related.find_all("a")}
        assert "引用" in doc.find("section", class_="cite").text()


def test_dataset_jsonld(built_site):
    config = built_site.result.site.config
    for report in built_site.result.site.reports:
        doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
        scripts = doc.find_all("script", type="application/ld+json")
        assert len(scripts) == 1
        raw = scripts[0].text()
        assert "<" not in raw and ">" not in raw and "&" not in raw
        data = json.loads(raw)
        assert data["@type"] == "Dataset" and data["temporalCoverage"] == str(report.year)
        assert data["publisher"]["name"] == report.agency
        assert data["license"] == config["license"]["path"]
        assert data["spatialCoverage"]["name"]
        pkg = built_site.result.site.packages[(report.agency_id, report.year)]
        names = {d["name"] for d in data["distribution"]}
        assert all(d["@type"] == "DataDownload" for d in data["distribution"])
        assert {f.name for f in pkg.files if f.name.endswith(".csv")} | {"datapackage.json"} <= names
        if report.source_url:
            assert data["isBasedOn"] == report.source_url


def test_jsonld_escaping():
    evil = {"name": "</script><script>alert(1)</script> & <!--", "x": "\u2028"}
    text = str(jsonld_script(evil))
    assert not set("<>&") & set(text)
    assert json.loads(text) == evil


def test_markdown_raw_html_is_not_passed_through():
    md = markdown_renderer("../")
    html = md.render("<script>alert(1)</script>\n\n[数据](/data/) [外](https://example.org/)\n\n## 标题 {#anchor}")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="../data/"' in html and 'href="https://example.org/"' in html
    assert '<h2 id="anchor">标题</h2>' in html


# ---------------------------------------------------------------- every page


def test_every_page_is_chinese_and_links_metadata(built_site):
    out = built_site.output
    for path in html_files(out):
        doc = parse_html(path.read_text(encoding="utf-8"))
        html = doc.find("html")
        assert html.attrs.get("lang") == "zh-CN", path
        assert doc.find("meta", name="viewport"), path
        alt = doc.find("link", rel="alternate", type="application/ld+json")
        assert alt is not None, path
        target = resolve_internal(out, path, alt.attrs["href"])
        assert target == out / "catalog.jsonld", path
        assert doc.find("title").text().strip(), path


def test_internal_links_resolve(built_site):
    """Zero broken internal links: pages, assets, downloads and #anchors."""
    broken, checked = broken_links(built_site.output)
    assert checked > 100
    assert not broken


def broken_links(out: Path) -> tuple[list, int]:
    # catalog.jsonld and feed.xml are written by the metadata step (another module); while the
    # build does not produce them yet, links to them are the only ones allowed to dangle.
    pending = {p for p in ("catalog.jsonld", "feed.xml") if not (out / p).exists()}
    broken, checked = [], 0
    ids_cache: dict[Path, set[str]] = {}

    def ids(path: Path) -> set[str]:
        if path not in ids_cache:
            doc = parse_html(path.read_text(encoding="utf-8"))
            ids_cache[path] = {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}
        return ids_cache[path]

    for path in html_files(out):
        doc = parse_html(path.read_text(encoding="utf-8"))
        for _tag, _attr, url in links_of(doc):
            target = resolve_internal(out, path, url)
            if target is None:
                continue
            checked += 1
            if target.name in pending and target.parent == out:
                continue
            if not target.is_file():
                broken.append((str(path.relative_to(out)), url))
                continue
            fragment = url.partition("#")[2]
            if fragment and target.suffix == ".html" and fragment not in ids(target):
                broken.append((str(path.relative_to(out)), url))
    return broken, checked


def test_no_root_absolute_links(built_site):
    """Links relative to the page, so the site works under a sub-path (GitHub Pages)."""
    bad = []
    for path in html_files(built_site.output):
        for _tag, _attr, url in links_of(parse_html(path.read_text(encoding="utf-8"))):
            if url.startswith("/"):
                bad.append((path.name, url))
    assert not bad


def test_no_external_urls_except_metadata(built_site):
    config = built_site.result.site.config
    allowed = {config["license"]["path"]} | {r.source_url for r in built_site.result.reports
                                            if r.source_url}
    bad = []
    for path in html_files(built_site.output):
        for tag, _attr, url in links_of(parse_html(path.read_text(encoding="utf-8"))):
            external = re.match(r"^([a-z]+:)?//", url, re.I) or url.startswith(("http:", "https:"))
            if external and (tag != "a" or url not in allowed):
                bad.append((path.name, tag, url))
    assert not bad
    # our own assets name no host at all (the SVG namespace is an identifier, not a request)
    for asset in (built_site.output / "assets").iterdir():
        text = asset.read_text(encoding="utf-8")
        hosts = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not hosts, (asset.name, hosts)
        assert "@import" not in text and "@font-face" not in text


def test_site_folders_are_reserved_ids(built_site):
    """Every top-level folder of the site that is not an agency's is one no agency may take
    (a sidecar id there is rejected in extract.py)."""
    agencies = {r.agency_id for r in built_site.result.site.reports}
    folders = {p.name for p in built_site.output.iterdir() if p.is_dir()} - {".nianbao"}
    assert agencies <= folders
    assert folders - agencies <= SITE_FOLDERS
    assert {"catalog", "pagefind", "data", "years", "agencies"} <= SITE_FOLDERS


def test_404_page_works_from_any_depth(built_site):
    path = built_site.output / "404.html"
    doc = parse_html(path.read_text(encoding="utf-8"))
    assert not doc.find("link", rel="stylesheet")  # styles inline: no relative asset to miss
    assert doc.find("style") is not None
    assert all("data-href" in a.attrs for a in doc.find_all("a"))


# ---------------------------------------------------------------- downloads and quality


def test_downloads_page_lists_every_schema_field(built_site):
    doc = page(built_site.output, "data/")
    names = sorted(p.relative_to(schemas.SCHEMAS).as_posix()
                   for p in schemas.SCHEMAS.rglob("*.schema.json"))
    assert names
    for name in names:
        table = name.rsplit("/", 1)[-1].split(".")[0]
        section = doc.find("section", class_="schema", **{"aria-labelledby": f"schema-{table}"})
        assert section is not None, name
        listed = {tr.attrs["data-field"] for tr in section.find_all("tr") if "data-field" in tr.attrs}
        missing = [f["name"] for f in schemas.load(name)["fields"] if f["name"] not in listed]
        assert not missing, (name, missing)
        assert schemas.TABLES[table] in section.text()


def test_downloads_page_lists_every_package_file(built_site):
    doc = page(built_site.output, "data/")
    hrefs = {a.attrs["href"] for a in doc.find_all("a")}
    site = built_site.result.site
    for pkg in [site.combined, *site.packages.values()]:
        for f in pkg.files:
            assert "../" + posixpath.normpath(pkg.path + f.name) in hrefs, f.name
    assert not [h for h in hrefs if "/../" in h]  # ../nianbao.db, listed with data/all/
    text = doc.text()
    for f in site.combined.files:
        if f.rows is not None:
            assert f"{f.rows}" in text


def test_quality_page_groups_problems_by_kind(extended_site):
    doc = page(extended_site.output, "quality/")
    reports = extended_site.result.reports
    problem_rows = [tr for tr in doc.iter() if tr.tag == "tr"
                    and {"problem-report", "problem-parse"} & tr.classes()]
    assert len(problem_rows) == sum(len(r.problems) for r in reports)
    report_kind = doc.find("section", class_="kind kind-report")
    parse_kind = doc.find("section", class_="kind kind-parse")
    assert "rule-broken" in report_kind.text() and "cells-misaligned" in parse_kind.text()
    assert "cells-misaligned" not in report_kind.text()
    # links go to the problem on the report's page
    link = report_kind.find("section", **{"aria-labelledby": "code-rule-broken"}).find("a")
    assert link.attrs["href"].startswith("../beijing-tongzhou-shangwuju/2021/#problem-")
    unpublished = doc.find("section", class_="unpublished")
    assert "2021/unidentified.txt" in unpublished.text()


_CODE = r'"([a-z]+(?:-[a-z]+)+)"'
_CODE_SITES = re.compile(  # where the code gives a problem its code
    rf'(?:Problem\(|ReadError\(|problem\(|problem=){_CODE}|{_CODE},\s*"(?:error|warning|info)"')


def test_every_problem_code_has_its_chinese_name():
    """The data-quality page and the report pages name each kind of problem in Chinese: a
    code added in the code and not in site_text.CODES showed as its raw code."""
    made = set()
    for path in (ROOT / "nianbao").rglob("*.py"):
        for m in _CODE_SITES.finditer(path.read_text(encoding="utf-8")):
            made.add(m.group(1) or m.group(2))
    assert len(made) > 40
    assert sorted(made - set(site_text.CODES)) == []
    assert sorted(set(site_text.CODES) - made) == []  # no name for a code nothing makes


def test_places_are_listed_in_gbt2260_order(built_site):
    """北京, 吉林, 浙江, 山东, 河南: as official lists order provinces (by their GB/T 2260
    codes), not by the code points of their names (山东 before 浙江 before 河南 … 云南 first)."""
    reports = built_site.result.site.reports
    code_of = {r.region.province: r.region.code[:2] for r in reports}
    expected = sorted(code_of, key=code_of.get)
    assert expected != sorted(code_of)  # the two orders differ here
    headings = [h.text().strip() for h in page(built_site.output, "agencies/").find_all("h2")]
    assert [h for h in headings if h in code_of] == expected
    year = max(r.year for r in reports)
    select = page(built_site.output, f"years/{year}/").find("select", **{"data-filter": "province"})
    shown = [o.text().strip() for o in select.find_all("option")][1:]
    assert shown == [p for p in expected if p in shown] and len(shown) > 1


def test_a_reports_problems_list_errors_first_and_marks_point_at_theirs(extended_site):
    """What needs attention leads: errors, then warnings, then notes (a report's notes were
    found first and listed first). A cell's mark still links to its own problem."""
    rank = {"error": 0, "warning": 1, "info": 2}
    reordered = 0
    for report in extended_site.result.site.reports:
        doc = page(extended_site.output, f"{report.agency_id}/{report.year}/")
        items = doc.find("section", id="problems").find_all("li", class_="problem")
        severities = [next(c[4:] for c in li.classes() if c.startswith("sev-")) for li in items]
        assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
        reordered += [p.severity for p in report.problems] != severities
        by_anchor = {li.attrs["id"]: li for li in items}
        for a in doc.find_all("a", class_="mark"):
            li = by_anchor[a.attrs["href"].lstrip("#")]
            kind = "report" if "mark-broken" in a.classes() else "parse"
            assert f"problem-{kind}" in li.classes()
    assert reordered  # some report had a note before an error


def test_quality_page_counts_every_problem_when_it_lists_some(tmp_path):
    """Past list_limit the page lists the first rows of each kind; its headings still count
    them all (they counted the rows shown), and the home page counts the notes it does not
    list among 需要注意的."""
    from nianbao.pipeline import build

    content = make_extended_content(tmp_path / "content")
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 1\n")
    result = build(content, tmp_path / "out", search=False)
    doc = page(tmp_path / "out", "quality/")
    problems = [p for r in result.reports for p in r.problems]
    for kind in ("report", "parse"):
        heading = doc.find("h2", id=f"kind-{kind}").text()
        assert f"（{sum(p.kind == kind for p in problems)} 条）" in heading, heading
    notes = sum(p.kind == "parse" and p.severity == "info" for p in problems)
    assert notes and f"另有 {notes} 条提示" in page(tmp_path / "out", "").text()


def test_search_excerpts_do_not_repeat_a_table_caption_that_repeats_its_heading(built_site):
    """A form table's caption, hidden because the section heading above says the same, is
    left out of the search index: excerpts read 三、收到和处理… once, not twice."""
    for r in built_site.result.site.reports:
        doc = page(built_site.output, f"{r.agency_id}/{r.year}/")
        hidden = [c for c in doc.find_all("caption") if "visually-hidden" in c.classes()
                  and c.attrs.get("id", "").startswith("table-")]
        assert hidden and all("data-pagefind-ignore" in c.attrs for c in hidden)


@pytest.mark.parametrize("agency, region, kind", [
    ("北京市通州区商务局", ("北京市", "北京市", "通州区", "110112"), "商务局"),
    ("淄川区招商局", ("山东省", "淄博市", "淄川区", "370302"), "招商局"),
    ("淳安县市场监督管理局", ("浙江省", "杭州市", "淳安县", "330127"), "市场监督管理局"),
    ("北京市市场监督管理局", ("北京市", "北京市", None, "110000"), "市场监督管理局"),
    ("中牟商务局", ("河南省", "郑州市", "中牟县", "410122"), "商务局"),
    ("平潭综合实验区经济发展局", ("福建省", "福州市", "平潭县", "350128"), "经济发展局"),
    ("平潭综合实验区管委会办公室", ("福建省", "福州市", "平潭县", "350128"), "管委会办公室"),
    ("新区商务局", ("浙江省", "杭州市", None, "330100"), "新区商务局"),  # no place: the name
])
def test_agency_type_is_the_name_without_its_places(agency, region, kind):
    """The 机关类型 of year tables and filters: 市场监督管理局 keeps its 市 (it was 场监督管理局)."""
    report = Report(source=None, agency=agency, region=Region(*region))
    assert agency_type(report) == kind


def test_home_shows_shares_as_report_pages_do(built_site):
    """最新报告: "—" where 办理结果总计 is 0, blank where a cell is blank, as everywhere."""
    doc = page(built_site.output, "")
    table = doc.find("section", **{"aria-labelledby": "latest-h"}).find("table")
    by_name = {f"{r.agency} {r.year}": r for r in built_site.result.site.reports}
    shown = {shown_text(tr.find("th")).strip(): tr.find_all("td")[2].text().strip()
             for tr in table.find("tbody").find_all("tr")}
    assert shown
    for name, text in shown.items():
        assert text == fg.share_text(fg.key_figures(by_name[name]), "disclosed"), name
    assert "—" in shown.values()  # the bundled reports have one with 办理结果总计 0


def test_problems_speak_the_forms_language(extended_site):
    """A reader knows the form, not its field IDs, rule IDs or our file paths: a problem
    names cells by their rows and columns, its rule in words and its place in the original
    file by line (a text file's) or page (a PDF's)."""
    located = 0
    for report in extended_site.result.site.reports:
        if not report.problems:
            continue
        doc = page(extended_site.output, f"{report.agency_id}/{report.year}/")
        section = doc.find("section", id="problems")
        text = section.text()
        for field_id in report.values:
            assert field_id not in text, (report.source.rel, field_id)
        for p in report.problems:
            assert p.rule is None or f"（{p.rule}）" not in text
        assert report.source.rel not in text
        for p in report.problems:
            if re.match(re.escape(report.source.rel) + r":\d+ ", p.where):
                located += 1
                line = p.where.split(":", 1)[1].split(" ", 1)[0]
                unit = ("页" if report.format in ("pdf", "ofd") else "行" if report.format in ("text", "markdown")
                        else "段")
                assert f"位置：原始文件第 {line} {unit} · " in text
    assert located
    broken = [p for r in extended_site.result.site.reports for p in r.problems
              if p.code == "rule-broken"]
    assert broken and all(p.message.startswith("表") for p in broken)


# ---------------------------------------------------------------- comparisons


def test_year_table_csv_is_the_table(built_site):
    for year in sorted({r.year for r in built_site.result.site.reports}):
        doc = page(built_site.output, f"years/{year}/")
        table = doc.find("table", id="year-table")
        head = [th.text().strip() for th in table.find("thead").find_all("th")]
        rows = read_csv(built_site.output / f"years/{year}/nianbao-{year}.csv")
        assert rows[0] == head
        assert rows[1:] == row_texts(table)
        assert len(rows) - 1 == sum(r.year == year for r in built_site.result.site.reports)
        for tr in table.find("tbody").find_all("tr"):
            assert {"data-province", "data-city", "data-type"} <= set(tr.attrs)


def test_agency_page_marks_template_change(extended_site):
    doc = page(extended_site.output, "beijing-tongzhou-shangwuju/")
    head = doc.find("table", class_="plain figures-by-year").find("thead")
    changed = [th.text() for th in head.find_all("th") if "tpl-change" in th.classes()]
    assert len(changed) == 1 and "2021" in changed[0]
    active = doc.find("table", class_="plain active-cmp")
    na = [td for td in active.find_all("td") if "na" in td.classes()]
    assert na and all(td.text().strip() == "—" for td in na)
    text = active.text()
    assert "仅2019 年模板" in text and "仅2021 年模板" in text
    assert "拆成 3 个子项" in doc.text()  # 其他处理 differs between templates: footnoted
    assert len(doc.find_all("svg")) == len(fg.FIGURES)
    for fig in doc.find_all("figure", class_="chart-card"):
        assert fig.find("svg") is not None and fig.find("table") is not None
    rows = read_csv(extended_site.output / "beijing-tongzhou-shangwuju" / "figures.csv")
    assert rows[0] == ["指标", "2020", "2021"]
    table = doc.find("table", class_="plain figures-by-year")
    assert [r[0] for r in rows[1:]] == [r[0] for r in row_texts(table)]


def test_compare_data_matches_figures(built_site):
    data = json.loads((built_site.output / "compare" / "data.json").read_text(encoding="utf-8"))
    ids = {m["id"] for m in data["measures"]}
    assert {"received", "disclosed_share", "reviews", "suits_corrected"} <= ids
    for report in built_site.result.site.reports:
        agency = next(a for a in data["agencies"] if a["id"] == report.agency_id)
        values = agency["years"][str(report.year)]["values"]
        kf = fg.key_figures(report)
        for f in fg.FIGURES:
            expected = kf.values[f.id]
            assert values[f.id] == (None if expected is None else float(expected))


def test_search_index_only_agency_year_pages(built_site):
    entry = json.loads((built_site.output / "pagefind" / "pagefind-entry.json").read_text())
    languages = entry["languages"]
    assert set(languages) == {"zh-cn"}
    assert languages["zh-cn"]["page_count"] == len(built_site.result.site.reports)
    for report in built_site.result.site.reports:
        doc = page(built_site.output, f"{report.agency_id}/{report.year}/")
        body = doc.find(data_pagefind_body=True)
        assert body is not None
        filters = {n.attrs["data-pagefind-filter"]: n.text().strip()
                   for n in body.find_all(data_pagefind_filter=True)}
        assert filters["year"] == str(report.year)
        assert filters["agency"] == report.agency
        assert filters["province"] == report.region.province
        assert filters["template"].startswith(report.template)
    assert page(built_site.output, "").find(data_pagefind_body=True) is None


# ---------------------------------------------------------------- figures module


def _report(template="2019", **values) -> Report:
    r = Report(SourceFile(Path("x.txt"), "x.txt"), template=template, agency="某局",
               agency_id="x", region=Region("某省"), year=2021)
    r.values = {k.replace("__", "."): v for k, v in values.items()}
    return r


def test_each_province_gets_a_page_of_its_own():
    """Province pages are named by GB/T 2260 code; a second name for the same code (the
    resolver's data is not always consistent), a province without a code and reports without
    a province still get pages of their own, never one another's."""
    from nianbao.render import ReportView, region_groups

    def view(agency_id, province, code):
        r = Report(SourceFile(Path("x.txt"), "x.txt"), template="2019", agency=agency_id,
                   agency_id=agency_id, region=Region(province, None, None, code), year=2021)
        return ReportView(r, f"{agency_id}/2021/", province or "", "局", fg.key_figures(r))

    groups = region_groups({"a": [view("a", "北京市", "110101")], "b": [view("b", "北京", "110102")],
                            "c": [view("c", None, None)], "d": [view("d", "某省", None)]})
    slugs = {name: g["slug"] for name, g in groups.items()}
    assert slugs["北京"] == "110000" and slugs["地区未定"] == "unknown"
    assert len(set(slugs.values())) == 4


def test_year_pages_list_an_agency_under_the_province_of_its_agency_page(tmp_path):
    """An agency whose reports name its province differently from year to year (北京 in
    one, 北京市 in the next) is listed under one province, its agency page's, every year;
    the build does not stop on the name it has no page for."""
    from nianbao.render import (
        Out,
        ReportView,
        by_agency,
        common_context,
        environment,
        region_groups,
        render_years,
    )

    def view(year, province, code):
        r = Report(SourceFile(Path("x.txt"), "x.txt"), template="2019", agency="某局",
                   agency_id="a", region=Region(province, None, None, code), year=year)
        return ReportView(r, f"a/{year}/", province, "局", fg.key_figures(r))

    views = [view(2020, "北京", "110102"), view(2021, "北京市", "110101")]
    regions = region_groups(by_agency(views))
    render_years(Out(tmp_path, environment(), common_context({}, [2020, 2021])), views,
                 [2020, 2021], regions, limit=0)
    for year in (2020, 2021):
        assert "北京市" in (tmp_path / f"years/{year}/110000/index.html").read_text(encoding="utf-8")


def test_figures_blank_means_unknown_not_zero():
    r = _report(apply__new__total=5, apply__total__total=4, apply__disclosed__total=1)
    assert fg.value(r, "received") == 5
    assert fg.value(r, "withheld") is None  # its 8 cells are blank
    kf = fg.key_figures(r)
    assert kf.shares["disclosed"] == Decimal("25.0")
    assert len(kf.missing["withheld"]) == 8
    zero = _report(apply__total__total=0, apply__disclosed__total=0)
    assert fg.key_figures(zero).shares["disclosed"] is None
    assert fg.share_text(fg.key_figures(zero), "disclosed") == "—"


def test_figures_other_differs_by_template():
    r19 = _report("2019", apply__other__total=2)
    r21 = _report("2021", apply__other_no_supplement__total=1, apply__other_no_fee__total=0,
                  apply__other_misc__total=2)
    assert fg.value(r19, "other") == 2 and fg.value(r21, "other") == 3
    assert "2021" in fg.BY_ID["other"].notes


def test_figures_totals_count_only_known():
    a = _report(apply__new__total=3, apply__total__total=4, apply__disclosed__total=2)
    b = _report(apply__total__total=4, apply__disclosed__total=1)
    t = fg.totals([a, b])
    assert t.received == 3 and t.received_known == 1
    assert t.disclosed_share == Decimal("37.5") and t.share_reports == 2


# ---------------------------------------------------------------- live preview


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode("utf-8")


def test_serve_coalesces_a_burst_of_changes(tmp_path):
    content = make_extended_content(tmp_path / "content")
    output = tmp_path / "output"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content),
             "--output", str(output), "--port", str(port), "--base-path", "/nianbao/"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}/nianbao/"
        deadline = time.monotonic() + 60
        while True:
            try:
                html = _get(base)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("serve did not start:\n" + log.read_text())
                time.sleep(0.3)
        assert "livereload" in html  # the reload script is injected
        about = content / "pages" / "about.md"
        for i in range(4):  # one burst of changes, as a checkout or a sync writes files
            about.write_text(about.read_text(encoding="utf-8") + f"\n\n改动{i}\n", encoding="utf-8")
            time.sleep(0.01)
        deadline = time.monotonic() + 30
        while "改动3" not in _get(base + "about/"):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        time.sleep(3)  # idle: no rebuild of its own output
        text = log.read_text()
        assert text.count("built in") == 2, text  # the first build, then one for the burst
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(base + "no-such-page/")
        assert err.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _compare_places(out: Path, result) -> dict[str, list[str]]:
    """A big site's compare data: place name → the ids in its file, checked against what
    a small site's data.json would carry for each agency."""
    from nianbao.render import _json_default, by_agency, compare_data, report_views

    index = json.loads((out / "compare/data.json").read_text(encoding="utf-8"))
    full = json.loads(json.dumps(compare_data(by_agency(report_views(result.site)),
                                              sorted({r.year for r in result.site.reports})),
                                 ensure_ascii=False, default=_json_default))
    whole = {a["id"]: a for a in full["agencies"]}
    assert index["parts"] == "data/" and index["agencies"] == []
    assert index["years"] == full["years"] and index["measures"] == full["measures"]
    places, seen = {}, []
    for place in index["places"]:
        entries = json.loads((out / f"compare/data/{place['code']}.json").read_text(encoding="utf-8"))
        assert len(entries) == place["count"] and all(e == whole[e["id"]] for e in entries)
        places[place["name"]] = [e["id"] for e in entries]
        seen += places[place["name"]]
    assert sorted(seen) == sorted(whole)  # every agency, in one file
    return places


def test_quality_overview_tells_unread_cells_from_broken_rules(built_site, extended_site):
    """A journalist's review: the overview's 错误 column counted a report's unreadable cells
    and its own broken rules alike. 未能读出 counts the first; 等式不符 the second."""
    def row(output, name):
        table = page(output, "quality/").find("section", aria_labelledby="per-report-h")
        heads = [th.text().strip() for th in table.find("thead").find_all("th")]
        tr = next(tr for tr in table.find("tbody").find_all("tr") if name in tr.text())
        cells = tr.find_all("th") + tr.find_all("td")
        return dict(zip(heads, [c.text().strip() for c in cells]))

    zhongmu = row(built_site.output, "中牟县商务局 2020 年")  # a misaligned row: ours
    assert zhongmu["未能读出（错误）"] == "1" and zhongmu["等式不符"] == "0"
    tongzhou = row(extended_site.output, "北京市通州区商务局 2021 年")  # its own sums
    assert tongzhou["未能读出（错误）"] == "0" and int(tongzhou["等式不符"]) > 0


def test_aggregate_lists_stop_at_the_list_limit(tmp_path):
    """Past list_limit the downloads and data-quality pages list that many rows per table,
    say how many there are in all (the worst reports first) and point to the full CSVs."""
    import shutil

    from nianbao.pipeline import build
    from tests.conftest import CONTENT

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 2\n")
    result = build(content, tmp_path / "out", search=False)
    assert len(result.site.reports) == 5
    data = page(tmp_path / "out", "data/")
    assert len(data.find("table", class_="packages").find_all("tr")) == 1 + 2
    assert "每份报告的数据包（5 个）" in data.text() and "这里列出前 2 个" in data.text()
    quality = page(tmp_path / "out", "quality/")
    per_report = quality.find("section", aria_labelledby="per-report-h")
    assert len(per_report.find_all("tr")) == 1 + 2
    assert "共 5 份报告" in per_report.text()
    # The reports with errors come first: seed 001 has the build's one error.
    assert per_report.find("tbody").find_all("tr")[0].find("strong") is not None
    for table in quality.find_all("table", class_="problems-table"):
        assert len(table.find("tbody").find_all("tr")) <= 2
    # Past the limit, agencies are listed a province to a page: the home page and agencies/
    # link to the provinces, and every agency is on exactly one province's page.
    out = tmp_path / "out"
    provinces = {r.region.province for r in result.site.reports}
    home_links = [a.attrs["href"] for a in page(out, "").find("section", aria_labelledby="by-region-h")
                  .find_all("a") if a.attrs["href"].startswith("agencies/")]
    index_links = [a.attrs["href"] for a in page(out, "agencies/").find("main").find_all("a")
                   if a.attrs["href"].startswith("../agencies/")]
    assert len(index_links) == len(provinces) and len(home_links) == len(provinces) + 1
    listed = []
    for href in index_links:
        province_page = page(out, href.removeprefix("../"))
        assert province_page.find("h1").text().removesuffix("的机关") in provinces
        listed += [a.attrs["href"].removeprefix("../../").rstrip("/")
                   for ul in province_page.find_all("ul", class_="agency-list")
                   for a in ul.find_all("a") if a.attrs["href"].count("/") == 3]
    assert sorted(listed) == sorted({r.agency_id for r in result.site.reports})
    assert page(out, "agencies/110000/").find("h1").text() == "北京市的机关"
    # Year pages likewise: a year with more reports than the limit compares its provinces,
    # and each province's page has the table of its reports; together, the year's reports.
    split_years = 0
    for year in sorted({r.year for r in result.site.reports}):
        reports = [r for r in result.site.reports if r.year == year]
        doc = page(out, f"years/{year}/")
        if len(reports) <= 2:
            assert doc.find("table", id="year-table") is not None
            continue
        assert doc.find("table", id="year-table") is None
        hrefs = [a.attrs["href"] for a in doc.find("table", id="year-regions").find_all("a")]
        assert len(hrefs) == len({r.region.province for r in reports})
        rows = []
        for href in hrefs:
            assert href.startswith(f"../../years/{year}/")
            path = href.removeprefix("../../")
            sub = page(out, path)
            rows += [a.attrs["href"] for a in sub.find("table", id="year-table").find_all("a")]
            [csv_link] = [a.attrs["href"] for a in sub.find_all("a") if "download" in a.attrs]
            assert len(read_csv(out / f"{path}{csv_link}")) == 1 + len(
                sub.find("table", id="year-table").find("tbody").find_all("tr"))
        assert sorted(rows) == sorted(f"../../../{r.agency_id}/{year}/" for r in reports)
        assert len(read_csv(out / f"years/{year}/nianbao-{year}.csv")) == 1 + len(reports)
        split_years += 1
    assert split_years  # 2020 has four reports
    # compare/data.json lists places, not agencies; each place's file has its agencies as a
    # small site's data.json carries them, and every agency is in exactly one file.
    assert _compare_places(out, result) == {
        r.region.province: [r.agency_id] for r in result.site.reports}
    # The search page offers a filter only with at most list_limit choices.
    selects = page(out, "search/").find_all("select")
    # The seeds: two years, two templates; five provinces, cities and agencies.
    assert {s.attrs["name"] for s in selects} == {"year", "template"}
    assert all(len(s.find_all("option")) <= 1 + 2 for s in selects)
    broken, checked = broken_links(out)
    assert checked > 100 and not broken


def test_a_big_region_is_listed_a_place_to_a_page(tmp_path):
    """Past list_limit, a province's page lists its cities (a city's, its counties), each on
    a page of its own, so that no list page grows with the corpus: a page lists at most
    list_limit agencies or reports of its own. Every agency and report is on exactly one
    page, and the compare view's figures are in a file per such page."""
    from nianbao.pipeline import build

    content = make_region_content(tmp_path / "content")
    out = tmp_path / "out"
    result = build(content, out, search=False)
    assert {r.region.code for r in result.site.reports} == {c for _, c in REGION_AGENCIES}
    ids = {r.region.code: r.agency_id for r in result.site.reports}

    def links(doc, *, under: str) -> list[str]:
        return [a.attrs["href"] for a in doc.find("main").find_all("a")
                if a.attrs["href"].startswith(under)]

    def listed(doc) -> list[str]:
        return [a.attrs["href"].strip("./").rstrip("/") for ul in doc.find_all("ul", class_="agency-list")
                for a in ul.find_all("a") if a.attrs["href"].count("/") == 3]

    sichuan = page(out, "agencies/510000/")
    assert links(sichuan, under="../../agencies/5") == ["../../agencies/510100/",
                                                       "../../agencies/510700/"]
    assert listed(sichuan) == [ids["510000"]]  # its own department, under 四川省本级
    chengdu = page(out, "agencies/510100/")  # three agencies: past the limit, a county a page
    assert [c.text() for c in chengdu.find("nav", class_="crumbs").find_all("li")] == [
        "首页", "机关", "四川省", "成都市"]
    assert links(chengdu, under="../../agencies/5101") == [
        "../../agencies/510104/", "../../agencies/510105/", "../../agencies/510107/"]
    assert listed(chengdu) == []
    beijing = page(out, "agencies/110000/")
    assert links(beijing, under="../../agencies/1101") == ["../../agencies/110101/",
                                                           "../../agencies/110102/"]
    assert listed(beijing) == [ids["110000"]]
    everywhere = []
    for folder in sorted((out / "agencies").iterdir()):
        if folder.is_dir():
            everywhere += listed(page(out, f"agencies/{folder.name}/"))
    assert sorted(everywhere) == sorted(ids.values())  # each agency on exactly one page
    assert page(out, "agencies/510700/").find("h1").text() == "绵阳市的机关"

    # Year pages: 2021's five 四川 reports are split the same way; every report once.
    for year in (2021, 2022):
        seen, pending = [], [f"years/{year}/"]
        while pending:
            path = pending.pop()
            doc = page(out, path)
            regions = doc.find("table", id="year-regions")
            if regions is not None:
                pending += [a.attrs["href"].lstrip("./") for a in regions.find_all("a")]
            table = doc.find("table", id="year-table")
            if table is not None:
                rows = table.find("tbody").find_all("tr")
                assert len(rows) <= 2
                seen += [a.attrs["href"].strip("./").split("/")[0] for a in table.find_all("a")]
        assert sorted(seen) == sorted(ids.values())
    sichuan_2021 = page(out, "years/2021/510000/")
    assert sichuan_2021.find("caption", id="year-caption").text() == "2021 年度四川省本级机关关键数字"
    assert len(read_csv(out / "years/2021/510000/nianbao-2021-510000.csv")) == 1 + 5

    # The compare view offers agencies a place at a time: the places of the pages that list
    # agencies, each file holding those agencies.
    assert _compare_places(out, result) == {
        "北京市": [ids["110000"]], "北京市 · 东城区": [ids["110101"]],
        "北京市 · 西城区": [ids["110102"]], "四川省": [ids["510000"]],
        "四川省 · 成都市 · 锦江区": [ids["510104"]], "四川省 · 成都市 · 青羊区": [ids["510105"]],
        "四川省 · 成都市 · 武侯区": [ids["510107"]], "四川省 · 绵阳市": [ids["510703"]]}
    broken, checked = broken_links(out)
    assert checked > 100 and not broken


def test_template_lookups_on_dicts_are_jinjas():
    """render's environment looks up `d.name` on a dict by key first (faster), with Jinja's
    own result: a dict's methods stay methods, a missing name is an error, text is escaped."""
    import jinja2

    from nianbao import render

    env = render.environment()
    page = env.from_string("{{ d.label }}|{{ d['items'] }}|{{ d.items() | list | length }}|"
                           "{{ d.get('x', 'no') }}|{{ d.values() | list | length }}")
    assert page.render(d={"label": "<b>", "items": 3, "values": 7}) == "&lt;b&gt;|3|3|no|3"
    source, data = "{{ d.label }}|{{ d.items() | list | length }}", {"label": "<b>", "items": 3}
    plain = jinja2.Environment(autoescape=True)  # what Jinja itself makes of the same
    assert env.from_string(source).render(d=data) == plain.from_string(source).render(d=data)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ d.missing }}").render(d={})


def test_only_the_build_state_is_hidden(built_site):
    """Pages' upload leaves out hidden files: the site must not need any. The build state
    (.nianbao/) is meant to stay behind."""
    output = built_site.output
    hidden = [p.relative_to(output).as_posix() for p in output.rglob(".*")]
    assert hidden and all(h.split("/")[0] == ".nianbao" for h in hidden), hidden


def test_a_part_heading_worded_as_its_pattern_allows_holds_its_table(tmp_path):
    """A journalist's review: 平潭经济发展局 2024 heads part 四 "政府信息公开行政复议与行政诉讼
    情况" (与 for 、). The page put the table under the form's heading with a note that the
    report lacked it, and printed the report's own heading again below."""
    from nianbao.pipeline import build

    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    web = ROOT / "tests" / "corpus" / "web-text" / "dept_jjf_2024_97025_page.txt"
    (content / "reports" / "jjf.txt").write_bytes(web.read_bytes())
    result = build(content, tmp_path / "output", search=False)
    report = result.published[0]
    html = (result.output / report.agency_id / str(report.year) / "index.html").read_text(
        encoding="utf-8")
    assert "没有找到这一节的标题" not in html
    assert html.count("行政复议与行政诉讼情况") == 1
    doc = page(result.output, f"{report.agency_id}/{report.year}/")
    section = doc.find("section", id="sec-appeal")
    assert "四、政府信息公开行政复议与行政诉讼情况" in section.text()
    assert section.find("table") is not None
