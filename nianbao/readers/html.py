"""Web pages: the report cut out of the site's chrome, read with lxml's HTML parser.

A report page carries navigation, breadcrumbs, a date and share bar and a footer around
the report. The report is the smallest element holding the report tables and the section
headings, plus the title printed above it; nothing else on the page is read. Tables keep
their rowspan/colspan structure; everything else becomes one paragraph per block element,
in document order.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from nianbao.catalogue import PARTS
from nianbao.model import Cell, Document, Paragraph, Table
from nianbao.readers.base import Reader, ReadError
from nianbao.readers.docx import span_grid
from nianbao.readers.text import decode, utf16_variant
from nianbao.values import join_lines

_TAG = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|table|div|p|br)[\s>/]", re.I)
_META = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9_:.\-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
# a MIME message's header lines (folded ones too), one of them MIME-Version: a web archive
_MHT = re.compile(rb"^\s*(?:[\w-]+:.*\r?\n(?:[ \t].*\r?\n)*)*?MIME-Version:", re.I)
# A Western single-byte charset decodes any bytes, so a wrong one never fails: declared on a
# page with non-ASCII bytes (Chinese text), it is a CMS default, not the page's encoding.
_WESTERN = re.compile(r"(?:iso-?8859|latin|l[1-9]$|windows-125|cp125|(?:us-)?ascii$)")
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb_2312-80", "csgb2312",
       "euc-cn", "x-euc-cn", "gb18030"}
_DROP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
         "canvas", "nav", "header", "footer", "aside", "button", "select", "textarea",
         "input", "head", "map", "audio", "video",
         "del", "s", "strike"}  # struck out: a tracked deletion as Word saves it as a web page
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
          "section", "article", "main", "blockquote", "pre", "center", "address", "figure",
          "figcaption", "hr", "table", "tr", "td", "th", "caption", "form", "fieldset",
          "legend", "details", "summary", "body", "html", "tbody", "thead", "tfoot"}
# what a browser does not show, or shows struck out (Word's tracked deletions, mso-hide)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|"
                     r"text-decoration(?:-line)?\s*:[^;]*line-through|"
                     r"(?<![\w-])font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$|!)", re.I)
_OVERFLOW = re.compile(r"mso-ignore\s*:\s*colspan", re.I)
_WS = re.compile(r"[ \t\n\r\f]+")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
# Words of the official form: a table holding one of them is a report table.
_FORM_WORDS = ("信息内容", "第二十条", "申请人情况", "自然人", "本年新收", "行政复议", "行政诉讼",
               "结果维持", "不予公开", "本年度办理结果")
# Words of the report's six parts' headings (一、总体情况 … 六、其他需要报告的事项).
_SECTION_WORDS = tuple(w for part in PARTS for w in part.words)
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_CRUMB = re.compile(r"[>›»＞]")  # a breadcrumb trail ("首页 > 年报"), never a report's title


def decode_html(data: bytes) -> tuple[str, str]:
    """BOM, then the page's own charset declaration, then detection as for plain text.

    GB2312/GBK declarations are read as GB18030 (their superset), and a declaration the
    bytes contradict (a GBK page that says UTF-8, a Chinese page that says ISO-8859-1)
    falls through to detection.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or \
            utf16_variant(data):
        return decode(data)
    match = _META.search(data[:8192])
    if match and not (_WESTERN.match(match.group(1).decode("ascii", "replace").lower())
                      and not data.isascii()):
        name = match.group(1).decode("ascii", "replace").lower()
        name = "gb18030" if name in _GB else name
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)


def _text_head(head: bytes) -> bytes:
    """The head as ASCII-compatible bytes, whether it is UTF-16 or an 8-bit encoding."""
    variant = utf16_variant(head)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or variant:
        text = head[: len(head) // 2 * 2].decode(variant or "utf-16", "ignore")
        return text.encode("ascii", "ignore")
    return head


class HtmlReader(Reader):
    format = "html"
    extensions = (".html", ".htm", ".shtml", ".xhtml", ".jsp", ".asp", ".aspx", ".php",
                  ".mht", ".mhtml")

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        if head.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            return False
        if _MHT.match(head):
            return True
        text = _text_head(head).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith(b"<"):
            return False
        return bool(_TAG.search(text[:4096])) or suffix in cls.extensions

    def read(self, path: Path) -> Document:
        import lxml.etree
        import lxml.html

        data = path.read_bytes()
        if _MHT.match(data):
            data = _mht_page(data)
        text, encoding = decode_html(data)
        text = _XML_DECL.sub("", text.lstrip("\ufeff"), count=1)
        if not text.strip():
            raise ReadError("empty-file", "网页文件没有内容")
        try:
            root = lxml.html.document_fromstring(text)
        except (lxml.etree.ParserError, ValueError) as exc:
            raise ReadError("damaged-file", f"网页无法解析（{exc}）") from exc
        meta = page_meta(root)
        try:
            _strip_chrome(root)
            blocks = _Walker(root).run()
        except Exception as exc:  # markup nothing above foresaw: a named problem, not a crash
            raise ReadError("unreadable-file", f"网页无法读取（{type(exc).__name__}: {exc}）") from exc
        return Document(blocks, encoding=encoding, format=self.format, meta=meta)


def _mht_page(data: bytes) -> bytes:
    """The page of a web archive (.mht: Word's and IE's "single file web page", often
    renamed .doc): its first HTML part, with its charset declared for decode_html."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            return (f'<meta charset="{charset}">'.encode() if charset else b"") + body
    raise ReadError("no-tables", "网页存档（MHT）中没有网页")


# ---------------------------------------------------------------- cleaning and locating


def page_meta(root) -> dict[str, str]:
    """What the page's head says: <title> (its part naming the report), publication date, URL."""
    meta: dict[str, str] = {}
    title = root.find(".//title")
    if title is not None and _squash(title.text_content()):
        parts = [x.strip() for x in re.split(r"\s*(?:_|\||｜|\s-\s|－|——)\s*",
                                            _squash(title.text_content())) if x.strip()]
        meta["title"] = next((x for x in parts if "报告" in x or "年报" in x), parts[0])
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").lower()
        content = (el.get("content") or "").strip()
        date = re.match(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})", content)
        if name in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time") \
                and date and "published" not in meta:
            meta["published"] = "{}-{:0>2}-{:0>2}".format(*date.groups())
        if name in ("og:url", "url") and content.startswith(("http://", "https://")):
            meta.setdefault("source_url", content)
    for el in root.iter("link"):
        href = (el.get("href") or "").strip()
        if (el.get("rel") or "").lower() == "canonical" and href.startswith(("http://", "https://")):
            meta["source_url"] = href
    return meta


def _tag(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _strip_chrome(root) -> None:
    """Drop what is never report text: scripts, navigation, hidden elements, comments."""
    import lxml.etree

    doomed = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, lxml.etree._Comment | lxml.etree._ProcessingInstruction):
                doomed.append(el)
            continue
        if _tag(el) in _DROP or el.get("hidden") is not None or \
                _HIDDEN.search(el.get("style") or ""):
            doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail
        if tail:  # keep the text that follows a dropped element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def _is_data_table(el) -> bool:
    """A table of cells, not one used for layout: no table inside its cells. (A table left
    unclosed gets the tables after it as children of its own, beside its rows.)"""
    return _tag(el) == "table" and not any(
        _tag(x) == "table" for row in _rows(el) for cell in row for x in cell.iterdescendants())


_ROW_PARTS = ("tr", "thead", "tbody", "tfoot")


def _rows(table) -> list[list]:
    """A table's own rows (in thead/tbody/tfoot too), each its td/th cells."""
    rows = []
    for child in table:
        if _tag(child) == "tr":
            rows.append(child)
        elif _tag(child) in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child if _tag(tr) == "tr")
    return [[td for td in tr if _tag(td) in ("td", "th")] for tr in rows]


def _lca(elements: list):
    paths = [list(reversed([e, *e.iterancestors()])) for e in elements]
    common = None
    for level in zip(*paths):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _own_text(el) -> str:
    return _squash(el.text_content())


def _is_link(el, text: str) -> bool:
    """Text that is (mostly) a link: related-report lists, breadcrumbs, not a title."""
    if any(_tag(a) == "a" for a in el.iterancestors()):
        return True
    linked = sum(len(_own_text(a)) for a in el.iter("a"))
    return linked * 2 >= len(text)


def _squash(text: str) -> str:
    text = _CJK_GAP.sub("", _WS.sub(" ", text))
    return text.replace("\u00a0", " ").strip(" \u3000")


def _locate(root, order: dict) -> tuple[object, list[tuple[int, int]]]:
    """(element to walk, the document positions to keep: the title's and the content's)."""
    body = root.find("body")
    body = root if body is None else body
    tables = [t for t in body.iter("table") if _is_data_table(t)]
    report = [t for t in tables if any(w in _own_text(t) for w in _FORM_WORDS)]
    if not report:
        report = [t for t in tables if re.search(r"\d", _own_text(t))]
    if not report:
        return body, [(0, len(order))]
    headings = []
    for el in body.iter():
        if _tag(el) in _BLOCK and _tag(el) not in ("table", "tr", "td", "th", "body", "html"):
            text = _own_text(el)
            if len(text) <= 40 and _HEADING.match(text) and any(w in text for w in _SECTION_WORDS):
                headings.append(el)
    content = _lca(report + headings)
    first = order[content]
    last = max(order[x] for x in content.iter())
    title = None
    for el in body.iter():
        if order[el] >= first:
            break
        text = _own_text(el)
        if _tag(el) not in ("a", "title") and 4 <= len(text) <= 60 and \
                ("报告" in text or "年报" in text) and not _is_link(el, text) and \
                not _CRUMB.search(text):
            title = el  # the last such element before the content: the innermost, nearest
    if title is None:
        return content, [(first, last)]
    title_last = max(order[x] for x in title.iter())
    return _lca([title, content]), [(order[title], title_last), (first, last)]


# ---------------------------------------------------------------- walking


class _Walker:
    def __init__(self, root) -> None:
        self.order = {el: i for i, el in enumerate(root.iter())}
        self.node, self.keep = _locate(root, self.order)
        self.blocks: list[tuple[int, Paragraph | Table]] = []
        self.buffer: list[str] = []
        self.buffer_at = -1
        self.pos = 0

    def run(self) -> list[Paragraph | Table]:
        self.walk(self.node)
        self.flush()
        return [b for at, b in self.blocks if any(lo <= at <= hi for lo, hi in self.keep)]

    def flush(self) -> None:
        text = _squash("".join(self.buffer))
        if text:
            self.pos += 1
            self.blocks.append((self.buffer_at, Paragraph(text, self.pos)))
        self.buffer, self.buffer_at = [], -1

    def add(self, text: str | None, at: int) -> None:
        if text:
            if self.buffer_at < 0 and text.strip():
                self.buffer_at = at
            self.buffer.append(text)

    def walk(self, el) -> None:
        tag = _tag(el)
        at = self.order.get(el, 0)
        if tag == "br":
            self.flush()
            return
        if tag == "table" and _is_data_table(el):
            self.flush()
            for caption in el.iter("caption"):  # "三、收到和处理…" printed as the caption
                self.add(caption.text_content(), at)
                self.flush()
            table = self.table(el)
            if table is not None:
                self.blocks.append((at, table))
            for child in el:  # what an unclosed table swallowed: the tables that follow it
                if _tag(child) not in (*_ROW_PARTS, "caption", "colgroup", "col"):
                    self.walk(child)
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        self.add(el.text, at)
        for child in el:
            self.walk(child)
            self.add(child.tail, self.order.get(child, at))
        if block:
            self.flush()

    def table(self, el) -> Table | None:
        rows = _rows(el)
        first, self.pos = self.pos + 1, self.pos + len(rows)  # a row a position
        grid = _grid(rows)
        return None if grid is None else Table(grid, list(range(first, first + len(grid))))


def table_grid(el, *, ragged: bool = False) -> list[list[Cell]] | None:
    """A <table>'s rows as a grid, merged cells spread over the positions they cover; None
    for a table with no text. One row in the grid for each <tr>. A row short of cells is
    what a browser shows, blanks at its end, unless ragged (see span_grid)."""
    return _grid(_rows(el), ragged=ragged)


def _grid(rows: list, *, ragged: bool = False) -> list[list[Cell]] | None:
    taken: set[tuple[int, int]] = set()
    placed: list[tuple[int, int, int, int, str]] = []
    for r, tds in enumerate(rows):
        col = 0
        for td in tds:
            while (r, col) in taken:
                col += 1
            rs = _span(td.get("rowspan"), len(rows) - r)
            cs = _span(td.get("colspan"), 1000)
            for i in range(r, r + rs):
                for j in range(col, col + cs):
                    taken.add((i, j))
            if _OVERFLOW.search(td.get("style") or ""):
                # Excel's "save as web page": text running on over empty cells is written
                # as one cell spanning them; the text's cell is one, the rest are empty
                placed.append((r, col, rs, 1, cell_text(td)))
                placed.extend((r, j, rs, 1, "") for j in range(col + 1, col + cs))
            else:
                placed.append((r, col, rs, cs, cell_text(td)))
            col += cs
    if not any(text for *_, text in placed):
        return None
    grid = span_grid(placed, ragged=ragged)
    while len(grid) < len(rows):
        grid.append([])
    return grid


def fragment_grids(markup: str) -> list[list[list[Cell]]]:
    """The grids of the data tables in a piece of HTML (a table a Markdown file holds: an
    OCR tool's, so a row short of cells is one a cell was lost from, anywhere in it)."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        return []
    grids = []
    for el in root.iter("table"):
        if _is_data_table(el) and (grid := table_grid(el, ragged=True)) is not None:
            grids.append(grid)
    return grids


def _span(value: str | None, limit: int) -> int:
    try:
        n = int(re.sub(r"[^\d]", "", value or "") or 1)
    except ValueError:
        n = 1
    return max(1, min(n if n > 0 else limit, limit))


def cell_text(td) -> str:
    """A cell's text with <br> and block children as line breaks, spaces collapsed."""
    lines: list[str] = [""]

    def walk(el) -> None:
        tag = _tag(el)
        if tag == "br":
            lines.append("")
            return
        if tag in ("sup", "sub"):  # a note marker ("65¹", "97₂"): kept apart, no digit of 65
            note = _squash(el.text_content())
            lines[-1] += f"[{note}]" if note else ""
            return
        block = tag in _BLOCK and el is not td
        if block:
            lines.append("")
        lines[-1] += el.text or ""
        for child in el:
            walk(child)
            lines[-1] += child.tail or ""
        if block:
            lines.append("")

    walk(td)
    # "&nbsp;" as text: the entity escaped twice, a browser shows it in an empty cell
    return join_lines([_squash(x.replace("&nbsp;", " ")) for x in lines])
