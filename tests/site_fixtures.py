"""Shared fixtures and helpers for the site tests (HTML checks and the browser tests).

Two builds per session:
- `built_site`: the real content/ folder, built once into a temporary output (search index too);
- `extended_site`: content/ plus a generated 2021-template report for 北京市通州区商务局 whose
  numbers deliberately break two rules (so broken-cell marks and the template change on the
  agency page can be checked), and one file that cannot be identified (an unpublished report).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import socketserver
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from nianbao import catalogue as cat
from nianbao.pipeline import BuildResult, build
from tests.conftest import CONTENT

TEMPLATES_YAML = cat.DATA / "templates.yaml"
BASE_PATH = "/nianbao/"


# ---------------------------------------------------------------- test content


def report_2021_text(agency: str = "北京市通州区商务局", year: int = 2021) -> str:
    """A small 2021-template report in the tab-separated-rows text format (like a PDF's text).

    Table 三: new 3 (自然人), disclosed 1, partial 1, other_misc 1, total 3 — except that the
    予以公开 row prints 总计 2 (breaking apply-row-total for that row and apply-results-total
    for the 总计 column). Table 四: 行政复议 2, one corrected.
    """
    spec = yaml.safe_load(TEMPLATES_YAML.read_text(encoding="utf-8"))
    t = spec["templates"]["2021"]
    lines = [agency, "", f"{year}年政府信息公开工作年度报告", "", "一、总体情况", "",
             f"{year}年，区商务局认真做好行政复议应诉工作，政府集中采购信息按时公开。", "",
             "二、主动公开政府信息情况", ""]
    n = 1
    for item in t["active"]:
        cols = list(item["columns"].values())
        lines.append(item["item"] + "\t" * len(cols))
        lines.append("信息内容\t" + "\t".join(cols))
        for label in item["rows"].values():
            lines.append(label + "\t" + "\t".join(str(n + i) for i in range(len(cols))))
            n += 1
    lines += ["", "三、收到和处理政府信息公开申请情况", "",
              "\t\t\t申请人情况",
              "\t\t\t自然人\t法人或其他组织\t\t\t\t\t总计",
              "\t\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t"]
    values = {"new": 3, "disclosed": 1, "partial": 1, "other_misc": 1, "total": 3}
    for rid, label in t["apply"].items():
        v = values.get(rid, 0)
        row = [v, 0, 0, 0, 0, 0, 2 if rid == "disclosed" else v]
        cells = "\t".join(map(str, row))
        head, _, item = label.partition(" ")
        lines.append(f"{head}\t{item}\t{cells}" if item else f"{label}\t\t{cells}")
    lines += ["", "四、政府信息公开行政复议、行政诉讼情况", "",
              "行政复议\t\t\t\t\t行政诉讼",
              "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉",
              "\t\t\t\t\t" + "\t".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2),
              "\t".join(map(str, [1, 1, 0, 0, 2] + [0] * 10)),
              "", "五、存在的主要问题及改进情况", "", "无。", "", "六、其他需要报告的事项", "", "无。"]
    return "\n".join(lines) + "\n"


def make_extended_content(folder: Path) -> Path:
    shutil.copytree(CONTENT, folder)
    (folder / "reports" / "2021").mkdir(parents=True, exist_ok=True)
    (folder / "reports" / "2021" / "beijing-tongzhou-shangwuju-2021.txt").write_text(
        report_2021_text(), encoding="utf-8")
    (folder / "reports" / "2021" / "unidentified.txt").write_text(
        "这不是一份年度报告。\n只有两行文字。\n", encoding="utf-8")
    return folder


# Agencies in two provinces: 四川 with its own department, three of 成都's counties and one
# of 绵阳's; 北京 with its own department and two districts (a municipality's one city is
# itself: its districts come straight under it). With list_limit 2, 四川's and 北京's pages
# split, and 成都's.
REGION_AGENCIES = [("锦江区商务局", "510104"), ("青羊区财政局", "510105"), ("武侯区教育局", "510107"),
                   ("涪城区民政局", "510703"), ("四川省统计局", "510000"),
                   ("东城区商务局", "110101"), ("西城区财政局", "110102"), ("北京市民政局", "110000")]


def make_region_content(folder: Path) -> Path:
    """The bundled site's pages and settings, list_limit 2, and REGION_AGENCIES' reports
    (synthetic) for 2021 and 2022."""
    from bench.synth import report

    shutil.copytree(CONTENT, folder)
    shutil.rmtree(folder / "reports")
    with (folder / "site.yaml").open("a", encoding="utf-8") as fh:
        fh.write("list_limit: 2\n")
    for n, agency in enumerate(REGION_AGENCIES):
        for year in (2021, 2022):
            path = folder / "reports" / str(year) / f"a{n}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(report(n * 10 + year, agency=agency, year=year, broken=False).text,
                            encoding="utf-8")
    return folder


# ---------------------------------------------------------------- builds


@dataclass
class Built:
    result: BuildResult
    output: Path
    content: Path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Built:
    tmp = tmp_path_factory.mktemp("site")
    output = tmp / "output"
    result = build(CONTENT, output)
    return Built(result, output, CONTENT)


@pytest.fixture(scope="session")
def extended_site(tmp_path_factory) -> Built:
    tmp = tmp_path_factory.mktemp("extended")
    content = make_extended_content(tmp / "content")
    output = tmp / "output"
    result = build(content, output, search=False)
    return Built(result, output, content)


# ---------------------------------------------------------------- HTML parsing


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # Node | str
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Descendants (and self) by tag and attributes: data_field="x" matches data-field;
        class_="a b" matches when the element has all those classes; True means present."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter() if (not tag or n.tag == tag)
                and all(self._match(n, k, v) for k, v in wanted.items())]

    @staticmethod
    def _match(n: Node, key: str, value) -> bool:
        if value is True:
            return key in n.attrs
        if key == "class":
            return set(value.split()) <= n.classes()
        return n.attrs.get(key) == value

    def find(self, tag: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


@functools.cache
def _parse_file(path: Path, mtime: float) -> Node:
    return parse_html(path.read_text(encoding="utf-8"))


def page(output: Path, rel: str) -> Node:
    """The parsed page at a site path ("beijing-tongzhou-shangwuju/2020/" or "404.html")."""
    path = output / rel
    if rel.endswith("/") or rel == "":
        path = path / "index.html"
    return _parse_file(path, path.stat().st_mtime)


def html_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.relative_to(output).parts)


def links_of(doc: Node) -> list[tuple[str, str, str]]:
    """(tag, attribute, url) for every href/src in the page (not inside JSON-LD)."""
    out = []
    for n in doc.iter():
        for attr in ("href", "src"):
            if attr in n.attrs:
                out.append((n.tag, attr, n.attrs[attr]))
    return out


def resolve_internal(output: Path, page_path: Path, url: str) -> Path | None:
    """The file an internal URL points at, or None for external / special URLs."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None
    if not parts.path:  # "#anchor" or "?query" on the same page
        return page_path
    rel_page = "/" + page_path.relative_to(output).as_posix()
    target = urljoin(rel_page, unquote(parts.path))
    path = output / target.lstrip("/")
    if target.endswith("/"):
        path = path / "index.html"
    return path


# ---------------------------------------------------------------- a local server under a sub-path


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    base = BASE_PATH

    def translate_path(self, path):
        p = urlsplit(path).path
        if not p.startswith(self.base):
            return str(Path(self.directory) / "__not_under_base__")
        return super().translate_path("/" + p[len(self.base):])

    def send_error(self, code, message=None, explain=None):
        if code == 404 and (Path(self.directory) / "404.html").exists():
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class Served:
    url: str  # "http://127.0.0.1:PORT/nianbao/"
    output: Path


def serve_folder(output: Path, base: str = BASE_PATH):
    handler = functools.partial(_SubPathHandler, directory=str(output))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{base}"
