"""Readers turn a report file into the one document model (paragraphs and table grids).

One class per format behind a registry; the format is chosen by sniffing the file's
first bytes, with the extension only as a tie-breaker. Nothing format-specific leaves
this package.
"""

from __future__ import annotations

from pathlib import Path

from nianbao.model import Document, Table
from nianbao.readers.base import Reader, ReadError
from nianbao.readers.docx import DocReader, DocxReader
from nianbao.readers.html import HtmlReader
from nianbao.readers.markdown import MarkdownReader
from nianbao.readers.ofd import OfdReader
from nianbao.readers.pdf import PdfReader
from nianbao.readers.text import MIXED, REPLACED, TextReader

# Asked in order: binary formats by their magic first, then Markdown (by its extension),
# HTML before plain text.
REGISTRY: list[type[Reader]] = [PdfReader, OfdReader, DocxReader, DocReader, MarkdownReader,
                                HtmlReader, TextReader]


def register(reader: type[Reader]) -> type[Reader]:
    """Add a reader; later registrations are asked first, so a specific format wins over text."""
    REGISTRY.insert(0, reader)
    return reader


def reader_for(path: Path) -> type[Reader]:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        raise ReadError("empty-file", "文件为空")
    for reader in REGISTRY:
        if reader.sniff(head, path.suffix.lower()):
            return reader
    raise ReadError("unsupported-format", f"无法识别的文件格式（{path.suffix or '无扩展名'}）")


# Characters that print nothing: a zero-width space or BOM pasted in from a web page, a soft
# hyphen, a word joiner, a control character (a stray byte). Left in, a "0" beside one is no
# number and "二、" no heading; "1\x01" was a label, so the "01" after it was read as 1.
_INVISIBLE = dict.fromkeys([*map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\x7f"),
                            *(c for c in range(32) if chr(c) not in "\t\n\r")])


def _visible(text: str) -> str:
    # str.isprintable() is the fast test; it is False for a line break, too
    return text if text.isascii() and text.isprintable() else text.translate(_INVISIBLE)


def read(path: Path) -> Document:
    reader = reader_for(path)
    try:
        doc = reader().read(path)
    except ReadError as exc:
        exc.format = reader.format
        raise
    for block in doc.blocks:
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    cell.text = _visible(cell.text)
        else:
            block.text = _visible(block.text)
    if doc.meta.get("title"):
        doc.meta["title"] = doc.meta["title"].translate(_INVISIBLE)
    if doc.encoding == MIXED:
        doc.notes.append(("encoding-mixed", "warning", "文件以 UTF-8 编码为主，其中夹有 GBK（GB18030）"
                          "编码的文字，已分别按各自的编码读出，请核对文字是否有误", None))
    elif doc.encoding and doc.encoding.endswith(REPLACED):
        counts = [(b, _text_of(b).count("\ufffd")) for b in doc.blocks]
        hit = [b for b, n in counts if n]
        count = sum(n for _, n in counts)
        doc.notes.append(("encoding-errors", "warning",
                          f"文件有 {count} 处字节无法按 {doc.encoding[:-len(REPLACED)].upper()} 解码，"
                          "已显示为“\ufffd”（位置为第一处）；落在行标题或数字中的，该行无法读取",
                          hit[0].line if hit else None))
    return doc


def _text_of(block) -> str:
    if isinstance(block, Table):
        return "".join(cell.text for row in block.rows for cell in row)
    return block.text


__all__ = ["REGISTRY", "ReadError", "Reader", "read", "reader_for", "register"]
