"""Word documents: DOCX read from its XML, legacy .doc/.wps/RTF converted by LibreOffice first.

The body is walked in document order (paragraphs and tables interleaved), so headings stay
in front of the tables they introduce. Table grids are built from the XML ourselves
(gridSpan, vMerge, gridBefore) rather than from python-docx's `row.cells`, which
repeats a merged cell in every grid position and cannot say which position is its origin.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from nianbao.model import Cell, Document, Paragraph, Table
from nianbao.readers.base import Reader, ReadError
from nianbao.values import join_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delText", MC_FALLBACK,
         W + "rPr", W + "pPr", W + "tblPr", W + "tcPr", W + "trPr"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRICT = b"http://purl.oclc.org/ooxml/wordprocessingml/main"


# ---------------------------------------------------------------- grid with spans


def span_grid(placed: list[tuple[int, int, int, int, str]], *, ragged: bool = False
              ) -> list[list[Cell]]:
    """(row, col, rowspan, colspan, text) → one list of Cells per table row.

    A merged cell gives one Cell per row it covers, at its origin's column: the origin row
    keeps the text, the rows below get the same text with `spanned=True`, so labels read
    naturally and values are never counted twice. Columns it covers beyond the first are
    left out, as Word's own text export does: the parser counts a row's value cells and
    header labels by position, so a copy there would shift or duplicate a column. Holes
    no cell covers are blank cells; ragged: but for those after a row's last cell, so a row
    short of cells (a web page's row a cell was left out of) stays short and is never read
    as a full row whose last value is blank.
    """
    if not placed:
        return []
    nrows = max(r + rs for r, _, rs, _, _ in placed)
    ncols = max(c + cs for _, c, _, cs, _ in placed)
    grid: list[list[Cell | None | bool]] = [[None] * ncols for _ in range(nrows)]
    for r, c, rs, cs, text in placed:
        for i in range(r, r + rs):
            for j in range(c, c + cs):
                if grid[i][j] is None:
                    grid[i][j] = Cell(text, spanned=i != r) if j == c else True
    if ragged:
        for row in grid:
            while row and row[-1] is None:
                row.pop()
    return [[Cell("") if cell is None else cell for cell in row if cell is not True]
            for row in grid]


# ---------------------------------------------------------------- XML text


# A run styled as a note's reference is a note marker, though only its style raises it.
_NOTE_STYLES = {"FootnoteReference", "EndnoteReference"}


def _on(run, prop: str) -> bool:
    """A run property switched on: <w:vanish/>, <w:vanish w:val="true"/>, not w:val="0"."""
    return _val(run, f"{W}rPr/{W}{prop}") not in (None, "0", "false", "off")


def xml_text(el, notes: bool = False, skip=()) -> str:
    """Visible text of a paragraph-like element: runs, tabs and breaks. Not what Word does
    not print: deleted text, hidden text (w:vanish), field codes, and the results of fields
    nested inside another field's code (a field shows only its own result), and text struck
    out. notes: a superscript or subscript run, or one styled as a note reference, is a note
    marker ("33¹"), kept apart as "[1]" so it is no digit of 33."""
    out: list[str] = []
    fields: list[bool] = []  # for each field open here: past its code, into its result

    def shown() -> bool:
        return all(fields)

    def walk(node) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP or child in skip:
                continue
            if tag == W + "r":
                if any(_on(child, p) for p in ("vanish", "specVanish", "strike", "dstrike")):
                    continue  # hidden, or struck out (a deletion marked by hand)
                if notes and (_val(child, f"{W}rPr/{W}vertAlign") in ("superscript", "subscript")
                              or _val(child, f"{W}rPr/{W}rStyle") in _NOTE_STYLES):
                    text = xml_text(child)
                    if text.strip() and shown():
                        out.append(f"[{text.strip()}]")
                    continue
                walk(child)
            elif tag == W + "fldChar":
                kind = child.get(W + "fldCharType")
                if kind == "begin":
                    fields.append(False)
                elif kind == "separate" and fields:
                    fields[-1] = True
                elif kind == "end" and fields:
                    fields.pop()
            elif not shown():
                continue
            elif tag == W + "t":
                out.append(child.text or "")
            elif tag == W + "tab":
                out.append("\t")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif tag == W + "p":  # a paragraph inside a text box
                if out and not out[-1].endswith("\n"):
                    out.append("\n")
                walk(child)
            else:
                walk(child)

    walk(el)
    return "".join(out)


def _content(el):
    """Children of a body-like element, looking through content controls and custom XML."""
    for child in el:
        if child.tag in (W + "sdt", W + "customXml", W + "smartTag"):
            inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if inner is not None:
                yield from _content(inner)
        else:
            yield child


def _val(el, path: str) -> str | None:
    found = el.find(path)
    return None if found is None else found.get(W + "val", "")


def _int(value: str | None, default: int) -> int:
    digits = re.sub(r"\D", "", value or "")
    return min(int(digits), 1000) if digits else default


def _boxed_tables(p) -> list:
    """The text boxes in a paragraph that hold a table (WPS puts tables in them), each once:
    not the VML copy Word keeps for old readers (mc:Fallback)."""
    return [box for box in p.iter(W + "txbxContent")
            if box.find(".//" + W + "tbl") is not None
            and not any(a.tag == MC_FALLBACK for a in box.iterancestors())]


def _frame(cells: list[list]) -> bool:
    """A table used for layout around the report, not a table of the report: one cell; or
    tables inside, and beside them only empty cells (a margin column), rows of their own in
    a single column (title above, signature below), or a table of several rows (a report
    table, its heading in the cell beside it)."""
    flat = [tc for row in cells for tc in row]
    if len(flat) == 1:
        return True
    holds = [tc.find(".//" + W + "tbl") is not None for tc in flat]
    if not any(holds):
        return False
    filled = [h for tc, h in zip(flat, holds) if "".join(tc.itertext()).strip()]
    return (all(filled) or all(len(row) == 1 for row in cells)
            or any(len(t.findall(W + "tr")) >= 3 for tc in flat for t in tc.iter(W + "tbl")))


# ---------------------------------------------------------------- body walk


class _Walker:
    """Body children → blocks; `pos` numbers paragraphs and table rows in reading order."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.pos = 0

    def body(self, el) -> None:
        for child in _content(el):
            if child.tag == W + "p":
                self.pos += 1
                boxes = _boxed_tables(child)
                text = xml_text(child, skip=boxes).strip(" \u3000\u00a0\t\r\n")
                for line in text.split("\n"):
                    if line.strip(" \u3000\u00a0\t"):
                        self.blocks.append(Paragraph(line.strip(" \u3000\u00a0\t"), self.pos))
                for box in boxes:  # a text box holding a table: its paragraphs and tables
                    self.body(box)
            elif child.tag == W + "tbl":
                self.table(child)

    def table(self, tbl) -> None:
        rows = [tr for tr in _content(tbl) if tr.tag == W + "tr"]
        cells = [[tc for tc in _content(tr) if tc.tag == W + "tc"] for tr in rows]
        flat = [tc for row in cells for tc in row]
        if _frame(cells):
            for tc in flat:  # a layout frame around the real content: read what is inside
                self.body(tc)
            return
        placed: list[tuple[int, int, int, int, str]] = []
        origin: dict[tuple[int, int], int] = {}  # (row, grid col) → index into placed
        lines: list[int] = []
        for r, (tr, tcs) in enumerate(zip(rows, cells)):
            self.pos += 1
            lines.append(self.pos)
            col = _int(_val(tr, f"{W}trPr/{W}gridBefore"), 0)
            for tc in tcs:
                span = max(1, _int(_val(tc, f"{W}tcPr/{W}gridSpan"), 1))
                vmerge = _val(tc, f"{W}tcPr/{W}vMerge")
                above = origin.get((r - 1, col))
                if vmerge not in (None, "restart") and above is not None:
                    pr, pc, prs, pcs, text = placed[above]
                    placed[above] = (pr, pc, prs + 1, pcs, text)
                    for j in range(col, col + pcs):
                        origin[(r, j)] = above
                    col += pcs
                    continue
                if _val(tc, f"{W}tcPr/{W}hMerge") not in (None, "restart") and placed and \
                        origin.get((r, col - 1)) is not None:  # legacy horizontal merge
                    i = origin[(r, col - 1)]
                    pr, pc, prs, pcs, text = placed[i]
                    placed[i] = (pr, pc, prs, pcs + span, text)
                    for j in range(col, col + span):
                        origin[(r, j)] = i
                    col += span
                    continue
                placed.append((r, col, 1, span, self.cell_text(tc)))
                for j in range(col, col + span):
                    origin[(r, j)] = len(placed) - 1
                col += span
        grid = span_grid(placed)
        while len(grid) < len(lines):  # rows without a cell
            grid.append([])
        if any(c.text.strip() for row in grid for c in row):
            self.blocks.append(Table(grid, lines))

    def cell_text(self, tc) -> str:
        """A cell's paragraphs joined by line breaks; a nested table's rows become lines."""
        parts: list[str] = []
        for child in _content(tc):
            if child.tag == W + "p":
                parts.append(xml_text(child, notes=True).strip(" \u3000\u00a0\t"))
            elif child.tag == W + "tbl":
                for tr in child.iter(W + "tr"):
                    texts = [self.cell_text(c) for c in _content(tr) if c.tag == W + "tc"]
                    parts.append(" ".join(t for t in texts if t))
        return join_lines(parts)


# ---------------------------------------------------------------- readers


def read_docx_bytes(path: Path, fmt: str = "docx") -> Document:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" not in names:
                raise ReadError("not-a-word-document",
                                "文件是 ZIP 压缩包，但不是 Word 文档（缺少 word/document.xml）")
            # Strict OOXML (Word's "Strict Open XML" save) names the same elements in
            # another namespace; for the text read here the two are the same.
            xml = zf.read("word/document.xml").replace(_STRICT, W[1:-1].encode())
    except zipfile.BadZipFile as exc:
        raise ReadError("damaged-file", f"Word 文档已损坏或不完整，无法打开（{exc}）") from exc
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise ReadError("damaged-file", f"Word 文档无法解压（{exc}）") from exc
    from lxml import etree

    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise ReadError("damaged-file", f"Word 文档的正文 XML 已损坏（{exc}）") from exc
    body = root.find(W + "body")
    if body is None:
        raise ReadError("damaged-file", "Word 文档没有正文（word/document.xml 缺少 body）")
    walker = _Walker()
    try:
        walker.body(body)
    except Exception as exc:  # XML nothing above foresaw: a named problem, not a crash
        raise ReadError("unreadable-file", f"Word 文档无法读取（{type(exc).__name__}: {exc}）") from exc
    return Document(walker.blocks, encoding=None, format=fmt)


class DocxReader(Reader):
    format = "docx"
    extensions = (".docx", ".docm", ".dotx")

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        return suffix in cls.extensions or b"word/" in head or suffix in (".doc", ".wps")

    def read(self, path: Path) -> Document:
        return read_docx_bytes(path, self.format)


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(path: Path, timeout: int = 180) -> tuple[Path, tempfile.TemporaryDirectory]:
    """Convert with a headless LibreOffice into a fresh temp dir (own profile: runs in parallel)."""
    office = libreoffice()
    if office is None:
        raise ReadError("needs-libreoffice",
                        "旧版 Word（.doc/.wps/RTF）文件需要 LibreOffice 转换，但本机未安装 LibreOffice"
                        "（Debian：apt-get install libreoffice-writer-nogui）")
    tmp = tempfile.TemporaryDirectory(prefix="nianbao-doc-")
    out = Path(tmp.name)
    src = out / ("input" + (path.suffix.lower() or ".doc"))
    shutil.copyfile(path, src)  # LibreOffice names its output after the input
    # ... in a folder of its own: a .doc named .docx would be input.docx in and out
    cmd = [office, f"-env:UserInstallation=file://{out / 'profile'}", "--headless",
           "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out / "docx"), str(src)]
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                       env={**os.environ, "HOME": str(out)})
    except subprocess.TimeoutExpired as exc:
        tmp.cleanup()
        raise ReadError("conversion-failed", f"LibreOffice 转换超时（{timeout} 秒）") from exc
    result = out / "docx" / "input.docx"
    if not result.exists():
        tmp.cleanup()
        raise ReadError("conversion-failed", "LibreOffice 无法转换该文件，文件可能已损坏或不是 Word 文档")
    return result, tmp


class DocReader(Reader):
    """Legacy Word (OLE compound file, as .doc or WPS writes it) and RTF."""

    format = "doc"
    extensions = (".doc", ".wps", ".rtf")

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        return head.startswith(_OLE) or head.lstrip().startswith(b"{\\rtf")

    def read(self, path: Path) -> Document:
        with open(path, "rb") as fh:
            head = fh.read(8)
        fmt = "rtf" if not head.startswith(_OLE) else "doc"
        docx_path, tmp = convert_to_docx(path)
        try:
            return read_docx_bytes(docx_path, fmt)
        finally:
            tmp.cleanup()
