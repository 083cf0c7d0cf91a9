# ruff: noqa: F811  (pytest fixtures imported from tests.site_fixtures)
"""Page layout, checked in the built HTML (and, where only a stylesheet rule can say it, in
site.css): row labels that stay readable on a phone, filters that offer a real choice, and
pages that say what they hold, no more.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nianbao.pipeline import build
from tests.conftest import CONTENT, ROOT
from tests.site_fixtures import (  # noqa: F401  (fixtures)
    Node,
    built_site,
    extended_site,
    make_region_content,
    page,
    parse_html,
)

SITE_CSS = ROOT / "site_src" / "assets" / "site.css"
FILTERS = ("province", "city", "county", "type")


# ---------------------------------------------------------------- helpers


def css_rules(text: str) -> list[tuple[str, list[str], dict[str, str]]]:
    """site.css as (the @media it is in or "", selectors, declarations), one entry per rule."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules, heads, pending = [], [], ""
    for token in re.findall(r"[{}]|[^{}]+", text):
        if token == "{":
            heads.append(pending.strip())
        elif token == "}":
            head = heads.pop()
            if not head.startswith("@"):
                media = next((h for h in heads if h.startswith("@media")), "")
                decls = dict((k.strip(), v.strip()) for k, _, v in
                             (d.partition(":") for d in pending.split(";") if ":" in d))
                rules.append((media, [sel.strip() for sel in head.split(",")], decls))
        else:
            pending = token
            continue
        pending = ""
    return rules


def declared(selector: str, prop: str, *, media: str = "") -> list[str]:
    """The values site.css gives `prop` in the rules naming exactly `selector` (outside any
    @media, or in the one given)."""
    return [decls[prop] for m, sels, decls in css_rules(SITE_CSS.read_text(encoding="utf-8"))
            if m == media and selector in sels and prop in decls]


def year_pages(output: Path) -> list[str]:
    return sorted(p.parent.relative_to(output).as_posix() + "/"
                  for p in (output / "years").rglob("index.html") if p.parent != output / "years")


def header_text(doc: Node) -> str:
    return doc.find("header", class_="page-head").text()


@pytest.fixture(scope="module")
def split_site(tmp_path_factory):
    """The region content (two provinces, 2021 and 2022) with list_limit 3: each year's page
    compares the provinces; 四川 (five agencies) is split again, its own department a
    one-row 本级 table and 成都 a page of three; 北京 is a page of three (its bureau and
    two districts)."""
    tmp = tmp_path_factory.mktemp("layout-split")
    content = make_region_content(tmp / "content")
    settings = content / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("list_limit: 2\n",
                                                                     "list_limit: 3\n"),
                        encoding="utf-8")
    output = tmp / "output"
    build(content, output, search=False)
    return output


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory):
    """The bundled content with list_limit 2: 2019 (one report) is one table, 2020 (four
    reports) is split by province."""
    tmp = tmp_path_factory.mktemp("layout-mixed")
    content = tmp / "content"
    shutil.copytree(CONTENT, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 2\n")
    output = tmp / "output"
    build(content, output, search=False)
    return output


# ---------------------------------------------------------------- 1, 2: row labels


def test_compare_table_gets_the_compare_table_rules(built_site):
    """The compare view's table is a .compare-table, so that site.css keeps its agency
    column in view (sticky) and its cells on one line while the years scroll: a plain
    table squeezed the names to a character a line on a phone."""
    table = page(built_site.output, "compare/").find("table", id="compare-table")
    assert "compare-table" in table.classes()
    assert declared(".compare-table tbody th", "position") == ["sticky"]
    assert "nowrap" in declared(".compare-table td", "white-space")
    # On a phone a long agency name wraps at a readable width rather than filling the screen.
    phone = "@media (max-width: 44rem)"
    assert declared(".compare-table tbody th a", "max-width", media=phone)
    assert declared(".compare-table tbody th a", "width", media=phone) == ["max-content"]


def test_agency_page_row_labels_stay_readable(extended_site):
    """The agency page's 各年度关键数字 labels (本年新收申请 …) and 表二's 条款 (第二十条第（一）项)
    are one line, never a character a line on a phone nor 第二十条第（一）/项 on a desktop; the
    numbers scroll under the labels, which stay in view (sticky). The rules name the page's
    markup: row labels are the tbody th of .figures-by-year, 条款 the first td of
    .active-cmp's rows and its 项目 their th."""
    doc = page(extended_site.output, "beijing-tongzhou-shangwuju/")
    figures = doc.find("table", class_="figures-by-year")
    for tr in figures.find("tbody").find_all("tr"):
        first = next(c for c in tr.children if isinstance(c, Node))
        assert first.tag == "th" and first.attrs.get("scope") == "row"
    assert figures.parent.tag == "div" and "table-scroll" in figures.parent.classes()
    active = doc.find("table", class_="active-cmp")
    for tr in active.find("tbody").find_all("tr"):
        first, second = [c for c in tr.children if isinstance(c, Node)][:2]
        assert first.tag == "td" and first.text().startswith("第二十条"), first.text()
        assert second.tag == "th"
    for selector in ("table.figures-by-year tbody th", "table.figures-by-year thead th:first-child",
                     "table.active-cmp tbody td:first-child",
                     "table.active-cmp thead th:first-child"):
        assert declared(selector, "white-space") == ["nowrap"], selector
    for selector in ("table.figures-by-year tbody th", "table.active-cmp tbody th"):
        assert declared(selector, "position") == ["sticky"], selector
        assert declared(selector, "left") == ["-1px"], selector  # over the table's border
    assert declared("table.active-cmp tbody th", "min-width")


# ---------------------------------------------------------------- 3: year pages


def test_year_page_summary_has_no_stray_space(built_site, split_site):
    """"…无法计算占比。本年新收申请合计 …": no space between the two sentences (a template
    line break showed as one)."""
    checked = 0
    for output in (built_site.output, split_site):
        for path in year_pages(output):
            text = header_text(page(output, path))
            assert "本年新收申请合计" in text, path
            assert not re.search(r"[。，；]\s+本年新收申请合计", text), (path, text)
            checked += 1
    assert checked > 5


def _rows(table: Node) -> list[Node]:
    return table.find("tbody").find_all("tr")


def test_year_filters_offer_only_choices_that_narrow(built_site, split_site):
    """A year page offers a filter only when choosing in it can change which rows are shown:
    a province's page offers no 省 (every row has it), a one-row table (四川省本级) neither
    filters nor sorts; where rows differ, the filters are there."""
    for output in (built_site.output, split_site):
        for path in year_pages(output):
            doc = page(output, path)
            table = doc.find("table", id="year-table")
            form = doc.find("form", id="year-filter")
            if table is None:
                assert form is None, path
                continue
            rows = _rows(table)
            if len(rows) < 2:
                assert form is None, path
                assert "sortable" not in table.classes(), path
                assert "table.js" not in str([s.attrs for s in doc.find_all("script")]), path
                continue
            assert "sortable" in table.classes(), path
            offered = {s.attrs["name"]: [o.attrs["value"] for o in s.find_all("option")][1:]
                       for s in (form.find_all("select") if form else [])}
            for key in FILTERS:
                values = [r.attrs[f"data-{key}"] for r in rows]
                narrows = len(set(values)) > 1
                assert (key in offered) == narrows, (path, key, values, offered)
                if narrows:
                    assert set(offered[key]) == {v for v in values if v}, (path, key)

    # the cases the review found, by name
    sichuan = page(split_site, "years/2021/510000/")
    assert len(_rows(sichuan.find("table", id="year-table"))) == 1
    assert sichuan.find("form", id="year-filter") is None
    chengdu = page(split_site, "years/2021/510100/")
    names = {s.attrs["name"] for s in chengdu.find("form", id="year-filter").find_all("select")}
    assert names == {"county", "type"}
    year = max(int(p.name) for p in (built_site.output / "years").iterdir() if p.name.isdigit())
    whole = page(built_site.output, f"years/{year}/").find("form", id="year-filter")
    assert {s.attrs["name"] for s in whole.find_all("select")} == set(FILTERS)


# ---------------------------------------------------------------- 4: the years index


ONE_TABLE = "每个年度一张表：该年度全部机关的关键数字"
SORTS = "机关不止一个时，可排序、可按地区和机关类型筛选"


def test_years_page_says_what_each_year_page_is(built_site, split_site, mixed_site):
    """years/ says a year page is one sortable, filterable table only where it is; a year
    split by province is said to be one, by its number where only some years are."""
    doc = page(built_site.output, "years/")
    assert ONE_TABLE in header_text(doc) and SORTS in header_text(doc)
    # 2019 has one report: its table neither sorts nor filters, as the sentence allows
    assert "sortable" not in page(built_site.output, "years/2019/").find("table", id="year-table").classes()
    assert "sortable" in page(built_site.output, "years/2020/").find("table", id="year-table").classes()

    text = header_text(page(split_site, "years/"))
    assert ONE_TABLE not in text and "一张表" not in text
    assert "每个年度的机关较多，按地区分页" in text and "点击省名" in text and SORTS in text
    for path in ("years/2021/", "years/2022/"):
        doc = page(split_site, path)
        assert doc.find("table", id="year-table") is None
        assert doc.find("table", id="year-regions") is not None

    text = header_text(page(mixed_site, "years/"))
    assert ONE_TABLE not in text
    assert "2020 年度机关较多，按地区分页" in text and "2019" not in text
    assert "其他年度一张表列出全部机关的关键数字" in text
    assert page(mixed_site, "years/2020/").find("table", id="year-regions") is not None
    assert page(mixed_site, "years/2019/").find("table", id="year-table") is not None


# ---------------------------------------------------------------- 5: agency lists


def _listed(doc: Node) -> list[tuple[str, str]]:
    """(name, what follows it) for every agency of the page's lists."""
    out = []
    for ul in doc.find_all("ul", class_="agency-list"):
        for li in ul.find_all("li"):
            name = li.find("a").text()
            span = next((c for c in li.children if isinstance(c, Node) and c.tag == "span"
                         and "muted" in c.classes()), None)
            out.append((name, span.text() if span else ""))
    return out


def test_agency_lists_do_not_repeat_the_name(built_site, split_site):
    """An agency's county and type follow its name only where the name does not already
    say them: 拱墅区商务局, not 拱墅区商务局 拱墅区 · 商务局."""
    listed = _listed(page(built_site.output, "agencies/"))
    for path in ("agencies/110000/", "agencies/510000/", "agencies/510100/", "agencies/510700/"):
        listed += _listed(page(split_site, path))
    assert len(listed) > 5
    for name, after in listed:
        for part in filter(None, after.split(" · ")):
            assert part not in name, (name, after)
    assert ("拱墅区商务局", "") in listed


def test_agency_list_shows_what_the_name_does_not_say(tmp_path):
    """The county and the type are still shown where the name leaves them out."""
    from nianbao.render import Out, common_context, environment

    def agency(n, name, county, kind):
        return {"id": f"a{n}", "name": name, "county": county, "city": "汕头市", "code": "440500",
                "type": kind, "years": [(2022, f"a{n}/2022/")]}

    cities = {"汕头市": [agency(1, "汕头市医疗保障局", "", "医疗保障局"),
                        agency(2, "潮阳海关", "潮阳区", "海关"),
                        agency(3, "汕头市公安局交通警察支队", "", "公安局"),
                        agency(4, "金平区教育局", "金平区", "教育局")]}
    regions = {"广东省": {"slug": "440000", "count": 4, "cities": cities}}
    Out(tmp_path, environment(), common_context({}, [2022])).page(
        "agencies/", "agencies.html", page_title="按地区浏览机关", groups=regions,
        regions=regions, place=None, active="agencies")
    doc = parse_html((tmp_path / "agencies" / "index.html").read_text(encoding="utf-8"))
    assert _listed(doc) == [("汕头市医疗保障局", ""), ("潮阳海关", "潮阳区"),
                            ("汕头市公安局交通警察支队", "公安局"), ("金平区教育局", "")]
