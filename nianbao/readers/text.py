"""Plain text as Word and PDF exporters write it.

Two table layouts occur and may not be told apart by the extension:
- "cell per line" (Word): every cell is a tab-prefixed line, rows are separated by blank
  lines, and a cell's own line breaks (even blank lines: "（三）不予\\n\\n公开") are lines
  without the tab;
- "row per line" (PDF): one tab-separated row per line, labels broken across lines and
  rows lost.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from nianbao.model import Cell, Document, Paragraph, Table
from nianbao.readers.base import Reader, ReadError
from nianbao.values import join_lines

_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_ARTEFACTS = re.compile(r"\[bookmark: [^\]]*\]|<!--\[if [^\]]*\]-->|<!--\[endif\]-->")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def utf16_variant(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 without a BOM, told by where its NUL bytes fall.

    Chinese text in UTF-16 has NULs only in its ASCII characters (digits, line breaks),
    always in the same byte of each pair, and 8-bit encodings have none; a sample that
    also decodes to printable text settles it.
    """
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    nuls = sample.count(0)
    if nuls < 8:
        return None
    odd = sample[1::2].count(0)  # U+xx00 characters (一, 退) put a few NULs on the other side
    variant = "utf-16-le" if odd >= 0.8 * nuls else "utf-16-be" if odd <= 0.2 * nuls else None
    if variant is None:
        return None
    text = sample.decode(variant, "replace")
    printable = sum(ch.isprintable() or ch.isspace() for ch in text if ch != "\ufffd")
    return variant if printable >= 0.95 * len(text) else None


# A UTF-8 page with a block in GBK (a CMS include saved in the old encoding): a browser shows
# the block as U+FFFD and the rest as it is. Both keep ASCII as it is, so each run of other
# bytes is read in the one of the two it is.
MIXED = "utf-8+gb18030"
REPLACED = "+replaced"  # after an encoding's name: bytes it cannot decode shown as U+FFFD
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def _runs_utf8_or_gb(data: bytes) -> tuple[str, float] | None:
    """The text, each run of non-ASCII bytes read as UTF-8 or as GB18030, and the share of
    those bytes read as UTF-8; None unless every run is one of them. A run is UTF-8 only
    with a character UTF-8 writes in three bytes or more (Chinese): a GBK character or two
    can pass for a two-byte UTF-8 letter ("省" for "ʡ"). A GBK character's second byte may
    be ASCII ("丂" is 81 40): a run ending in a first byte takes the next byte too."""
    out, pos, utf8_bytes, high = [], 0, 0, 0
    for m in _HIGH_RUN.finditer(data):
        start, end = m.span()  # the byte after a run is ASCII: one a run took is no run's
        out.append(data[pos:start].decode("ascii"))
        run = data[start:end]
        utf8 = _decoded(run, "utf-8")
        text = utf8 if utf8 is not None and max(utf8) >= "\u0800" else _decoded(run, "gb18030")
        if text is None:
            text = utf8  # letters UTF-8 writes in two bytes, and no GBK
        if text is None and (text := _decoded(data[start:end + 1], "gb18030")) is not None:
            end += 1
        if text is None:
            return None
        out.append(text)
        high += end - start
        utf8_bytes += (end - start) if text is utf8 else 0
        pos = end
    out.append(data[pos:].decode("ascii"))
    return "".join(out), utf8_bytes / high if high else 1.0


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode by BOM, UTF-16 NUL pattern, strict UTF-8, then GB18030, then run by run
    (MIXED), then with a few bytes replaced (REPLACED); a detector settles the rest."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:  # a stray mark ("\xfe\xff" before UTF-8): read on
                break
    variant = utf16_variant(data)
    if variant:
        try:
            return data.decode(variant), variant
        except UnicodeDecodeError:
            pass
    if (text := _decoded(data, "utf-8")) is not None:
        return text, "utf-8"
    # Mostly UTF-8 with some GBK: read run by run before GB18030 is tried on the whole, which
    # can take UTF-8's bytes for GB18030 characters without an error (mojibake).
    mixed = _runs_utf8_or_gb(data)
    if mixed is not None and mixed[1] >= 0.5:
        return mixed[0], MIXED
    if (text := _decoded(data, "gb18030")) is not None:
        return text, "gb18030"
    if mixed is not None:
        return mixed[0], MIXED
    # A few bytes wrong (a CMS cut a GBK character in half at a length limit): read as a
    # browser does, each as U+FFFD, which no label or number takes for anything. UTF-8 first:
    # GB18030 reads most of UTF-8's bytes as characters, wrong ones, so it may show fewer
    # U+FFFD for a UTF-8 file; UTF-8 shows a U+FFFD for nearly every character of a GBK one.
    for name in ("utf-8", "gb18030"):
        text = data.decode(name, "replace")
        if text.count("\ufffd") <= max(8, len(text) // 1000):
            return text, name + REPLACED
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ReadError("undecodable", "无法识别文本编码")
    return str(best), best.encoding


def read_text(path: Path) -> tuple[str, str]:
    """A text file's text and encoding; an error for bytes that are no text."""
    text, encoding = decode(path.read_bytes())
    sample = text[:4000]
    if (not "".join(sample.split()).isprintable()  # the usual case, in C: all printable
            and sum(ch.isprintable() or ch.isspace() for ch in sample) < 0.95 * len(sample)):
        raise ReadError("not-text", "文件内容不是可读的文本")
    return text, encoding


class TextReader(Reader):
    format = "text"
    extensions = (".txt", ".text")

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        if head.startswith(_BINARY_MAGIC):
            return False
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_variant(head):
            return True
        return b"\x00" not in head

    def read(self, path: Path) -> Document:
        text, encoding = read_text(path)
        lines = [_ARTEFACTS.sub("", ln).rstrip("\r") for ln in text.split("\n")]
        meta, lines = saved_page_header(lines)
        return Document(parse_lines(lines), encoding=encoding, format=self.format, meta=meta)


_SAVED_KEYS = {"标题": "title", "原文链接": "source_url", "发布时间": "published"}


def saved_page_header(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A web archive's saved page: 'key: value' lines, then '==== 正文 ====', then the text."""
    marker = next((i for i, ln in enumerate(lines[:40]) if "正文" in ln and ln.startswith("====")),
                  None)
    if marker is None:
        return {}, lines
    meta = {}
    for line in lines[:marker]:
        key, sep, value = line.partition(":")
        if sep and key.strip() in _SAVED_KEYS and value.strip():
            meta[_SAVED_KEYS[key.strip()]] = value.strip()
    if "published" in meta:
        meta["published"] = meta["published"][:10]
    return meta, [""] * (marker + 1) + lines[marker + 1:]  # keep line numbers


def _kind(line: str, row_per_line: bool) -> str:
    if "\t" not in line:
        return "text" if line.strip() else "blank"
    if not line.strip() and row_per_line:
        return "blank"
    if not row_per_line and line.startswith("\t") and "\t" not in line[1:]:
        return "cell"
    return "row"


PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^[\s|:\-]+$")
_PIPE = re.compile(r"(?<!\\)\|")  # a cell's edge
_BR = re.compile(r"<br\s*/?>", re.I)


def _pipe_to_tabs(line: str) -> str:
    """'| 规章 | 0 | 0 | 0 |' (PDF-to-Markdown converters) → a tab-separated row; a rule line
    → blank. A cell's lines (<br>) are joined as a Word cell's are, so two numbers stay two
    ("118 / 121"), and "\\|" is a bar in a cell."""
    if not PIPE_ROW.match(line):
        return line
    if _PIPE_RULE.match(line):
        return ""
    cells = []
    for cell in _PIPE.split(line.strip()[1:-1]):  # one bar each side: "||107|" is a blank, 107
        pieces = [x.replace("\\|", "|") for x in _BR.split(cell)]
        cells.append(join_lines(pieces).replace("\n", " ").strip())
    return "\t".join(cells) + ("\t" if len(cells) == 1 else "")


def parse_lines(lines: list[str]) -> list[Paragraph | Table]:
    lines = [_pipe_to_tabs(ln) for ln in lines]
    cells = sum(1 for ln in lines if ln.startswith("\t") and "\t" not in ln[1:] and ln.strip())
    rows = sum(1 for ln in lines if "\t" in ln.strip("\t"))
    row_per_line = rows > cells
    kinds = [_kind(ln, row_per_line) for ln in lines]

    blocks: list[Paragraph | Table] = []
    table: Table | None = None
    row: list[Cell] | None = None  # the open row (cell-per-line layout)
    blanks = 0

    def close_table() -> None:
        nonlocal table, row
        if table is not None and table.rows:
            blocks.append(table)
        table, row = None, None

    for i, (line, kind) in enumerate(zip(lines, kinds)):
        lineno = i + 1
        if kind == "blank":
            row = None
            blanks += 1
            continue
        if kind == "cell":
            if table is None:
                table = Table([], [])
            if row is None:
                row = []
                table.rows.append(row)
                table.row_lines.append(lineno)
            row.append(Cell(line[1:].strip(" \u3000\u00a0")))
        elif kind == "row":
            if table is None:
                table = Table([], [])
            row = None
            table.rows.append([Cell(c.strip(" \u3000\u00a0")) for c in line.split("\t")])
            table.row_lines.append(lineno)
        else:  # a line of text: a cell's continuation, or a paragraph
            heading = bool(_HEADING.match(line))
            next_kind = kinds[i + 1] if i + 1 < len(kinds) else "blank"
            if table is not None and not heading and not row_per_line:
                if row is not None and blanks == 0:
                    row[-1].text += "\n" + line.strip()
                    continue
                if row is None and blanks == 1 and next_kind == "cell" and table.rows:
                    row = table.rows[-1]  # a blank line inside a cell: reopen the row
                    row[-1].text += "\n\n" + line.strip()
                    continue
            close_table()
            blocks.append(Paragraph(line.strip(), lineno))
        blanks = 0
    close_table()
    return blocks
