"""The static site: Jinja2 templates from site_src/templates, assets from site_src/assets.

Every figure, table layout and link is computed here (and in figures.py, site_form.py,
site_svg.py); templates only print. All internal links are relative to the page, so the site
works at a domain root and under a sub-path. Pages are written as <path>/index.html.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from nianbao import catalogue as cat
from nianbao import figures as fg
from nianbao import schemas, site_text
from nianbao.catalogue import norm
from nianbao.model import FileInfo, PackageInfo, Report, Site
from nianbao.package import original_name
from nianbao.publish import workbook_max_rows
from nianbao.resolve import agency_type
from nianbao.site_form import HtmlTable, form_tables, numbered_problems
from nianbao.site_svg import bar_chart

_HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w-]*)\}\s*$")
ROOT = Path(__file__).resolve().parent.parent
SITE_SRC = ROOT / "site_src"
NAV = (
    ("home", "", "首页"),
    ("years", "years/", "年度比较"),
    ("agencies", "agencies/", "机关"),
    ("compare", "compare/", "多机关对比"),
    ("data", "data/", "数据下载"),
    ("quality", "quality/", "数据质量"),
    ("search", "search/", "搜索"),
    ("about", "about/", "关于"),
)


# ---------------------------------------------------------------- helpers


def jsonld_script(data: dict) -> Markup:
    """JSON for a <script> element: `<`, `>` and `&` escaped so no text can end the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=_json_default)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _json_default(obj):
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError(type(obj).__name__)


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


_FORMULA_LIKE = re.compile(r"[=+\-@\t\r]")
_NUMBER_TEXT = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")


def spreadsheet_cell(text):
    """A page table's cell for a spreadsheet: text a spreadsheet would take for a formula
    (`=…`, `+…`, `-…`, `@…`) gets a leading apostrophe; numbers such as -1 stay numbers."""
    if isinstance(text, str) and _FORMULA_LIKE.match(text) and not _NUMBER_TEXT.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: list[list[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly. These
    are the page tables for spreadsheets (the data packages' CSVs are data and stay verbatim),
    so formula-like text is neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows([spreadsheet_cell(c) for c in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def page_url(report: Report) -> str:
    return f"{report.agency_id}/{report.year}/"


def file_anchor(rel: str) -> str:
    """An unpublished file's place on the data-quality page: its name may hold spaces."""
    return "file-" + hashlib.sha256(rel.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def markdown_renderer(root: str) -> MarkdownIt:
    """Markdown with raw HTML off; links written as /path are made relative to the page.
    One per root, reused: building it (its rule chains) cost more than rendering a section."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    default = md.renderer.rules.get("link_open")

    def link_open(tokens, idx, options, env):
        href = tokens[idx].attrGet("href") or ""
        if href.startswith("/") and not href.startswith("//"):
            tokens[idx].attrSet("href", (root + href[1:]) or "./")
        if default:
            return default(tokens, idx, options, env)
        return md.renderer.renderToken(tokens, idx, options, env)

    md.renderer.rules["link_open"] = link_open

    def heading_ids(state):
        """`## Title {#id}` gives the heading id="id" (commonmark has no attribute syntax)."""
        tokens = state.tokens
        for i, tok in enumerate(tokens[:-1]):
            inline = tokens[i + 1]
            if tok.type != "heading_open" or not inline.children:
                continue
            last = inline.children[-1]
            m = _HEADING_ID.search(last.content) if last.type == "text" else None
            if m:
                tok.attrSet("id", m.group(1))
                last.content = last.content[: m.start()].rstrip()
                inline.content = _HEADING_ID.sub("", inline.content).rstrip()

    md.core.ruler.push("heading_ids", heading_ids)
    return md


@dataclass
class Out:
    """Writes pages below the site root, each with the relative prefix back to the root."""

    root: Path
    env: Environment
    common: dict
    # path below root → SHA-256 of each page written, when asked for (what the search
    # shards are fingerprinted by: taken from the bytes as written, not read back)
    digests: dict[str, str] | None = None
    pages: list[str] = field(default_factory=list)  # each page's path, as given (the sitemap's)
    # path below root → digest of each page's template and context, when asked for; with
    # `old`, a page whose digest is the last build's is taken from it, not rendered again
    # (aggregate pages: not with `digests`, which would need the bytes)
    contexts: dict[str, str] | None = None
    old: OldPages | None = None

    def page(self, path: str, template: str, **context) -> None:
        depth = path.count("/")
        rel_root = "../" * depth
        target = self.root / path / "index.html" if path else self.root / "index.html"
        if path.endswith(".html"):
            target = self.root / path
            rel_root = "../" * path.count("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        context = {**self.common, **context, "root": rel_root, "home": rel_root or "./",
                   "path": path}
        if self.contexts is not None and self.digests is None:
            rel = target.relative_to(self.root).as_posix()
            digest = context_digest(template, context)
            if digest is not None:
                self.contexts[rel] = digest
                if self.old is not None and self.old.take(rel, digest, target):
                    self.pages.append(path)
                    return
        html = self.env.get_template(template).render(context).encode("utf-8")
        target.write_bytes(html)
        self.pages.append(path)
        if self.digests is not None:
            self.digests[target.relative_to(self.root).as_posix()] = hashlib.sha256(html).hexdigest()

    def file(self, path: str, data: bytes | str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        target.write_bytes(data)


@dataclass
class OldPages:
    """The last build's pages and the digests of what they were rendered from (see
    context_digest), with their sizes: a page that is not the size that build wrote was
    changed since, and is rendered again."""

    root: Path
    contexts: dict[str, str]
    sizes: dict[str, int]

    def take(self, rel: str, digest: str, target: Path) -> bool:
        """The old page as target (a hard link; the old output is left as it was), when it
        was rendered from this very template and context."""
        if self.contexts.get(rel) != digest:
            return False
        src = self.root / rel
        try:
            if src.stat().st_size != self.sizes.get(rel):
                return False
            os.link(src, target)
        except OSError:
            return False  # gone, or another file system: rendered instead
        return True


def context_digest(template: str, context: dict) -> str | None:
    """SHA-256 of a page's template name and context; None when the context holds anything
    but plain data (a report, say), whose JSON would not tell every change: such a page is
    always rendered. The templates and the code that fills them are the site fingerprint's
    (pipeline._site_fingerprint): pages are only reused while it is unchanged. (So is
    whether a value is a str or a Markup of the same text, which JSON does not tell: which
    one a context holds is the code's doing, not the data's.)"""
    try:
        data = json.dumps([template, context], ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), default=_plain)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


_PLAIN_RECORDS = (fg.Totals, fg.KeyFigures)  # dataclasses of numbers (and names): plain data


def _plain(obj):
    if isinstance(obj, Decimal):
        return ["Decimal", str(obj)]
    if type(obj) in _PLAIN_RECORDS:
        return [type(obj).__name__, vars(obj)]
    if callable(obj) and getattr(obj, "__module__", "").startswith("nianbao."):
        return ["function", f"{obj.__module__}.{obj.__qualname__}"]  # the code: fingerprinted
    raise TypeError(f"not plain data: {type(obj).__name__}")


_DICT_ATTRS = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's environment, with `x.name` on a plain dict looked up as Jinja does it but
    without its failed getattr first: the pages' view data is mostly dicts, and that
    AttributeError, raised and caught, was ~800 times a report page."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRS:  # no attribute of that name
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return Environment.getattr(self, obj, attribute)


def environment() -> Environment:
    env = _Environment(loader=FileSystemLoader(SITE_SRC / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["size"] = size_text
    env.filters["crumbs"] = lambda trail, root: [(label, root + path) for label, path in trail]
    env.globals["form_cells"] = FormCells(env)
    return env


class FormCells:
    """A form table's row as HTML, each cell printed by the form_cell macro, and each
    distinct cell printed once: a report page has ~280 cells, its headers and row labels
    are every page's, and its numbers mostly recur; Jinja's escaping of every attribute
    of every cell was a third of the page's time. The memo is per process, and bounded."""

    LIMIT = 100_000  # distinct cells kept: ~290 bytes each, ~30 MB (800 reports have ~8,000)

    def __init__(self, env: Environment):
        self.env = env
        self.memo: dict[tuple, str] = {}
        self.macro = None

    def cell(self, c) -> str:
        if self.macro is None:
            self.macro = self.env.get_template("macros.html").module.form_cell
        key = tuple(c)
        html = self.memo.get(key)
        if html is None:
            if len(self.memo) >= self.LIMIT:
                self.memo.clear()
            html = self.memo[key] = str(self.macro(*key))
        return html

    def row(self, cells: list) -> Markup:
        # a line between cells: the search index reads two header cells with nothing between
        # them as one run of text (行政复议行政诉讼), and cuts its words elsewhere
        return Markup("\n".join(map(self.cell, cells)))


# ---------------------------------------------------------------- shared view data


@dataclass
class ReportView:
    """What list pages show about one published report."""

    report: Report
    url: str
    region: str
    type: str
    figures: fg.KeyFigures

    @property
    def errors(self) -> int:
        return len(self.report.errors)


def report_views(site: Site) -> list[ReportView]:
    return [ReportView(r, page_url(r), site_text.region_text(r), agency_type(r),
                       fg.key_figures(r)) for r in site.reports]


def by_agency(views: list[ReportView]) -> dict[str, list[ReportView]]:
    out: dict[str, list[ReportView]] = defaultdict(list)
    for v in views:
        out[v.report.agency_id].append(v)
    for items in out.values():
        items.sort(key=lambda v: v.report.year)
    return dict(sorted(out.items(), key=lambda kv: _agency_sort(kv[1][-1].report)))


def _agency_sort(r: Report) -> tuple:
    """Places in GB/T 2260 order (北京, 天津, 河北 …, as official lists have them; a name's
    code-point order put 云南 first), agencies by name within one; unplaced ones last."""
    g = r.region
    code = g.code or "~"
    return (code[:2], code[:4], code, g.province or "", g.city or "", g.county or "",
            r.agency or "")


def measures() -> list[dict]:
    """Every number the comparison views offer: each key figure, and each share."""
    out = []
    for f in fg.FIGURES:
        out.append({"id": f.id, "label": f.label, "unit": "件", "description": f.description,
                    "percent": False})
        if f.share:
            out.append({"id": f"{f.id}_share", "label": f"{f.label}占比", "unit": "%",
                        "description": f"{f.label} ÷ 办理结果总计", "percent": True})
    return out


def measure_value(kf: fg.KeyFigures, measure_id: str):
    if measure_id.endswith("_share"):
        return kf.shares.get(measure_id[: -len("_share")])
    return kf.values.get(measure_id)


# ---------------------------------------------------------------- entry point


def common_context(config: dict, years: list[int]) -> dict:
    """What every page's template gets, whatever the page."""
    lic = {"name": "", "title": "", "path": "", **(config.get("license") or {})}
    return {
        "config": {"description": "", **config},
        "site_title": config.get("title", "年报"),
        "short_title": config.get("short_title", "年报"),
        "license": lic,
        "publisher": config.get("publisher", ""),
        "nav": NAV,
        "years": years,
    }


def render(site: Site, out: Path, content: Path, *, agency_pages: bool = True,
           contexts: dict[str, str] | None = None, old: OldPages | None = None) -> list[str]:
    """The whole site; returns the paths of the pages written. agency_pages=False leaves out
    each agency's own pages (its page and its agency-year pages), which the build renders
    per agency with render_agency_pages, across processes and only for agencies whose
    inputs changed; everything else is an aggregate over all reports, rendered here: each
    page's context digest into `contexts`, if given, and with `old`, only the pages whose
    context changed (an edit to one 2019 report: 2019's year pages, not the other years')."""
    config = site.config or {}
    env = environment()
    views = report_views(site)
    agencies = by_agency(views)
    years = sorted({r.year for r in site.reports})
    regions = region_groups(agencies)  # the list pages' provinces, each with its page's slug
    limit = list_limit(config)
    o = Out(out, env, common_context(config, years), contexts=contexts, old=old)
    copy_assets(out)
    render_home(o, site, views, agencies, years, regions)
    if agency_pages:
        for v in views:
            render_report(o, site, v, agencies[v.report.agency_id], content)
        for agency_id, items in agencies.items():
            render_agency(o, agency_id, items, site.withheld.get(agency_id, ()))
    places = render_agencies(o, agencies, regions, limit)
    render_years(o, views, years, regions, limit)
    render_compare(o, agencies, years, places, limit, site.withheld)
    render_data(o, site, views)
    render_quality(o, site, views)
    render_search(o, site, views, years)
    render_pages(o, content)
    render_404(o, config)
    return o.pages


def render_agency_pages(site: Site, out: Path, content: Path, units: list[list[Report]],
                        years: list[int], env: Environment | None = None,
                        digests: dict[str, str] | None = None) -> None:
    """Each agency's pages: its agency-year pages and its agency page. Each unit is one
    agency's published reports; years are the site's (the pages share the site's context).
    Needs site.packages for these reports and site.config only, so it runs in a worker.
    Pass env to reuse one Environment (and its compiled templates) across calls, digests
    to have each page's SHA-256 put in it (by path below out)."""
    o = Out(out, env or environment(), common_context(site.config or {}, years), digests)
    for reports in units:
        views = [ReportView(r, page_url(r), site_text.region_text(r), agency_type(r),
                            fg.key_figures(r)) for r in sorted(reports, key=lambda r: r.year)]
        for v in views:
            render_report(o, site, v, views, content)
        agency_id = views[0].report.agency_id
        render_agency(o, agency_id, views, site.withheld.get(agency_id, ()))


def files_root(config: dict, rel_root: str) -> str:
    """Where data files (packages, original reports, bulk downloads) are linked from: the
    files host (`files_base_url` in site.yaml, env NIANBAO_FILES_BASE_URL) when the site
    publishes them elsewhere, else the site itself (relative to the page)."""
    base = config.get("files_base_url")
    return (base if base.endswith("/") else base + "/") if base else rel_root


def copy_assets(out: Path) -> None:
    src = SITE_SRC / "assets"
    if src.is_dir():
        shutil.copytree(src, out / "assets", dirs_exist_ok=True)


# ---------------------------------------------------------------- home


def render_home(o: Out, site: Site, views, agencies, years, regions: dict[str, dict]) -> None:
    totals = fg.totals(site.reports)
    if len(agencies) <= list_limit(site.config or {}):
        provinces = {name: region_agencies(region) for name, region in regions.items()}
    else:  # a national corpus: each province a link to its own page of agencies
        provinces = None
    latest = sorted(views, key=lambda v: (v.report.year, v.report.signed or ""), reverse=True)[:10]
    problems = [p for r in site.all_reports for p in r.problems]
    quality = {
        "broken": sum(p.code == "rule-broken" for p in problems),
        "parse": sum(p.kind == "parse" and p.severity != "info" for p in problems),
        "parse_notes": sum(p.kind == "parse" and p.severity == "info" for p in problems),
        "unchecked": sum(p.code == "rule-unchecked" for p in problems),
        "unpublished": sum(not r.publishable for r in site.all_reports),
        "reports_ok": sum(not r.errors for r in site.reports),
    }
    o.page("", "home.html", page_title=None, totals=totals, n_agencies=len(agencies),
           provinces=provinces, regions=regions, latest=latest, quality=quality,
           fmt=fg.fmt, share_text=fg.share_text,
           year_counts=Counter(r.year for r in site.reports), active="home")


# ---------------------------------------------------------------- agency-year page


def report_blocks(report: Report, tables: dict[str, list[HtmlTable]], md: MarkdownIt) -> list[dict]:
    """The report in its own order: prose sections, with each table where its heading was."""
    by_title = {norm(title): t for t, title in cat.TABLE_TITLES.items()}
    blocks: list[dict] = []
    placed: set[str] = set()
    for s in report.sections:
        t = by_title.get(norm(s.title)) or next(  # or as reworded: 四's 与 for 、
            (p.table for p in cat.PARTS if p.table and p.titles(s.title)), None)
        heading = f"{s.number}、{s.title}" if s.number else s.title
        block = {"heading": heading, "html": Markup(md.render(s.markdown)) if s.markdown.strip()
                 else None, "table": None, "tables": [], "note": None,
                 "id": f"section-{len(blocks) + 1}"}
        if t and t not in placed:
            placed.add(t)
            block.update(table=t, tables=tables[t], id=f"sec-{t}")
        blocks.append(block)
    order = list(cat.TABLE_TITLES)
    for t in order:
        if t in placed:
            continue
        block = {"heading": cat.TABLE_TITLES[t], "html": None, "table": t, "tables": tables[t],
                 "note": "报告中没有找到这一节的标题，表格按模板的位置列出。", "id": f"sec-{t}"}
        later = [i for i, b in enumerate(blocks) if b["table"] and order.index(b["table"]) > order.index(t)]
        earlier = [i for i, b in enumerate(blocks) if b["table"] and order.index(b["table"]) < order.index(t)]
        if later:
            blocks.insert(later[0], block)
        elif earlier:
            blocks.insert(earlier[-1] + 1, block)
        else:
            blocks.insert(min(1, len(blocks)), block)
        placed.add(t)
    if "extra" in tables:
        last = max(i for i, b in enumerate(blocks) if b["table"])
        blocks[last]["tables"] = blocks[last]["tables"] + tables["extra"]
    return blocks


def figure_cards(kf: fg.KeyFigures, template: str | None) -> list[dict]:
    cards = []
    for f in fg.FIGURES:
        v = kf.values[f.id]
        missing = kf.missing[f.id]
        cards.append({
            "id": f.id, "label": f.label, "description": f.description, "group": f.group,
            "value": fg.fmt(v), "known": v is not None,
            "is_share": f.share,
            "share": fg.share_text(kf, f.id) if f.share else None,
            "note": f.notes.get(template or "", ""),
            "missing": f"有 {len(missing)} 个单元格空白或未能读出，无法计算" if missing else "",
        })
    return cards


def check_summary(report: Report) -> list[dict]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, status in report.checks.items():
        counts[key.split(":", 1)[0]][status] += 1
    return [{"rule": rule, "text": site_text.RULES.get(rule, rule), "ok": c["ok"],
             "broken": c["broken"], "unchecked": c["unchecked"]}
            for rule, c in sorted(counts.items(), key=lambda kv: list(site_text.RULES).index(kv[0])
                                  if kv[0] in site_text.RULES else 99)]


def problem_rows(report: Report, link: str | None = None) -> list[dict]:
    rows = []
    for i, p in numbered_problems(report):
        rows.append({
            "n": i, "anchor": f"problem-{i}", "code": p.code, "code_label": site_text.code_label(p.code),
            "severity": p.severity, "severity_label": site_text.SEVERITIES.get(p.severity, p.severity),
            "kind": p.kind, "kind_label": site_text.KINDS.get(p.kind, p.kind),
            # the rule's ID closes its message (for the CSV and the command line); the page
            # names the rule in words below it
            "message": p.message.removesuffix(f"（{p.rule}）") if p.rule else p.message,
            "where": site_text.place(p.where, report),
            "rule": site_text.RULES.get(p.rule or "", ""),
            "link": f"{link}#problem-{i}" if link else None,
        })
    return rows


def download_rows(pkg: PackageInfo | None, prefix: str) -> list[dict]:
    if pkg is None:
        return []
    # the bulk files are listed with data/all/ as ../nianbao.db: their link goes straight there
    return [{"name": f.name, "href": prefix + posixpath.normpath(pkg.path + f.name),
             "size": size_text(f.bytes),
             "bytes": f.bytes, "rows": f.rows, "title": f.title or _file_title(f),
             "zip": f.name == pkg.zip_name} for f in pkg.files]


def _file_title(f: FileInfo) -> str:
    ext = f.name.rsplit(".", 1)[-1].lower()
    return site_text.FILE_KINDS.get("." + ext, ext.upper())


def absolute(config: dict, path: str) -> str:
    base = (config.get("base_url") or "").rstrip("/") + "/"
    return base + path


def dataset_jsonld(report: Report, pkg: PackageInfo | None, config: dict) -> dict:
    lic = config.get("license", {})
    region = site_text.region_text(report)
    place: dict = {"@type": "Place", "name": region}
    if report.region.code:
        place["identifier"] = report.region.code
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": f"{report.agency} {report.year} 年政府信息公开工作年度报告数据",
        "description": (f"{report.agency}（{region}）{report.year} 年度政府信息公开工作年度报告中的"
                        f"主动公开、依申请公开和行政复议、行政诉讼数据，按 {report.template} 年模板逐项提取"
                        "并校验勾稽关系。"),
        "url": absolute(config, page_url(report)),
        "inLanguage": "zh-CN",
        "keywords": ["政府信息公开", "年度报告", report.agency, region],
        "publisher": {"@type": "GovernmentOrganization", "name": report.agency},
        "spatialCoverage": place,
        "temporalCoverage": str(report.year),
    }
    if lic.get("path"):
        data["license"] = lic["path"]
    if report.source_url:
        data["isBasedOn"] = report.source_url
    if pkg:
        dist = []
        for f in pkg.files:
            if f.name.endswith(".csv") or f.name == "datapackage.json":
                dist.append({
                    "@type": "DataDownload", "name": f.name,
                    "description": f.title,
                    "encodingFormat": "text/csv" if f.name.endswith(".csv") else "application/json",
                    "contentUrl": (files_root(config, "") + pkg.path + f.name
                                   if config.get("files_base_url") else absolute(config, pkg.path + f.name)),
                    "contentSize": f"{f.bytes} B",
                })
        data["distribution"] = dist
    return data


def cite_text(report: Report, config: dict) -> str:
    publisher = config.get("publisher", "nianbao")
    lic = config.get("license", {}).get("name", "")
    return (f"{publisher}. {report.agency} {report.year} 年政府信息公开工作年度报告数据[DS/OL]. "
            f"{absolute(config, page_url(report))}" + (f"（{lic}）" if lic else "") + ".")


def render_report(o: Out, site: Site, view: ReportView, siblings: list[ReportView],
                  content: Path) -> None:
    r = view.report
    path = page_url(r)
    root = "../../"
    pkg = site.packages.get((r.agency_id, r.year))
    tables = form_tables(r)
    md = markdown_renderer(root)
    original = original_name(r)
    original_file = next((f for f in (pkg.files if pkg else []) if f.name == original), None)
    filters = {"year": str(r.year), "province": r.region.province, "city": r.region.city,
               "county": r.region.county, "agency": r.agency,
               "template": site_text.TEMPLATE_SHORT.get(r.template, r.template)}
    problems = problem_rows(r)
    o.page(path, "report.html", page_title=f"{r.agency} {r.year} 年", view=view, report=r,
           template_label=site_text.TEMPLATES.get(r.template, r.template),
           cards=figure_cards(view.figures, r.template),
           checks=check_summary(r), blocks=report_blocks(r, tables, md),
           problems=problems,
           problem_counts=Counter(p["severity"] for p in problems),
           downloads=download_rows(pkg, files_root(site.config or {}, root)),
           original=({"href": files_root(site.config or {}, root) + pkg.path + original,
                      "size": size_text(original_file.bytes),
                      "kind": site_text.FILE_KINDS.get(os.path.splitext(original)[1].lower(), "")}
                     if pkg and original_file else None),
           siblings=[{"year": v.report.year, "url": root + v.url, "current": v is view}
                     for v in siblings],
           filters={k: v or "" for k, v in filters.items()},  # a county-level city has no city
           jsonld=jsonld_script(dataset_jsonld(r, pkg, site.config or {})),
           cite=cite_text(r, site.config or {}), active=None,
           description=f"{r.agency}（{view.region}）{r.year} 年政府信息公开工作年度报告的数据")


# ---------------------------------------------------------------- agency page


def template_changes(items: list[ReportView]) -> set[int]:
    """Indexes i where report i uses a different template from report i-1."""
    return {i for i in range(1, len(items))
            if items[i].report.template != items[i - 1].report.template}


def active_comparison(items: list[ReportView]) -> dict:
    """Table 二 field by field across years; a field a year's template lacks is marked, not 0."""
    c = cat.load()
    templates = list(dict.fromkeys(v.report.template for v in items))
    rows: dict[str, dict] = {}
    for tid in templates:
        t = c.template(tid)
        for f in t.fields:
            if f.table != "active":
                continue
            entry = rows.setdefault(f.id, {"id": f.id, "labels": {}, "item": f.row.group})
            entry["labels"][tid] = f"{f.row.item_label} · {f.column.heading}"
    out_rows = []
    for fid, entry in rows.items():
        labels = entry["labels"]
        distinct = list(dict.fromkeys(labels.values()))
        label = distinct[0] if len(distinct) == 1 else "；".join(
            f"{site_text.TEMPLATE_SHORT[t]}：{lab}" for t, lab in labels.items())
        cells = []
        for v in items:
            if v.report.template not in labels:
                cells.append({"text": "—", "cls": "na", "title": "该年度的模板没有这一项"})
            else:
                val = v.report.values.get(fid)
                column = c.template(v.report.template).field_map[fid].column
                cells.append({"text": fg.fmt(val, signed=column.signed),
                              "cls": "num" + (" blank" if val is None else ""),
                              "title": "报告中此格空白" if val is None else ""})
        only = [site_text.TEMPLATE_SHORT[t] for t in templates if t not in labels]
        out_rows.append({"item": entry["item"], "label": label, "cells": cells,
                         "only": len(labels) < len(templates),
                         "only_text": ("仅" + "、".join(site_text.TEMPLATE_SHORT[t] for t in labels))
                         if only else "",
                         "relabelled": len(distinct) > 1})
    items_order = list(dict.fromkeys(r["item"] for r in out_rows))
    out_rows.sort(key=lambda r: items_order.index(r["item"]))  # stable: template order within
    return {"rows": out_rows, "templates": templates}


def _issues(report: Report) -> str:
    """A year's errors in a few words: the report's own (its rules broken), then ours."""
    own = sum(p.kind == "report" for p in report.errors)
    ours = len(report.errors) - own
    parts = ([f"{own} 处不符"] if own else []) + ([f"{ours} 处未能读出"] if ours else [])
    return "，".join(parts) or "无错误"


def render_agency(o: Out, agency_id: str, items: list[ReportView], withheld=()) -> None:
    latest = items[-1].report
    changes = template_changes(items)
    cols = [{"year": v.report.year, "url": f"{v.report.year}/",
             "template": site_text.TEMPLATE_SHORT.get(v.report.template, v.report.template),
             "change": i in changes, "errors": v.errors, "issues": _issues(v.report)}
            for i, v in enumerate(items)]
    rows = []
    notes: list[str] = []
    for f in fg.FIGURES:
        cells = []
        for v in items:
            note = f.notes.get(v.report.template or "")
            if note and note not in notes:
                notes.append(note)
            cells.append({"text": fg.fmt(v.figures.values[f.id]),
                          "note": notes.index(note) + 1 if note else None})
        rows.append({"label": f.label, "description": f.description, "cells": cells,
                     "percent": False})
        if f.share:
            rows.append({"label": f"{f.label}占比", "description": f"{f.label} ÷ 办理结果总计",
                         "cells": [{"text": fg.share_text(v.figures, f.id), "note": None}
                                   for v in items], "percent": True})
    csv_rows = [["指标", *(str(c["year"]) for c in cols)]]
    csv_rows += [[row["label"], *(c["text"] for c in row["cells"])] for row in rows]
    o.file(f"{agency_id}/figures.csv", csv_text(csv_rows))
    charts = []
    for f in fg.FIGURES if len(items) > 1 else ():  # one year: no trend (agency.html says so)
        percent = f.share
        points = [(str(v.report.year),
                   v.figures.shares[f.id] if percent else v.figures.values[f.id],
                   (fg.share_text(v.figures, f.id) or "空白") if percent else "空白")
                  for v in items]
        charts.append({
            "id": f.id, "label": f.label + ("占比" if percent else ""),
            "svg": Markup(bar_chart(points, title=f"{latest.agency} 各年度{f.label}"
                                    + ("占比" if percent else ""), percent=percent,
                                    breaks=tuple(sorted(changes)), chart_id=f"chart-{f.id}")),
            "rows": [{"year": v.report.year, "count": fg.fmt(v.figures.values[f.id]),
                      "share": fg.share_text(v.figures, f.id) if percent else None}
                     for v in items],
            "percent": percent,
        })
    o.page(f"{agency_id}/", "agency.html", page_title=latest.agency, agency=latest,
           region=items[-1].region, type=items[-1].type, cols=cols, rows=rows, notes=notes,
           charts=charts, active_cmp=active_comparison(items), changed=bool(changes),
           items=items, active="agencies",
           withheld=[{"year": r.year, "source": r.source.rel, "anchor": file_anchor(r.source.rel),
                      "errors": [p.message for p in r.errors]} for r in withheld],
           description=f"{latest.agency}各年度政府信息公开工作年度报告的关键数据")


def region_groups(agencies: dict[str, list[ReportView]]) -> dict[str, dict]:
    """Agencies by province, then city (a province-level city is its own city), each
    province with the slug of its own page: its GB/T 2260 code (110000), else a number."""
    groups: dict[str, dict] = {}
    for agency_id, items in agencies.items():
        r = items[-1].report
        province = r.region.province or "地区未定"
        group = groups.setdefault(province, {"slug": None, "count": 0, "cities": defaultdict(list)})
        code = r.region.code or ""
        if group["slug"] is None and len(code) >= 2 and code[:2].isdigit() and r.region.province:
            group["slug"] = code[:2] + "0000"
        group["count"] += 1
        group["cities"][r.region.city or r.region.province or "地区未定"].append(
            {"id": agency_id, "name": r.agency, "county": r.region.county or "",
             "city": r.region.city or "", "code": code,
             "type": items[-1].type, "years": [(v.report.year, f"{agency_id}/{v.report.year}/")
                                               for v in items]})
    # in GB/T 2260 order, as _agency_sort: provinces by code, each one's cities by code
    out = dict(sorted(groups.items(), key=lambda kv: (kv[1]["slug"] or "~", kv[0])))
    taken: set[str] = set()
    for n, (province, group) in enumerate(out.items(), 1):
        if group["slug"] in taken or group["slug"] is None:  # two names, one code: keep both
            group["slug"] = "unknown" if province == "地区未定" else f"region-{n}"
        taken.add(group["slug"])
        group["cities"] = dict(sorted(
            group["cities"].items(),
            key=lambda kv: (min(a["code"][:4] or "~" for a in kv[1]), kv[0])))
    return out


def region_agencies(region: dict) -> list[dict]:
    """A province's agencies (region_groups' entries), its cities' one after another."""
    return [a for city in region["cities"].values() for a in city]


def agency_places(regions: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    """Agency id → (the province region_groups put it under, its entry there): the one place
    that rule lives."""
    return {a["id"]: (name, a) for name, region in regions.items()
            for a in region_agencies(region)}


def render_agencies(o: Out, agencies: dict[str, list[ReportView]], regions: dict[str, dict],
                    limit: int) -> dict[str, dict]:
    """One page of every agency; past `limit` agencies, a page of provinces and a page of
    agencies per province (at 100,000 reports the one page was over 20 MB), and so on down:
    a province with more than `limit` agencies lists its cities, each on its own page (see
    split_region). Returns, for a split site, the pages that list agencies, in order:
    {slug: {"name": "四川省 · 成都市", "ids": [the agencies it lists]}}; the compare view
    offers agencies a page at a time."""
    split = len(agencies) > limit
    o.page("agencies/", "agencies.html", page_title="按地区浏览机关",
           groups={} if split else regions, regions=regions, place=None,
           active="agencies", description="按省、市、县（区）浏览全部机关")
    places: dict[str, dict] = {}
    if split:
        for name, region in regions.items():
            _region_agencies(o, name, region["slug"], region_agencies(region), 1, limit, [],
                             places)
    return places


def _region_agencies(o: Out, name: str, slug: str, members: list[dict], level: int, limit: int,
                     trail: list[tuple[str, str]], places: dict[str, dict]) -> None:
    own, parts = split_region(name, members, level, lambda a: a, limit)
    if own:
        places[slug] = {"name": " · ".join([*(n for n, _ in trail), name]),
                        "ids": [a["id"] for a in own]}
    groups: dict[tuple[str, str], list[dict]] = {}
    for a in own:  # a page of all its agencies shows them under its cities (or counties)
        below = None if parts else _below(a, name, level)
        groups.setdefault((below[1], below[0]) if below else ("", name), []).append(a)
    lists = {heading: items for (_, heading), items in sorted(groups.items())}
    o.page(f"agencies/{slug}/", "agencies.html", page_title=f"{name}的机关", groups=None,
           regions=None, place=name, trail=trail, lists=lists, total=len(members),
           parts=[{"name": sub, "slug": code, "count": len(items)}
                  for code, (sub, _, items) in parts.items()],
           active="agencies", description=f"{name}发布了年度报告数据的全部机关")
    for code, (sub, sub_level, items) in parts.items():
        _region_agencies(o, sub, code, items, sub_level, limit,
                         [*trail, (name, f"agencies/{slug}/")], places)


def _below(agency: dict, name: str, level: int) -> tuple[str, str, int] | None:
    """The place one level below the region `name` (a province at level 1, a city at 2)
    that the agency is in: (its name, its GB/T 2260 code, its level); None for an agency
    of the region itself. A municipality's one city is the municipality itself: its
    counties come straight under it, as do the counties a province governs directly."""
    code = agency["code"]
    if len(code) != 6 or not code.isdigit():
        return None
    city, county = agency["city"], agency["county"]
    if level == 1 and city and city != name and code[2:4] != "00":
        return city, code[:4] + "00", 2
    if level <= 2 and county and code[4:] != "00":
        return county, code, 3
    return None


def split_region(name: str, items: list, level: int, agency_of, limit: int
                 ) -> tuple[list, dict[str, tuple[str, int, list]]]:
    """A region's items (agencies, or reports: agency_of gives the agency's place) past
    `limit`, split one level down so that no page lists them all: (the region's own items,
    {code: (place name, its level, its items)} in code order). Up to `limit`, or with
    nothing to split into: (all items, {})."""
    if len(items) <= limit:
        return items, {}
    own, parts = [], {}
    for item in items:
        below = _below(agency_of(item), name, level)
        if below is None:
            own.append(item)
        else:
            parts.setdefault(below[1], (below[0], below[2], []))[2].append(item)
    if not parts:
        return items, {}
    return own, dict(sorted(parts.items()))


# ---------------------------------------------------------------- years


YEAR_COLUMNS = (
    ("received", False, "本年新收申请"),
    ("handled", False, "办理结果总计"),
    ("disclosed", True, "予以公开"),
    ("partial", True, "部分公开"),
    ("withheld", True, "不予公开"),
    ("unable", True, "无法提供"),
    ("rejected", True, "不予处理"),
    ("other", True, "其他处理"),
    ("reviews", False, "行政复议"),
    ("reviews_corrected", False, "复议纠正"),
    ("suits", False, "行政诉讼"),
    ("suits_corrected", False, "诉讼纠正"),
)


def year_table(views: list[ReportView]) -> dict:
    """The comparison table of one year: header, rows (display text + sort keys), CSV rows."""
    head = ["机关", "省", "市", "县（区）", "机关类型", "模板"]
    head += [label + ("占比" if share else "") for _, share, label in YEAR_COLUMNS]
    head += ["错误数"]
    rows = []
    for v in sorted(views, key=lambda v: _agency_sort(v.report)):
        r = v.report
        cells = [{"text": r.agency, "sort": r.agency, "href": v.url},
                 {"text": r.region.province or "", "sort": r.region.province or ""},
                 {"text": r.region.city or "",
                  "sort": r.region.city or ""},
                 {"text": r.region.county or "", "sort": r.region.county or ""},
                 {"text": v.type, "sort": v.type},
                 {"text": site_text.TEMPLATE_SHORT.get(r.template, r.template or ""),
                  "sort": r.template or ""}]
        for fid, share, _ in YEAR_COLUMNS:
            val = v.figures.shares.get(fid) if share else v.figures.values.get(fid)
            text = fg.share_text(v.figures, fid) if share else fg.fmt(val)
            title = ("" if val is not None else "办理结果总计为 0，无法计算占比" if text == "—"
                     else "报告中相关单元格空白或未能读出，无法计算")
            cells.append({"text": text, "sort": "" if val is None else str(val), "num": True,
                          "title": title})
        cells.append({"text": str(v.errors), "sort": str(v.errors), "num": True})
        cells = [{"href": None, "num": False, "title": "", **c} for c in cells]
        known = v.figures.values
        rows.append({"cells": cells, "province": r.region.province or "",
                     "city": r.region.city or "", "county": r.region.county or "",
                     "type": v.type,
                     # what fg.totals sums, for the totals of the rows a filter leaves
                     "totals": {f: "" if known.get(f) is None else str(known[f])
                                for f in ("received", "disclosed", fg.SHARE_BASE)}})
    csv_rows = [head] + [[c["text"] for c in row["cells"]] for row in rows]
    return {"head": head, "rows": rows, "csv": csv_rows,
            "numeric": [i >= 6 for i in range(len(head))]}


def _options(values) -> list[str]:
    return sorted({v for v in values if v})


def _places(values) -> list[str]:
    """Place names in the order met: callers pass them in GB/T 2260 order (_agency_sort)."""
    return list(dict.fromkeys(v for v in values if v))


def render_years(o: Out, views: list[ReportView], years: list[int], regions: dict[str, dict],
                 limit: int) -> None:
    """A page per year comparing its reports; past `limit` reports in a year, that page
    compares the provinces and each province gets the table of its reports, and so on down
    (split_region). An agency is under the place its agency page is listed under (its
    latest report's), every year."""
    place_of = agency_places(regions)
    summary = []
    for year in years:
        items = [v for v in views if v.report.year == year]
        totals = fg.totals([v.report for v in items])
        common = {"year": year, "active": "years"}
        table = year_table(items)
        o.file(f"years/{year}/nianbao-{year}.csv", csv_text(table["csv"]))
        if len(items) <= limit:
            _year_page(o, f"years/{year}/", table, [], totals=totals, place=None,
                       trail=[], csv_name=f"nianbao-{year}.csv", **common)
        else:
            by_province: dict[str, list[ReportView]] = defaultdict(list)
            for v in items:
                by_province[place_of[v.report.agency_id][0]].append(v)
            parts = []
            for name in (n for n in regions if n in by_province):  # GB/T 2260 order
                slug, members = regions[name]["slug"], by_province[name]
                parts.append(_region_year(o, year, name, slug, members, 1, limit,
                                          [(f"{year} 年度", f"years/{year}/")],
                                          lambda v: place_of[v.report.agency_id][1]))
            _year_page(o, f"years/{year}/", None, parts, totals=totals, place=None, trail=[],
                       csv_name=f"nianbao-{year}.csv", **common)
        summary.append({"year": year, "reports": len(items), "totals": totals,
                        "split": len(items) > limit})
    o.page("years/", "years.html", page_title="年度比较", summary=summary, fmt=fg.fmt,
           active="years", description="按年度比较各机关的政府信息公开数据")


def _region_year(o: Out, year: int, name: str, slug: str, members: list[ReportView],
                 level: int, limit: int, trail: list[tuple[str, str]], agency_of) -> dict:
    """A place's page of one year (its reports, or past `limit` its parts' totals and the
    reports of the place itself), its pages below; returns its row for the page above."""
    csv_name = f"nianbao-{year}-{slug}.csv"
    path = f"years/{year}/{slug}/"
    table = year_table(members)
    o.file(path + csv_name, csv_text(table["csv"]))
    own, split = split_region(name, members, level, agency_of, limit)
    parts = [_region_year(o, year, sub, code, items, sub_level, limit,
                          [*trail, (name, path)], agency_of)
             for code, (sub, sub_level, items) in split.items()]
    if split:
        table = year_table(own) if own else None
    totals = fg.totals([v.report for v in members])
    _year_page(o, path, table, parts, totals=totals, place=name, trail=trail,
               csv_name=csv_name, year=year, active="years")
    return {"name": name, "href": path, "totals": totals}


def _year_page(o: Out, path: str, table: dict | None, parts: list[dict], *, year: int,
               place: str | None, **context) -> None:
    where = place or ""
    rows = table["rows"] if table else []
    o.page(path, "year.html", page_title=f"{year} 年度比较" + (f" · {where}" if where else ""),
           year=year, table=table, parts=parts, place=place, fmt=fg.fmt,
           filters={"province": _places(r["province"] for r in rows),
                    "city": _places(r["city"] for r in rows),
                    "county": _places(r["county"] for r in rows),
                    "type": _options(r["type"] for r in rows)},
           description=f"{year} 年度{where}各机关政府信息公开工作年度报告关键数据比较", **context)


# ---------------------------------------------------------------- compare


def compare_data(agencies: dict[str, list[ReportView]], years: list[int],
                 withheld: dict[str, list[Report]] | None = None) -> dict:
    """withheld: Site.withheld, so that a year whose file was not published is told from a
    year the agency has no report for."""
    ms = measures()
    withheld = withheld or {}
    return {
        "years": years,
        "measures": ms,
        "agencies": [
            {"id": agency_id, "name": items[-1].report.agency, "region": items[-1].region,
             "type": items[-1].type,
             "years": {str(v.report.year): {
                 "template": v.report.template, "url": v.url,
                 "values": {m["id"]: measure_value(v.figures, m["id"]) for m in ms}}
                 for v in items},
             **({"unpublished": sorted({r.year for r in withheld[agency_id]})}
                if withheld.get(agency_id) else {})}
            for agency_id, items in agencies.items()
        ],
    }


def render_compare(o: Out, agencies: dict[str, list[ReportView]], years: list[int],
                   places: dict[str, dict], limit: int, withheld=None) -> None:
    """The compare view. Past `limit` agencies the page itself lists none (21 MB of
    checkboxes and table at 100,000 reports), and neither does data.json (8 MB of names
    alone at 100,000 reports, 54 MB with their figures): it lists the places whose pages
    list agencies (render_agencies), and compare/data/<code>.json holds each place's
    agencies with their figures, which compare.js fetches for the place chosen."""
    data = compare_data(agencies, years, withheld)
    if len(data["agencies"]) <= limit:
        o.file("compare/data.json", json.dumps(data, ensure_ascii=False, default=_json_default))
    else:
        entries = {a["id"]: a for a in data["agencies"]}
        for code, place in places.items():
            o.file(f"compare/data/{code}.json",
                   json.dumps([entries[i] for i in place["ids"]], ensure_ascii=False,
                              default=_json_default))
        o.file("compare/data.json", json.dumps(
            {**data, "agencies": [], "parts": "data/",
             "places": [{"code": code, "name": p["name"], "count": len(p["ids"])}
                        for code, p in places.items()]},
            ensure_ascii=False, default=_json_default))
    ms = data["measures"]
    default = ms[0]
    rows = []
    listed = data["agencies"] if len(data["agencies"]) <= limit else []
    for a in listed:
        cells = []
        for y in years:
            entry = a["years"].get(str(y))
            val = entry["values"][default["id"]] if entry else None
            unpublished = y in a.get("unpublished", ())
            cells.append({"text": fg.fmt(val, percent=default["percent"]) if entry else
                          "未发布" if unpublished else "—",
                          "na": entry is None, "unpublished": unpublished})
        rows.append({"name": a["name"], "url": a["id"] + "/", "cells": cells})
    o.page("compare/", "compare.html", page_title="多机关对比", data=data, measures=ms,
           default=default, rows=rows, listed=listed, active="compare",
           description="选择几个机关和一项指标，比较它们各年度的数据")


# ---------------------------------------------------------------- downloads


def schema_tables() -> list[dict]:
    out = []
    for table, description in schemas.TABLES.items():
        schema = schemas.load(f"all/{table}.schema.json")
        single = (schemas.load(f"{table}.schema.json")
                  if (schemas.SCHEMAS / f"{table}.schema.json").exists() else None)
        single_names = {f["name"] for f in single["fields"]} if single else set()
        fields = []
        for f in schema["fields"]:
            cons = f.get("constraints", {})
            notes = []
            if "enum" in cons:
                values = cons["enum"]
                notes.append("取值：" + "、".join(values) if len(values) <= 8
                             else f"取值：{len(values)} 种，列在 datapackage.json 中此表的 schema 里"
                             + ("；每个字段 ID 的表、行、列和单位见 fields.csv"
                                if f["name"] == "field_id" else ""))
            if "pattern" in cons:
                notes.append(f"格式：{cons['pattern']}")
            if cons.get("required"):
                notes.append("必填")
            fields.append({"name": f["name"], "type": f.get("type", ""), "title": f.get("title", ""),
                           "description": f.get("description", ""), "notes": "；".join(notes),
                           "combined_only": bool(single) and f["name"] not in single_names})
        out.append({"name": table, "file": f"{table}.csv", "description": description,
                    "fields": fields, "combined_only": single is None})
    return out


# An aggregate page lists at most this many rows per table (`list_limit` in site.yaml); the
# rest are in the combined CSVs it links to (10,000 reports made pages of 14 and 19 MB).
LIST_LIMIT = 1000


def list_limit(config: dict) -> int:
    try:
        return max(1, int(config.get("list_limit", LIST_LIMIT)))
    except (TypeError, ValueError):
        return LIST_LIMIT


def render_data(o: Out, site: Site, views: list[ReportView]) -> None:
    packages = []
    for v in views[:list_limit(site.config or {})]:
        pkg = site.packages.get((v.report.agency_id, v.report.year))
        if pkg:
            files = download_rows(pkg, files_root(site.config or {}, "../"))
            packages.append({"view": v, "files": files,
                             "zip": next((f for f in files if f["zip"]), None)})
    o.page("data/", "data.html", page_title="数据下载",
           combined=download_rows(site.combined, files_root(site.config or {}, "../")),
           combined_workbook=site.combined is None or any(
               f.name.endswith(".xlsx") for f in site.combined.files),
           workbook_max_rows=f"{workbook_max_rows(site.config or {}):,}",
           packages=packages, packages_total=len(views),
           tables=schema_tables(), active="data",
           description="下载全部数据（CSV、数据包）以及每张表、每个字段的说明")


# ---------------------------------------------------------------- quality


def render_quality(o: Out, site: Site, views: list[ReportView]) -> None:
    urls = {id(v.report): v.url for v in views}
    limit = list_limit(site.config or {})
    kinds: dict[str, dict[str, list]] = {"report": defaultdict(list), "parse": defaultdict(list)}
    for r in site.all_reports:
        url = urls.get(id(r))
        name = f"{r.agency} {r.year} 年" if r.publishable else f"未发布：{r.source.rel}"
        for row in problem_rows(r, "../" + url if url else None):
            row["report"] = name
            row["source"] = r.source.rel
            kinds.setdefault(row["kind"], defaultdict(list))[row["code"]].append(row)
    order = list(site_text.CODES)
    groups = []
    for kind, codes in kinds.items():
        items = [{"code": code, "label": site_text.code_label(code), "rows": rows[:limit],
                  "total": len(rows), "severities": Counter(r["severity"] for r in rows)}
                 for code, rows in sorted(codes.items(),
                                          key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)]
        groups.append({"kind": kind, "label": site_text.KINDS.get(kind, kind),
                       "help": site_text.KIND_HELP.get(kind, ""), "codes": items,
                       "count": sum(i["total"] for i in items)})
    unpublished = [{"source": r.source.rel, "agency": r.agency, "year": r.year,
                    "anchor": file_anchor(r.source.rel),
                    "url": r.source_url, "errors": [p.message for p in r.errors]}
                   for r in site.all_reports if not r.publishable]
    per_report = []
    for v in views:
        c = Counter(p.severity for p in v.report.problems)
        # unread: the errors that are ours; the report's own are its broken rules (counted apart)
        per_report.append({"name": f"{v.report.agency} {v.report.year} 年", "url": "../" + v.url,
                           "error": c["error"], "warning": c["warning"], "info": c["info"],
                           "unread": sum(p.kind == "parse" for p in v.report.errors),
                           "broken": sum(s == "broken" for s in v.report.checks.values()),
                           "ok": sum(s == "ok" for s in v.report.checks.values()),
                           "unchecked": sum(s == "unchecked" for s in v.report.checks.values())})
    # Past the limit, the reports with the most to look at first.
    if len(per_report) > limit:
        per_report.sort(key=lambda r: (-r["error"], -r["broken"], -r["warning"]))
    o.page("quality/", "quality.html", page_title="数据质量", groups=groups,
           unpublished=unpublished, per_report=per_report[:limit],
           per_report_total=len(per_report), rules=site_text.RULES,
           severities=site_text.SEVERITIES, active="quality",
           description="每份报告的解析问题和勾稽关系校验结果")


# ---------------------------------------------------------------- search, pages, 404


def render_search(o: Out, site: Site, views: list[ReportView], years: list[int]) -> None:
    reports = sorted((v.report for v in views), key=_agency_sort)
    filters = [
        ("year", "年度", [str(y) for y in years]),
        ("province", "省", _places(r.region.province for r in reports)),
        ("city", "市", _places(r.region.city for r in reports)),
        ("county", "县（区）", _places(r.region.county for r in reports)),
        ("agency", "机关", _options(r.agency for r in reports)),
        ("template", "模板", _options(site_text.TEMPLATE_SHORT.get(r.template) for r in reports)),
    ]
    # A list of tens of thousands of agencies is no filter (and was most of a 3.7 MB page at
    # 100,000 reports): past list_limit choices a filter is left out; the words still match.
    limit = list_limit(site.config or {})
    filters = [f for f in filters if len(f[2]) <= limit]
    o.page("search/", "search.html", page_title="搜索", filters=filters, active="search",
           description="全文搜索各机关的政府信息公开工作年度报告")


def render_pages(o: Out, content: Path) -> None:
    folder = content / "pages"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.md")):
        name = path.stem
        text = path.read_text(encoding="utf-8")
        md = markdown_renderer("../")
        tokens = md.parse(text)
        title = next((tokens[i + 1].content for i, t in enumerate(tokens)
                      if t.type == "heading_open" and t.tag == "h1"), name)
        o.page(f"{name}/", "page.html", page_title=title, body=Markup(md.render(text)),
               active=name, description=title)


def render_404(o: Out, config: dict) -> None:
    base = urlsplit(config.get("base_url") or "/").path or "/"
    o.page("404.html", "404.html", page_title="页面不存在", base_path=base, active=None,
           description="页面不存在")
