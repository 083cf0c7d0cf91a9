"""OFD (GB/T 33190), China's own fixed-layout format, read the way a PDF is read.

An OFD page is what a PDF page is: glyphs placed on a page, and lines drawn between them.
Its XML gives both directly. They are handed to pdfplumber as a page's objects, so the PDF
reader's table finding (pdfplumber's, from the ruling lines), its stitching of a table across
pages and its joining of prose read an OFD exactly as they read a PDF, without a second copy.
OFD measures in millimetres from the page's top left; pdfplumber in points.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from functools import cache, lru_cache
from pathlib import PurePosixPath

from nianbao.readers.base import ReadError
from nianbao.readers.pdf import PdfReader, needs_ocr

_PT = 72 / 25.4  # points in a millimetre
_ASCENT, _DESCENT = 0.88, 0.12  # of the font size, above and below the baseline (CJK fonts)
_FAR = 1e7  # mm: no position or size is farther than this
_MAX_PART = 256 << 20  # bytes: one XML part of a report is a few MB at most
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMAND = re.compile(r"[SMLQBAC]")


class OfdReader(PdfReader):
    format = "ofd"
    extensions = (".ofd",)
    label = "OFD"

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        """Its entry point among the zip's first names; a Word file named .ofd is Word's."""
        return head.startswith(b"PK\x03\x04") and (
            b"OFD.xml" in head or (suffix in cls.extensions and b"word/" not in head))

    def _items(self, path, meta: dict) -> list:
        pages = _Package(path).pages(meta)
        items: list = []
        for number, page in enumerate(pages, start=1):
            items.extend(self._page(page, number))
        if not any(page.chars for page in pages):
            raise needs_ocr(self.label)
        return items


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [c for c in element if _local(c.tag) == name]


def _child(element, *path: str):
    for name in path:
        found = _children(element, name) if element is not None else []
        element = found[0] if found else None
    return element


def _numbers(text: str | None) -> list[float]:
    """Each number, held within ±10 km: "1e400" is no place on a page, and infinity breaks
    the arithmetic of every position after it."""
    return [max(-_FAR, min(_FAR, float(n))) for n in _NUMBER.findall(text or "")]


class _Package:
    """The zip: OFD.xml → the first document → its pages, each with its template pages."""

    def __init__(self, path):
        self.path = path

    def pages(self, meta: dict) -> list:
        try:
            with zipfile.ZipFile(self.path) as zf:
                self.zf = zf
                self.names = {n.lstrip("/").replace("\\", "/"): n for n in zf.namelist()}
                return self._pages(meta)
        except zipfile.BadZipFile as exc:
            raise ReadError("damaged-file", f"OFD 文件已损坏或不完整，无法打开（{exc}）") from exc
        except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
            raise ReadError("damaged-file", f"OFD 文件无法解压（{exc}）") from exc

    def _pages(self, meta: dict) -> list:
        if "OFD.xml" not in self.names:
            raise ReadError("not-an-ofd-document", "文件是 ZIP 压缩包，但不是 OFD 文件（缺少 OFD.xml）")
        body = _child(self._xml("OFD.xml"), "DocBody")
        title = _child(body, "DocInfo", "Title")
        if title is not None and (title.text or "").strip():
            meta["title"] = title.text.strip()
        root = _child(body, "DocRoot")
        if root is None or not (root.text or "").strip():
            raise ReadError("damaged-file", "OFD 文件的 OFD.xml 没有指明文档（缺少 DocRoot）")
        doc_name = self._resolve("", root.text.strip())
        doc = self._xml(doc_name)
        common = _child(doc, "CommonData")
        size = _box(_child(common, "PageArea", "PhysicalBox"), (0, 0, 210, 297))
        templates = {t.get("ID"): t.get("BaseLoc", "") for t in _children(common, "TemplatePage")}
        parsed: dict[str, object] = {}  # template pages, each read once however many pages use it
        pages = []
        for number, entry in enumerate(_children(_child(doc, "Pages"), "Page"), start=1):
            try:
                page = self._xml(self._resolve(doc_name, entry.get("BaseLoc", "")))
                box = _box(_child(page, "Area", "PhysicalBox"), size)
                objects = _Objects(number, box[3] * _PT)
                for use in _children(page, "Template"):
                    loc = templates.get(use.get("TemplateID"))
                    if loc is not None:
                        name = self._resolve(doc_name, loc)
                        if name not in parsed:
                            parsed[name] = self._xml(name)
                        objects.content(parsed[name])
                objects.content(page)
            except ReadError as exc:
                exc.line = number
                raise
            pages.append(_page_class()(number, box[2] * _PT, box[3] * _PT, objects.found))
        if not pages:
            raise ReadError("damaged-file", "OFD 文件没有任何页面，可能已损坏或不完整")
        return pages

    def _resolve(self, base: str, loc: str) -> str:
        """A BaseLoc is absolute ("/Doc_0/…") or relative to the file that names it; some
        writers give a relative one from the package's root."""
        loc = loc.strip().replace("\\", "/")
        here = str(PurePosixPath(base).parent / loc) if base and not loc.startswith("/") else loc
        for name in (here.lstrip("/"), loc.lstrip("/")):
            if name in self.names:
                return name
        raise ReadError("damaged-file", f"OFD 文件缺少其中的 {loc or '（未写明路径的部分）'}，可能已损坏或不完整")

    def _xml(self, name: str):
        from lxml import etree

        info = self.zf.getinfo(self.names[name])
        if info.file_size > _MAX_PART:
            raise ReadError("damaged-file", f"OFD 文件中的 {name} 大得异常（{info.file_size >> 20} MB），不予读取")
        try:
            return etree.fromstring(self.zf.read(info), etree.XMLParser(
                resolve_entities=False, no_network=True, huge_tree=True))
        except etree.XMLSyntaxError as exc:
            raise ReadError("damaged-file", f"OFD 文件中的 {name} 已损坏（{exc}）") from exc


def _box(element, default: tuple) -> tuple:
    values = _numbers(element.text if element is not None else None)
    return tuple(values[:4]) if len(values) >= 4 and values[2] > 0 and values[3] > 0 else default


class _Objects:
    """A page's text and paths → pdfplumber's char, line and rect objects, in points."""

    def __init__(self, number: int, height: float):
        self.number, self.height = number, height
        self.found: dict[str, list[dict]] = {"char": [], "line": [], "rect": []}

    def content(self, page) -> None:
        for layer in _children(_child(page, "Content"), "Layer"):
            self._block(layer)

    def _block(self, block) -> None:
        for obj in block:
            kind = _local(obj.tag)
            if obj.get("Visible", "true") == "false":
                continue
            if kind == "PageBlock":
                self._block(obj)
            elif kind == "TextObject":
                self._text(obj)
            elif kind == "PathObject":
                self._path(obj)

    def _place(self, obj):
        """Object space → page points: the CTM, then the Boundary's corner. Also the
        Boundary (x, y, width, height, in mm), the CTM's scale, and whether it keeps text
        upright."""
        box = (_numbers(obj.get("Boundary")) + [0.0] * 4)[:4]
        bx, by = box[:2]
        ctm = _numbers(obj.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1, 0, 0, 1, 0, 0)

        def to_page(x: float, y: float) -> tuple[float, float]:
            return (bx + a * x + c * y + e) * _PT, (by + b * x + d * y + f) * _PT

        return to_page, box, abs(a * d - b * c) ** 0.5, abs(b) < 1e-9 and abs(c) < 1e-9

    def _text(self, obj) -> None:
        to_page, box, scale, upright = self._place(obj)
        em = (_numbers(obj.get("Size")) or [3.5])[0]  # the font size in object space
        size = em * scale * _PT  # on the page, in points
        font = obj.get("Font", "")
        placed: list[tuple[str, float, float]] = []  # glyph, x and baseline on the page
        x = y = 0.0
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            x, y = (_numbers(code.get("X")) or [x])[0], (_numbers(code.get("Y")) or [y])[0]
            dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
            for i, ch in enumerate(text):
                placed.append((ch, *to_page(x, y)))
                if i < len(text) - 1:
                    x += dx[min(i, len(dx) - 1)] if dx else _advance(ch) * em
                    y += dy[min(i, len(dy) - 1)] if dy else 0.0
            if text:  # a TextCode without X goes on where this one ended
                x += _advance(text[-1]) * em
        if not placed:
            return
        # A glyph reaches the next one of its run (a wide font's digits, set closer than an
        # estimate, never past an em: farther is a gap). The Boundary is the text's box as its
        # writer measured it, with the fonts in hand: it ends the last glyph, and gives one
        # line's top and bottom.
        bx, by, bw, bh = [v * _PT for v in box]
        one_line = len({round(py, 2) for _, _, py in placed}) == 1
        for i, (ch, px, py) in enumerate(placed):
            width = _advance(ch) * size
            last = i + 1 == len(placed)
            following = bx + bw - px if last else placed[i + 1][1] - px
            if 0 < following <= (1.2 * size if last else max(width, size)):
                width = following
            if (one_line and upright and 0.8 * size <= bh <= 1.6 * size
                    and by < py <= by + bh + 0.25 * size):  # the baseline in it, or on its foot
                top, bottom = by, by + bh
            else:
                top, bottom = py - _ASCENT * size, py + _DESCENT * size
            self.found["char"].append(self._obj("char", px, top, px + width, bottom, text=ch,
                                                size=size, fontname=font, upright=upright))

    def _path(self, obj) -> None:
        stroke = obj.get("Stroke", "true") != "false"
        fill = obj.get("Fill", "false") == "true"
        to_page = self._place(obj)[0]
        width = (_numbers(obj.get("LineWidth")) or [0.353])[0] * _PT
        data = _child(obj, "AbbreviatedData")
        for points, closed in _subpaths((data.text or "") if data is not None else ""):
            corners = [to_page(px, py) for px, py in points]
            if closed and _is_rect(corners) and (fill or stroke):
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                self.found["rect"].append(self._obj("rect", min(xs), min(ys), max(xs), max(ys),
                                                    fill=fill, stroke=stroke, linewidth=width))
            elif stroke:
                segments = zip(corners, corners[1:] + (corners[:1] if closed else []))
                for (x0, y0), (x1, y1) in segments:
                    if _straight((x0, y0), (x1, y1)):  # a table's rule, not a curve
                        self.found["line"].append(self._obj(
                            "line", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1),
                            fill=False, stroke=True, linewidth=width))

    def _obj(self, kind: str, x0: float, top: float, x1: float, bottom: float, **extra) -> dict:
        return {"object_type": kind, "page_number": self.number, "x0": x0, "x1": x1, "top": top,
                "bottom": bottom, "doctop": top, "y0": self.height - bottom, "y1": self.height - top,
                "width": x1 - x0, "height": bottom - top, **extra}


def _deltas(text: str | None) -> list[float]:
    """"g 3 4.2 1.1" is 4.2, 4.2, 4.2, 1.1: OFD's run-length form of a delta list."""
    tokens, out, i = (text or "").split(), [], 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            count, value = _numbers(tokens[i + 1]), _numbers(tokens[i + 2])
            if count and value:
                out += [value[0]] * int(min(count[0], 100_000))  # a count past any line's length
            i += 3
            continue
        out += _numbers(tokens[i])[:1]
        i += 1
    return out


def _advance(ch: str) -> float:
    """A glyph's width in font sizes, where the file does not say: full width for CJK and for
    the punctuation set with it (“”…, of ambiguous width), half for digits and Latin."""
    return 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5


def _subpaths(data: str) -> list[tuple[list[tuple[float, float]], bool]]:
    """AbbreviatedData → each subpath's points and whether it is closed. Curves (Q, B, A)
    keep only their end point: they are no table's rules."""
    out: list[tuple[list, bool]] = []
    points: list[tuple[float, float]] = []
    parts = _COMMAND.split(data)
    for command, args in zip(_COMMAND.findall(data), parts[1:]):
        nums = _numbers(args)
        if command in "SM":
            if len(points) > 1:
                out.append((points, False))
            points = [tuple(nums[:2])] if len(nums) >= 2 else []
        elif command == "C":
            if len(points) > 1:
                out.append((points, True))
            points = points[:1]
        elif len(nums) >= 2 and points:
            points.append((nums[-2], nums[-1]))
    if len(points) > 1:
        out.append((points, False))
    return out


def _is_rect(corners: list[tuple[float, float]]) -> bool:
    if len(corners) == 5 and corners[0] == corners[-1]:
        corners = corners[:4]
    if len(corners) != 4:
        return False
    return all(_straight(p, q) for p, q in zip(corners, corners[1:] + corners[:1]))


def _straight(p: tuple[float, float], q: tuple[float, float]) -> bool:
    """A segment along the page's axes (within 0.01 pt): a rule's, or a box's side."""
    return abs(p[0] - q[0]) < 0.01 or abs(p[1] - q[1]) < 0.01


@cache
def _page_class():
    from pdfplumber.page import Page  # imported when an OFD is read, as the PDF reader does

    class _OfdPage(Page):
        """A pdfplumber page whose objects come from an OFD page, not from pdfminer."""

        def __init__(self, number: int, width: float, height: float, objects: dict):
            self.pdf = None
            self.root_page = self
            self.page_obj = None
            self.page_number = number
            self.initial_doctop = 0
            self.rotation = 0
            self.mediabox = self.cropbox = self.bbox = (0, 0, width, height)
            self._objects = objects
            self.get_textmap = lru_cache()(self._get_textmap)

        def close(self) -> None:  # nothing is cached that the objects do not hold
            pass

    return _OfdPage

