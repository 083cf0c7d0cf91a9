"""PDF with a text layer, read with pdfplumber.

Tables come from the ruling lines (`find_tables`), never from the text stream: the text
stream of a PDF table loses empty cells and breaks wrapped labels into extra lines. A PDF
with no ruled table at all may print its tables without lines: pdf_borderless rebuilds them
from where the words stand. Prose
is the text outside the tables' boxes, joined back into paragraphs by indentation and
line length. A table that runs onto the next page is stitched back into one table; the
page break's empty stubs of merged cells become spanned copies, and a repeated header
row is dropped.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.model import Document, Paragraph, Table
from nianbao.readers import pdf_borderless
from nianbao.readers.base import Reader, ReadError
from nianbao.readers.docx import span_grid
from nianbao.values import looks_like_value

_PAGE_NUMBER = re.compile(
    r"^[-—–－_\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—–－_\s]*$"
)
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[)）])")
_NUMBERED = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）、.．])")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
# a gap the PDF's glyph spacing left between two CJK characters, or a digit and one
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}\d])|(?<=\d)[ \t]+(?=[{_CJK}])")
_TOL = 2.0  # points: edges closer than this are the same ruling line
_DIGITS = re.compile(r"[0-9０-９]+")
# Some PDF writers (Chromium's "print to PDF", so every report a browser printed) map CJK
# glyphs back to the radicals that share their shape: ⼀、 for 一、, ⼈⺠ for 人民. A Kangxi
# radical's ideograph is its NFKC form; the supplement's whole characters are listed.
_RADICALS = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)} | {
    ord(r): c for r, c in zip("⺟⺠⻄⻅⻆⻉⻋⻓⻔⻗⻘⻙⻚⻛⻜⻝⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰⻳",
                              "母民西见角贝车长门雨青韦页风飞食马骨鬼鱼鸟卤麦黄黾齐齿龙龟")}
# pdfminer warns once per glyph of a font without a FontBBox (Chromium's Type3 fonts,
# pdfminer.six#1162): thousands of lines for one readable report. Its errors still show.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class _Cell:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    full: bool = False  # its last text line fills the cell's width: the text may go on


@dataclass
class _Part:
    """The piece of a table that one page holds."""

    page: int
    cells: list[_Cell]
    bbox: tuple[float, float, float, float]
    cut: int = 0  # cells whose text runs off the page: emptied, not read in part


@dataclass
class _Word:
    x0: float
    x1: float
    text: str


@dataclass
class _Line:
    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    words: list[_Word] = field(default_factory=list)


@dataclass
class _TableItem:
    parts: list[_Part] = field(default_factory=list)


def _clusters(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _TOL:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


_DIGIT_GAP = re.compile(r"(?<=[0-9])[ \u3000\u00a0]+(?=[0-9.,])|(?<=[0-9][.,])[ \u3000\u00a0]+(?=[0-9])")


def _digits_together(table: Table) -> Table:
    """A space inside a number in a cell is letter-spacing ("11 1" for 111, "1, 207",
    "26. 8", as the gaps between a spaced-out number's glyphs fall), never two numbers: a
    PDF's cell is one number, and the values reader refuses digits a space apart."""
    for row in table.rows:
        for cell in row:
            cell.text = _DIGIT_GAP.sub("", cell.text)
    return table


def _clean(text: str) -> str:
    return _CJK_GAP.sub("", (text or "").translate(_RADICALS)).strip(" \u3000\u00a0\t")


class PdfReader(Reader):
    format = "pdf"
    extensions = (".pdf",)
    label = "PDF"  # the format's name in a problem's message

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        return b"%PDF-" in head[:1024]

    def read(self, path: Path) -> Document:
        meta: dict[str, str] = {}
        try:
            items = self._items(path, meta)
            blocks, notes = self._blocks(items)
            return Document(blocks, encoding=None, format=self.format, meta=meta, notes=notes)
        except ReadError:
            raise
        except Exception as exc:  # a PDF nothing above foresaw: a named problem, not a crash
            raise ReadError("unreadable-file",
                            f"{self.label} 文件无法读取（{type(exc).__name__}: {exc}）") from exc

    # -- pages → lines and table parts, in reading order

    def _items(self, path: Path, meta: dict) -> list[_Line | _TableItem]:
        import pdfplumber
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
        from pdfminer.pdfparser import PDFSyntaxError
        from pdfplumber.utils.exceptions import PdfminerException

        try:
            pdf = pdfplumber.open(path)
        except PdfminerException as exc:
            raise _error(exc.args[0] if exc.args else exc) from exc
        except (PDFPasswordIncorrect, PDFEncryptionError, PDFSyntaxError) as exc:
            raise _error(exc) from exc
        except Exception as exc:
            raise ReadError("damaged-file", f"PDF 文件已损坏，无法打开（{type(exc).__name__}）") from exc
        items: list[_Line | _TableItem] = []
        chars = 0
        title = pdf.metadata.get("Title") if isinstance(pdf.metadata, dict) else None
        if isinstance(title, str) and title.strip():  # "Microsoft Word - 2020年报.docx"
            title = re.sub(r"^Microsoft Word\s*-\s*|\.(docx?|wps|pdf)$", "", title.strip())
            if title:
                meta["title"] = title
        try:
            with pdf:
                for number, page in enumerate(pdf.pages, start=1):
                    try:
                        chars += len(page.chars)
                        items.extend(self._page(page, number))
                    except ReadError:
                        raise
                    except Exception as exc:
                        raise ReadError("damaged-file",
                                        f"PDF 第 {number} 页已损坏，无法读取（{type(exc).__name__}）",
                                        number) from exc
                    finally:
                        page.close()
        except PdfminerException as exc:
            raise _error(exc.args[0] if exc.args else exc) from exc
        except (PDFPasswordIncorrect, PDFEncryptionError, PDFSyntaxError) as exc:
            raise _error(exc) from exc
        if not pdf.pages:
            raise ReadError("damaged-file", "PDF 文件没有任何页面，可能已损坏或不完整")
        if chars == 0:
            raise needs_ocr(self.label)
        return items

    def _page(self, page, number: int) -> list[_Line | _TableItem]:
        found = []
        drawn = page.rects + page.curves
        keep = _not_shading_or_outline
        ruled = page.filter(keep) if not all(map(keep, drawn)) else page
        for table in ruled.find_tables(_closed_ends(ruled)):
            cells = []
            for row, texts in zip(table.rows, table.extract()):
                for bbox, text in zip(row.cells, texts):
                    if bbox is not None:
                        cells.append(_Cell(*bbox, _clean(text or "")))
            if len(cells) > 1:  # a lone box around prose is a frame, not a table
                bottom = table.bbox[3]
                for c in cells:
                    if abs(c.bottom - bottom) <= _TOL and c.text:
                        c.full = _fills_width(page.chars, c)
                found.append(_Part(number, cells, table.bbox, _cut_at_edges(page, cells)))
        outside = page
        for part in found:
            outside = outside.outside_bbox(part.bbox, strict=False)  # a box may overhang the page
        entries: list[tuple[float, _Line | _TableItem]] = []
        for ln in outside.extract_text_lines(strip=True):
            text = _clean(ln["text"])
            if text and not _PAGE_NUMBER.match(text):
                entries.append((ln["top"], _Line(number, ln["x0"], ln["x1"], ln["top"],
                                                 ln["bottom"], text, _words(ln["chars"]))))
        for part in found:
            entries.append((part.bbox[1], _TableItem([part])))
        entries.sort(key=lambda e: e[0])
        return [e for _, e in entries]

    # -- lines → paragraphs, parts → tables

    def _blocks(self, items: list[_Line | _TableItem]) -> tuple[list[Paragraph | Table], list]:
        """The document's blocks, and a note for each table rebuilt without ruling lines."""
        items = self._stitch(items)
        lines = [i for i in items if isinstance(i, _Line)]
        if lines:
            left = min(round(ln.x0) for ln in lines)
            ends = sorted(ln.x1 for ln in lines)
            right = ends[int(len(ends) * 0.95) - 1 if len(ends) > 1 else 0]
            if not any(isinstance(i, _TableItem) for i in items):  # no table has lines
                items = _borderless(items, right - left)
        blocks: list[Paragraph | Table] = []
        rebuilt = [item for item in items if isinstance(item, Table)]
        pages = "、".join(dict.fromkeys(str(t.line) for t in rebuilt))
        notes = [("table-from-positions", "info",
                  f"{len(rebuilt)} 个表格没有框线（第 {pages} 页起），单元格按文字在页面上的位置还原",
                  rebuilt[0].line)] if rebuilt else []
        cut = [p for i in items if isinstance(i, _TableItem) for p in i.parts if p.cut]
        notes += [("table-off-page", "error",
                   f"第 {p.page} 页的表格比页面宽，{p.cut} 个单元格的文字印到了页面之外，无法完整读取，"
                   "已留空", p.page) for p in cut]
        prev: _Line | None = None
        for item in items:
            if isinstance(item, (_TableItem, Table)):
                table = _table(item) if isinstance(item, _TableItem) else item
                if table is not None:
                    blocks.append(_digits_together(table))
                prev = None
                continue
            size = max(item.bottom - item.top, 6.0)
            starts = (
                prev is None
                or (_HEADING.match(item.text) is not None and item.x1 < right - 1.5 * size)
                or item.x0 - left > 0.8 * size
                or prev.x1 < right - 1.5 * size
                or (item.page == prev.page and item.top - prev.bottom > 1.5 * size)
            )
            if starts or not blocks or not isinstance(blocks[-1], Paragraph):
                blocks.append(Paragraph(item.text, item.page))
            else:
                last = blocks[-1]
                joiner = " " if last.text[-1:].isascii() and item.text[:1].isascii() else ""
                last.text += joiner + item.text
            prev = item
        return blocks, notes

    def _stitch(self, items: list[_Line | _TableItem]) -> list[_Line | _TableItem]:
        """Join a table part that opens a page to the table that closed the page before."""
        out: list[_Line | _TableItem] = []
        for item in items:
            if isinstance(item, _TableItem) and out and isinstance(out[-1], _TableItem):
                before, part = out[-1].parts[-1], item.parts[0]
                if (part.page == before.page + 1 and abs(part.bbox[0] - before.bbox[0]) <= 3 * _TOL
                        and abs(part.bbox[2] - before.bbox[2]) <= 3 * _TOL):
                    out[-1].parts.append(part)
                    continue
            out.append(item)
        return out


def _not_shading_or_outline(obj: dict) -> bool:
    """False for a filled shape without an outline that is no line: a cell's shading (a box
    wider and taller than a line), whose edges made a grid that cut the rows of a table
    without lines apart; a glyph's outline (any shape not of straight rules: a watermark's
    WordArt flattened to paths, a seal), whose straight bits cut a table's cells. Lines drawn
    as thin filled boxes or paths (Chromium's, dashes too) stay."""
    kind = obj.get("object_type")
    if kind not in ("rect", "curve") or not obj.get("fill") or obj.get("stroke"):
        return True
    if kind == "curve" and not all(abs(a[0] - b[0]) < 0.1 or abs(a[1] - b[1]) < 0.1
                                   for a, b in zip(obj["pts"], obj["pts"][1:])):
        return False
    return not (obj["x1"] - obj["x0"] > 2 and obj["bottom"] - obj["top"] > 2)


def _cut_at_edges(page, cells: list[_Cell]) -> int:
    """A table wider than the page: its lines stop at the page's edge, its text runs on past
    it, and the cell at the edge holds only the part of a number inside the page (201 read
    as 2). Such cells are emptied; how many is returned."""
    left, right = page.bbox[0], page.bbox[2]
    cut = 0
    for c in cells:
        at_edge = c.x0 <= left + _TOL or c.x1 >= right - _TOL
        if at_edge and c.text and any(
                (ch["x1"] > right + 1 or ch["x0"] < left - 1) and ch["bottom"] > c.top and ch["top"] < c.bottom
                and ch["text"].strip() for ch in page.chars):
            c.text, cut = "", cut + 1
    return cut


def _closed_ends(page) -> dict:
    """Table settings that close a table a page break left open. Chromium's "print to PDF"
    draws no line where the break cuts the table (only dots where the lines would meet):
    the vertical lines run on past the last horizontal one, and the row there would be
    lost. A line where they end closes it."""
    vertical = [e for e in page.edges if e["orientation"] == "v"]
    if not vertical:
        return {}
    # Only a rule between the vertical lines' ends is the table's own: a letterhead's or a
    # footer's rule across the page would close a table of vertical rules only, which is
    # none (its words say where its rows are).
    top, bottom = min(e["top"] for e in vertical), max(e["bottom"] for e in vertical)
    horizontal = [e for e in page.edges if e["orientation"] == "h"
                  and top - _TOL <= e["top"] <= bottom + _TOL]
    if not horizontal:
        return {}
    open_ends = []
    for y, ends_at in ((top, "top"), (bottom, "bottom")):
        xs = [e["x0"] for e in vertical if abs(e[ends_at] - y) <= _TOL]
        drawn = sum(e["x1"] - e["x0"] for e in horizontal if abs(e["top"] - y) <= _TOL)
        if len(xs) > 1 and drawn < (max(xs) - min(xs)) / 2:
            open_ends.append(min(max(y, page.bbox[1]), page.bbox[3]))  # off the page: its edge
    return {"explicit_horizontal_lines": open_ends} if open_ends else {}


def _borderless(items: list, width: float) -> list:
    """Runs of text lines that read as a table without ruling lines → that table; all as
    they were when some lines with numbers read as no table."""
    out: list = []
    run: list[_Line] = []
    for item in [*items, None]:
        if isinstance(item, _Line):
            run.append(item)
            continue
        found = pdf_borderless.tables(run, width)
        if found is None:
            return items
        at = 0
        for first, end, table in found:
            out.extend(run[at:first])
            out.append(table)
            at = end
        out.extend(run[at:])
        run = []
        if item is not None:
            out.append(item)
    return out


def _words(chars: list[dict]) -> list[_Word]:
    """A line's characters → words: a gap wider than pdfplumber's default x_tolerance (3 pt)
    ends a word, as a cell boundary does in a table without lines."""
    words: list[_Word] = []
    for ch in sorted(chars, key=lambda c: c["x0"]):
        if not ch["text"].strip():
            continue
        if words and ch["x0"] - words[-1].x1 <= 3:
            words[-1].x1 = max(words[-1].x1, ch["x1"])
            words[-1].text += ch["text"]
        else:
            words.append(_Word(ch["x0"], ch["x1"], ch["text"]))
    for w in words:
        w.text = _clean(w.text)
    return words


def _fills_width(chars: list[dict], cell: _Cell) -> bool:
    """True when the cell's last line of text runs to its right edge: a wrapped line, so a
    row the page break cut may go on at the top of the next page."""
    inside = [ch for ch in chars if ch["x0"] >= cell.x0 - 1 and ch["x1"] <= cell.x1 + 1
              and ch["top"] >= cell.top - 1 and ch["bottom"] <= cell.bottom + 1
              and ch["text"].strip()]
    if not inside:
        return False
    last_top = max(ch["top"] for ch in inside)
    line = [ch for ch in inside if abs(ch["top"] - last_top) <= 2]
    size = max(ch["x1"] - ch["x0"] for ch in line)
    return (cell.x1 - cell.x0) - (max(ch["x1"] for ch in line) - min(ch["x0"] for ch in line)) \
        < 3 * size + 12


def needs_ocr(label: str) -> ReadError:
    return ReadError("needs-ocr",
                     f"{label} 没有文字层（扫描件），需要 OCR 识别后才能读取；请提供可复制文字的 PDF、OFD 或 "
                     "Word 版本，或用 OCR 工具（如 MinerU、PaddleOCR）把它转成 Markdown（.md）文件代替它")


def _error(exc) -> ReadError:
    name = type(exc).__name__
    if "Password" in name or "Encrypt" in name:
        return ReadError("encrypted-pdf", "PDF 文件已加密（需要密码才能打开），无法读取；请提供未加密的版本")
    if name == "PSEOF":
        return ReadError("damaged-file", "PDF 文件不完整（文件在结尾之前被截断，可能下载未完成），无法读取")
    return ReadError("damaged-file", f"PDF 文件已损坏，无法读取（{name}）")


def _table(item: _TableItem) -> Table | None:
    """Parts → one grid: shared column edges, spans from the cell boxes, page stubs resolved."""
    xs = _clusters([v for p in item.parts for c in p.cells for v in (c.x0, c.x1)])
    placed: list[list] = []  # [row, col, rowspan, colspan, text]
    row_lines: list[int] = []
    header: list[list[str]] = []
    for n, part in enumerate(item.parts):
        ys = _clusters([v for c in part.cells for v in (c.top, c.bottom)])
        mine = []
        for c in part.cells:
            r0, r1 = _index(ys, c.top), _index(ys, c.bottom)
            c0, c1 = _index(xs, c.x0), _index(xs, c.x1)
            if r1 > r0 and c1 > c0:
                mine.append([r0, c0, r1 - r0, c1 - c0, c.text, c.full])
        nrows = len(ys) - 1
        texts = [[x[4] for x in sorted(mine, key=lambda x: x[1]) if x[0] == r] for r in range(nrows)]
        skip = 0
        if n == 0:
            header = texts
        else:  # a header row the exporter repeats on every page
            while skip < min(len(header), nrows) and texts[skip] == header[skip] and any(texts[skip]):
                skip += 1
        offset = len(row_lines)
        kept = [x for x in mine if x[0] >= skip]
        for x in kept:
            x[0] += offset - skip
        if n > 0 and kept:
            kept = _join_page_break(placed, kept, offset)
        placed.extend(kept)
        rows_added = max((x[0] + x[2] for x in kept), default=offset) - offset
        row_lines.extend([part.page] * max(rows_added, 0))
    if not placed:
        return None
    grid = span_grid([tuple(x[:5]) for x in placed])
    while len(row_lines) < len(grid):
        row_lines.append(row_lines[-1] if row_lines else 0)
    return Table(grid, row_lines[: len(grid)])


def _join_page_break(placed: list[list], kept: list[list], offset: int) -> list[list]:
    """The first row of a continued part holds stubs of cells merged across the page break
    (empty boxes under a label: the label spans on), or the tail of a row the break cut in
    two: label text (unnumbered) under labels, and digits under numbers, each under a cell
    whose last line ran full width (it wrapped there: 104 | 1 is 1041). Glued back onto
    that row."""
    above = {x[1]: x for x in placed if x[0] + x[2] == offset}  # cells ending at the break
    first = [x for x in kept if x[0] == offset]

    def under_label(x: list) -> bool:
        up = above.get(x[1])
        return up is not None and up[3] == x[3] and bool(up[4]) and not looks_like_value(up[4])

    def goes_on(x: list) -> bool:
        up = above.get(x[1])
        if up is None or up[3] != x[3] or not up[4] or not up[5]:
            return False
        if looks_like_value(up[4]):  # a number wrapped in its cell, cut after its first line
            return (x[2] == 1 and bool(_DIGITS.fullmatch(x[4]))
                    and bool(_DIGITS.fullmatch(up[4].split("\n")[-1])))
        # a label's last words; a group's label may go on down the rows below, merged
        return not looks_like_value(x[4]) and not _NUMBERED.match(x[4])

    tail = any(x[4] for x in first) and all(not x[4] or goes_on(x) for x in first)
    out = []
    for x in kept:
        if x[0] != offset:
            out.append(x)
        elif x[4] and tail:
            above[x[1]][4] += "\n" + x[4]
            above[x[1]][2] += x[2] - 1
        elif not x[4] and under_label(x):  # a merged label cell going on below the break
            above[x[1]][2] += x[2] - 1 if tail else x[2]
        elif tail:
            if x[2] > 1:  # an empty merged cell: what is left of it below the glued row
                out.append([x[0] + 1, x[1], x[2] - 1, *x[3:]])
        else:
            out.append(x)
    if tail:
        for x in out:
            x[0] -= 1
    return out
