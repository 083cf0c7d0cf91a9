"""Markdown, as OCR and PDF-to-Markdown tools write a report (MinerU, PaddleOCR, Marker,
Docling): the way a scanned report's text comes to us.

markdown-it-py reads the Markdown (headings, emphasis, escapes, lists, images, HTML), so
"## 一、总体情况" and "**一、总体情况**" are a heading's words and nothing else. The lines it
leaves then go through the plain-text reader's table layouts, one paragraph a line, each
with its line in the file:
- a pipe table's lines are taken as written (outer bars made whole), since markdown-it cuts
  a row to its first row's width, and a row of a merged form has more cells than that;
- an HTML table (MinerU and PaddleOCR write merged cells so) is read by the HTML reader's
  table code, wherever its tags stand: blank lines inside it end Markdown's HTML block.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from nianbao.model import Document, Table
from nianbao.readers.base import Reader
from nianbao.readers.html import fragment_grids
from nianbao.readers.text import PIPE_ROW, TextReader, parse_lines, read_text

_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.I)
_TR = re.compile(r"<tr\b", re.I)
_TAGS = re.compile(r"<[^>]*>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)  # "<!-- page 2 -->" and the like
_WEB_PAGE = re.compile(rb"<!doctype\s+html|<head[\s>]", re.I)
_ORDERED = re.compile(r"^\s*(\d{1,9}[.)])\s")


class MarkdownReader(Reader):
    format = "markdown"
    extensions = (".md", ".markdown")

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        """By its name; a whole web page saved under it is the HTML reader's."""
        return (suffix in cls.extensions and TextReader.sniff(head, suffix)
                and not _WEB_PAGE.search(head[:2048]))

    def read(self, path: Path) -> Document:
        text, encoding = read_text(path)
        text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"),
                            text.replace("\r\n", "\n").replace("\r", "\n"))
        text, tables = _cut_tables(text)
        blocks = parse_lines(_plain_lines(text))
        blocks += tables
        # A table after the paragraph its line starts with (text before "<table>").
        blocks.sort(key=lambda b: (b.line, isinstance(b, Table)))
        # Not the file the agency published: a reader of the data should know to check it.
        note = ("transcribed-copy", "info", "原始文件是 Markdown 转写本（如扫描件经文字识别得到的文本），"
                "不是机关发布的原件；数字请以机关发布的原文为准", None)
        return Document(blocks, encoding=encoding, format=self.format, notes=[note])


def _cut_tables(text: str) -> tuple[str, list[Table]]:
    """HTML tables out of the text, each line they took left blank; the tables read."""
    spans: list[tuple[int, int]] = []  # each outermost <table>…</table>
    depth, start = 0, 0
    for m in _TABLE_TAG.finditer(text):
        if not m.group(1):
            if depth == 0:
                start = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, m.end()))
    if depth:  # a table never closed: read to the end, as a browser would
        spans.append((start, len(text)))
    tables: list[Table] = []
    out, pos = [], 0
    for start, end in spans:
        markup = text[start:end]
        tables += _tables(markup, text.count("\n", 0, start) + 1)
        out += [text[pos:start], "\n" * markup.count("\n")]
        pos = end
    out.append(text[pos:])
    return "".join(out), tables


def _tables(markup: str, line: int) -> list[Table]:
    """The tables in one <table>…</table>, each row at the line of its <tr> (or all at the
    first line, where the <tr>s are not the rows': tables inside a layout table)."""
    grids = fragment_grids(markup)
    rows = [line + markup.count("\n", 0, m.start()) for m in _TR.finditer(markup)]
    if len(rows) != sum(map(len, grids)):
        rows = [line] * sum(map(len, grids))
    tables, at = [], 0
    for grid in grids:
        tables.append(Table(grid, rows[at:at + len(grid)]))
        at += len(grid)
    return tables


def _plain_lines(text: str) -> list[str]:
    """The text as lines, Markdown's syntax taken away, each at its own line."""
    source = text.split("\n")
    lines = [""] * len(source)
    raw = False  # within a table or code: the lines as written
    for token in _markdown().parse(text):
        if token.type == "table_close":
            raw = False
        if token.map is None:
            continue
        first, last = token.map
        if token.type == "table_open":  # its rows with both outer bars, as the text reader knows them
            for i in range(first, last):
                lines[i] = _barred(source[i])
            raw = True
        elif token.type in ("code_block", "fence"):  # as written, without a fence's own lines
            fenced = token.type == "fence"
            closed = fenced and source[last - 1].strip().startswith(token.markup) and last - 1 > first
            for i in range(first + fenced, last - closed):
                lines[i] = source[i]
        elif token.type == "html_block":
            for i in range(first, last):
                lines[i] = html.unescape(_TAGS.sub("", source[i]))
        elif token.type == "inline" and not raw:
            for i, piece in enumerate(_inline_lines(token), first):
                if i < last:
                    lines[i] = source[i] if _verbatim(source[i]) else _numbered(source[i], piece)
    return lines


@cache
def _markdown():
    """The parser, made once: building its rules costs more than parsing a report."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _numbered(source: str, text: str) -> str:
    """A list item's number back before its text: "1. 属于国家秘密" is row 1., not a list."""
    m = _ORDERED.match(source)
    return m.group(1) + text if m and not text.startswith(m.group(1)) else text


def _barred(line: str) -> str:
    """A table row as "| a | b |": Markdown lets a row leave out its outer bars. (A line
    without a bar is no row, though Markdown runs a table on over it to a blank line.)"""
    line = line.strip()
    if "|" not in line:
        return line
    if not line.startswith("|"):
        line = "|" + line
    if not line.endswith("|") or line.endswith("\\|"):
        line += "|"
    return line


def _verbatim(line: str) -> bool:
    """A pipe row without its rule line, or a tab-separated row: a table's, as written."""
    return bool(PIPE_ROW.match(line)) or "\t" in line.strip()


def _inline_lines(token) -> list[str]:
    """An inline token's text, one string a source line; images and tags dropped."""
    lines = [""]
    for child in token.children or []:
        if child.type in ("softbreak", "hardbreak"):
            lines.append("")
        elif child.type in ("text", "code_inline"):
            lines[-1] += child.content
        elif child.type == "html_inline" and re.match(r"<br\b", child.content, re.I):
            lines[-1] += " "
    return lines
