"""Tables without ruling lines, rebuilt from where their words stand on the page.

Some PDFs print a table with no borders at all: pdfplumber finds no table, and the text
stream has lost the cells (a wrapped label puts its row's numbers on a line of their own,
an empty cell simply vanishes). The page still says where every word stands:
- the numbers of one column overlap each other and no other column, so each number has
  exactly one column and an empty cell is a gap, not a shift;
- a cell's text is centred on its row (or starts on its row's line), so the label lines
  between two rows of numbers split between them by count: as many below a row as above.
A grid is rebuilt only when every column and every row fits one such reading; otherwise the
lines stay text, for the parser's glued-cells recovery, which leaves unsure rows blank.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nianbao.model import Cell, Table
from nianbao.values import looks_like_value

_SECTION = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")  # a report's numbered section
_NUMBERED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+\s*[、.．]|\d+\s*[.．、])")
_DIGIT = re.compile(r"[0-9０-９]")
_DASHES = re.compile(r"[-－—–―/／\\]+")
_OVERLAP = 0.5  # points: word boxes closer than this share a column
_TOL = 2.0  # points a header word may stand over the middle between two columns
# how much shorter than the widest a wrapped label's line may be, in line heights: line
# breaking may carry a character and an opening mark (及“) to the next line
_SLACK = 2.5


class Word(Protocol):
    x0: float
    x1: float
    text: str


class Line(Protocol):
    page: int
    top: float
    bottom: float
    words: list


@dataclass
class _Block:
    """Consecutive rows of numbers under one header: one set of columns."""

    header: list[int] = field(default_factory=list)  # line indices
    rows: list[int] = field(default_factory=list)  # lines with numbers
    between: list[list[int]] = field(default_factory=list)  # label lines before each row …
    tail: list[int] = field(default_factory=list)  # … and after the last
    columns: list[tuple[float, float]] = field(default_factory=list)
    owned: list[list[int]] = field(default_factory=list)  # each row's label lines
    blanks: list[list[list[int]]] = field(default_factory=list)  # rows with no numbers, before each
    left_over: int = 0  # tail lines no row took: text after the table


def tables(lines: Sequence[Line], width: float) -> list[tuple[int, int, Table]] | None:
    """(first, end, table) for each run lines[first:end] that reads as a borderless table;
    None when some lines with numbers read as none (all or none: a report rebuilt in part
    would keep the rest from the parser's glued-cells recovery).

    `width` is the page's text width: a word as wide as prose is no table cell."""
    found: list[tuple[int, int, Table]] = []
    valued = [i for i, ln in enumerate(lines) if _values(ln)]
    if not valued:
        return found
    height = statistics.median(lines[i].bottom - lines[i].top for i in valued)

    def breaks(i: int) -> bool:
        ln = lines[i]
        if _values(ln):
            return False
        text = "".join(w.text for w in ln.words)
        return (ln.bottom - ln.top > 1.25 * height or bool(_SECTION.match(text))
                or any(w.x1 - w.x0 > 0.6 * width for w in ln.words))

    def apart(i: int, j: int) -> bool:  # a gap no table leaves between its lines
        a, b = lines[i], lines[j]
        return a.page == b.page and b.top - a.bottom > 2.5 * height

    i, floor = 0, 0
    while i < len(lines):
        if not _values(lines[i]):
            i += 1
            continue
        start = i
        while start > floor and not breaks(start - 1) and not apart(start - 1, start):
            start -= 1
        end, last = i + 1, i
        while end < len(lines) and not breaks(end) and not apart(end - 1, end):
            if _values(lines[end]):
                last = end
            end += 1
        if last == i and len(_values(lines[i])) < 3:  # a number or two ending a line of text
            floor = i = last + 1
            continue
        table = _rebuild(lines, start, last, end)
        if table is None:
            return None
        grid, floor = table
        found.append((start, floor, grid))
        i = max(last + 1, floor)
    return found


def _values(line: Line) -> list:
    """The numbers a line ends with, one word each (in digits: a vertical label's 三 is no
    number here)."""
    n = 0
    for word in reversed(line.words):
        if not looks_like_value(word.text) or not (_DIGIT.search(word.text) or
                                                   _DASHES.fullmatch(word.text)):
            break
        n += 1
    return line.words[len(line.words) - n:] if n else []


def _rebuild(lines: Sequence[Line], start: int, last: int, end: int) -> tuple[Table, int] | None:
    rows = [i for i in range(start, last + 1) if _values(lines[i])]
    left = min(w.x0 for i in rows for w in _values(lines[i]))

    def over_values(i: int) -> bool:
        return any(w.x1 > left + _OVERLAP for w in lines[i].words)

    blocks: list[_Block] = []
    pending: list[int] = []  # lines seen since the last row of numbers
    for i in range(start, last + 1):
        if not _values(lines[i]):
            pending.append(i)
            continue
        heads = [j for j in pending if over_values(j)]
        if heads and blocks and _repeats(lines, blocks[-1], pending[pending.index(heads[0]):
                                                                  pending.index(heads[-1]) + 1]):
            # the header repeated at the top of a page: the table goes on, a row the page
            # break cut may go on below it
            first, cut = pending.index(heads[0]), pending.index(heads[-1]) + 1
            pending = pending[:first] + pending[cut:]
        elif heads or not blocks:
            cut = pending.index(heads[-1]) + 1 if heads else 0
            if blocks:  # label lines before the header close the block above
                first = pending.index(heads[0])
                blocks[-1].tail = pending[:first]
                header = pending[first:cut]
            else:
                header = pending[:cut]
            blocks.append(_Block(header=header))
            pending = pending[cut:]
        blocks[-1].rows.append(i)
        blocks[-1].between.append(pending)
        pending = []
    stop = last + 1
    while stop < end and not over_values(stop) and len(blocks[-1].tail) < 4:
        blocks[-1].tail.append(stop)
        stop += 1
    for n, block in enumerate(blocks):
        if not _columns(lines, block, left) or not _assign(lines, block):
            return None
        if block.left_over and n + 1 < len(blocks):
            return None  # label lines between two blocks that no row takes
    return _grid(lines, blocks), stop - blocks[-1].left_over


def _repeats(lines: Sequence[Line], block: _Block, header: list[int]) -> bool:
    """A header that is the block's own again, opening a later page than its last row's."""
    def texts(rows: list[int]) -> list[str]:
        return [" ".join(w.text for w in lines[i].words) for i in rows]

    return (bool(header) and bool(block.rows) and texts(header) == texts(block.header)
            and lines[header[0]].page > lines[block.rows[-1]].page)


def _columns(lines: Sequence[Line], block: _Block, left: float) -> bool:
    """Column spans from the numbers' boxes; False when a row has two numbers in one."""
    boxes = sorted((w.x0, w.x1) for i in block.rows for w in _values(lines[i]))
    spans: list[list] = []  # [x0, x1, from a heading]
    for x0, x1 in boxes:
        if spans and x0 <= spans[-1][1] + _OVERLAP:
            spans[-1][1] = max(spans[-1][1], x1)
        else:
            spans.append([x0, x1, False])
    # a column empty in every row still has its heading: words over no number, on a line
    # with others (a word alone on its line may be a title over the whole table)
    heads = sorted((w.x0, w.x1) for i in block.header if len(lines[i].words) > 1
                   for w in lines[i].words if w.x1 > left + _OVERLAP and
                   not any(_overlap(w.x0, w.x1, a, b) for a, b, _ in spans))
    for x0, x1 in heads:
        near = [s for s in spans if s[2] and _overlap(x0, x1, s[0], s[1])]
        if near:
            near[0][0], near[0][1] = min(near[0][0], x0), max(near[0][1], x1)
        else:
            spans.append([x0, x1, True])
    spans.sort()
    block.columns = [(a, b) for a, b, *_ in spans]
    for i in block.rows:
        hit = [_column(block.columns, w) for w in _values(lines[i])]
        if len(set(hit)) != len(hit):
            return False
    return True


def _column(columns: list[tuple[float, float]], word) -> int:
    return next(k for k, (a, b) in enumerate(columns) if _overlap(word.x0, word.x1, a, b))


def _overlap(x0: float, x1: float, a: float, b: float) -> bool:
    """Two spans across the page closer than _OVERLAP: one column, or one cell."""
    return x0 <= b + _OVERLAP and x1 >= a - _OVERLAP


def _assign(lines: Sequence[Line], block: _Block) -> bool:
    """Give each label line to a row. A row's own label is centred on its numbers (as many
    of its lines above them as below) or starts on their line (all below); each row may be
    either, as a page break leaves rows of both. Lines no row can take are rows with no
    numbers. Kept only when exactly one way of giving the lines, with the fewest rows with
    no numbers and lines left over, fits every row."""
    gaps = block.between[1:] + [block.tail]
    last = len(block.rows) - 1
    labelled = any(not _values(lines[i]) or len(_values(lines[i])) < len(lines[i].words)
                   for i in [*block.rows, *(j for g in block.between for j in g), *block.tail])
    widest = max((_width(lines[i].words) for g in block.between for i in g), default=0.0)
    # lines above row n that are its own → (rows with no numbers so far, ways to get there)
    ways: dict[int, tuple[int, list[tuple]]] = {}
    first = block.between[0]
    for above in range(len(first) + 1):
        blank = _blank_rows(lines, first[: len(first) - above], widest)
        _keep(ways, above, len(blank), ((), (tuple(blank),)))
    for n, gap in enumerate(gaps):
        before_gap = block.between[n]
        onward: dict[int, tuple[int, list[tuple]]] = {}
        for above, (count, paths) in ways.items():
            before = before_gap[len(before_gap) - above:] if above else []
            # below the last row: as many as above it, or all of the lines up to the next text
            for below in sorted({above, len(gap)} if n == last else range(len(gap) + 1)):
                if below > len(gap) or (below != above and above):
                    continue
                owned = tuple(before + gap[:below])
                if not _fits(lines, block.rows[n], owned, below == above, above == 0, labelled):
                    continue
                for nxt in ([len(gap) - below] if n == last else range(len(gap) - below + 1)):
                    blank = [] if n == last else _blank_rows(lines, gap[below: len(gap) - nxt], widest)
                    for owned_so_far, blanks in paths:
                        _keep(onward, nxt, count + len(blank),
                              (owned_so_far + (owned,), blanks + (tuple(blank),)))
        ways = onward
    if not ways:
        return False
    # lines after the last row that it does not take are text after the table: as few as
    # the rows with no numbers (the last row's label goes on, or the table ends)
    fewest = min(count + left for left, (count, _) in ways.items())
    readings = [(path, left) for left, (count, paths) in ways.items() if count + left == fewest
                for path in paths]
    if len(readings) != 1:
        return False
    (owned, blanks), block.left_over = readings[0]
    block.owned = [list(o) for o in owned]
    block.blanks = [[list(r) for r in rows] for rows in blanks]
    return True


def _keep(ways: dict, state: int, count: int, path: tuple) -> None:
    """Keep the ways to a state with the fewest rows with no numbers; two are as many as a
    hundred."""
    best = ways.get(state)
    if best is None or count < best[0]:
        ways[state] = (count, [path])
    elif count == best[0] and len(best[1]) < 2:
        best[1].append(path)


def _blank_rows(lines: Sequence[Line], run: list[int], widest: float) -> list[list[int]]:
    """Label lines that are rows of their own, with no numbers: a line goes on the row
    above only when that one's last line is as wide as the widest label and this one does
    not start with a number."""
    rows: list[list[int]] = []
    for i in run:
        words = lines[i].words
        goes_on = (rows and not _NUMBERED.match(words[0].text) and
                   _width(lines[rows[-1][-1]].words) >= widest - _SLACK * (lines[i].bottom - lines[i].top))
        if goes_on:
            rows[-1].append(i)
        else:
            rows.append([i])
    return rows


def _width(words: list) -> float:
    return max(w.x1 for w in words) - min(w.x0 for w in words) if words else 0.0


def _fits(lines: Sequence[Line], row: int, owned: tuple, centred: bool, top: bool,
          labelled: bool) -> bool:
    """The row's own label (the cell beside its numbers) wraps as text does and is centred
    on the numbers' line, or starts on it; a group label over several rows may sit
    anywhere. A label that starts on its numbers' line may go on at the top of the next
    page (the page break cut the row), else a label is on one page. In a table with labels,
    numbers with none are no row (a number that wrapped in its cell)."""
    cells = _label_cells(lines, row, owned)
    if not cells:
        return not labelled
    mine = sorted({i for i, _ in cells[-1]})
    v = lines[row]
    if len({lines[i].page for i in mine}) > 1:
        rest = [i for i in mine if lines[i].page != v.page]
        return (top and mine[0] == row and all(lines[i].page == v.page + 1 for i in rest)
                and not any(_NUMBERED.match(_first_text(cells[-1], i)) for i in mine[1:]))
    if not _wraps(cells[-1], mine, v):
        return False
    top_line, bottom = lines[mine[0]].top, lines[mine[-1]].bottom
    return ((centred and abs((top_line + bottom) - (v.top + v.bottom)) / 2 <= 0.25 * (v.bottom - v.top))
            or (top and mine[0] == row))


def _first_text(cell: list[tuple[int, Word]], line: int) -> str:
    return min((w for j, w in cell if j == line), key=lambda w: w.x0).text


def _wraps(cell: list[tuple[int, Word]], mine: list[int], row: Line) -> bool:
    """A label's lines read as one wrapped label: every line but the last runs as wide as
    the widest, and none but the first starts with a number (5.属于… under 4.保护…). Else a
    line is a label of its own: a row with no numbers, not a piece of this one."""
    widths = {i: _width([w for j, w in cell if j == i]) for i in mine}
    return (all(widths[i] >= max(widths.values()) - _SLACK * (row.bottom - row.top) for i in mine[:-1])
            and not any(_NUMBERED.match(_first_text(cell, i)) for i in mine[1:]))


def _label_cells(lines: Sequence[Line], row: int, extra) -> list[list[tuple[int, Word]]]:
    """A row's label words, from its own line and the label lines it took → its label cells,
    left to right: words over one another are one cell, read top to bottom."""
    numbers = _values(lines[row])
    return _cells_of([(j, w) for j in sorted([row, *extra]) for w in lines[j].words
                      if not (j == row and w in numbers)])


def _cells_of(words: list[tuple[int, Word]]) -> list[list[tuple[int, Word]]]:
    """Label words → label cells, left to right: words over one another are one cell."""
    groups: list[list[tuple[int, Word]]] = []
    for j, w in sorted(words, key=lambda jw: jw[1].x0):
        for g in groups:
            if any(_overlap(w.x0, w.x1, o.x0, o.x1) for _, o in g):
                g.append((j, w))
                break
        else:
            groups.append([(j, w)])
    for g in groups:
        g.sort(key=lambda jw: (jw[0], jw[1].x0))
    return sorted(groups, key=lambda g: min(w.x0 for _, w in g))


def _groups_joined(rows: list[list[list[tuple[int, Word]]]]) -> list[list[str]]:
    """Each row's label cells as text, a group label cut by the rows' lines joined back.

    A group label beside several rows (其他对外管理服务 / 事项, 不予 / 公开) stands in pieces,
    each on the line of one row; pieces over one another in the first of two or more label
    cells of consecutive rows are one label, given to each of those rows. A piece that
    starts with a number (（五）) starts a group of its own. A row below, whose label stands
    right of the group's, is under it too."""
    texts = [[_join([w.text for _, w in cell]) for cell in cells] for cells in rows]
    run: list[int] = []
    for k, cells in enumerate([*rows, []]):
        joins = (run and len(cells) > 1 and not _NUMBERED.match(texts[k][0]) and any(
            _overlap(w.x0, w.x1, o.x0, o.x1)
            for _, w in cells[0] for _, o in rows[run[-1]][0]))
        if joins:
            run.append(k)
            continue
        if len(run) > 1:
            group = "".join(texts[j][0] for j in run)
            for j in run:
                texts[j][0] = group
        run = [k] if len(cells) > 1 else []
    # a row whose label stands right of the group label above it is under that group too
    # (行政确认 under 其他对外管理服务事项, whose pieces stand beside 行政检查)
    group, edge = "", 0.0
    for k, cells in enumerate(rows):
        if len(cells) > 1:
            group, edge = texts[k][0], max(w.x1 for _, w in cells[0])
        elif cells and group and min(w.x0 for _, w in cells[0]) > edge + _OVERLAP:
            texts[k] = [group, *texts[k]]
        else:
            group = ""
    return texts


def _join(parts: list[str]) -> str:
    text = ""
    for p in parts:
        text += (" " if text[-1:].isascii() and p[:1].isascii() and text else "") + p
    return text


def _header(lines: Sequence[Line], block: _Block, left: float,
            span: tuple[float, float]) -> tuple[list[list[str]], str, list[str]]:
    """A block's header lines → rows of headings over several columns, the label column's
    heading, and each column's own heading (its words read top to bottom).

    A word reaching over the middle between two columns heads several, and so does every
    word on its line (a row of group headings); so does a word alone on its line and centred
    on the whole table (第二十条第（八）项 over two columns)."""
    centres = [(a + b) / 2 for a, b in block.columns]
    middles = [(a + b) / 2 for a, b in zip(centres, centres[1:])]
    bounds = list(zip([-float("inf"), *middles], [*middles, float("inf")]))
    spanning: list[list[str]] = []
    label: list[str] = []
    leaves: list[list[str]] = [[] for _ in centres]
    for i in block.header:
        over = [w for w in lines[i].words if w.x1 > left + _OVERLAP]
        label.extend(w.text for w in lines[i].words if w.x1 <= left + _OVERLAP)
        homes = [[k for k, (a, b) in enumerate(bounds) if w.x0 >= a - _TOL and w.x1 <= b + _TOL]
                 for w in over]
        title = (len(lines[i].words) == 1 and len(over) == 1 and
                 abs((over[0].x0 + over[0].x1) / 2 - sum(span) / 2) < 0.05 * (span[1] - span[0]))
        if title or any(len(h) != 1 for h in homes):
            spanning.append([w.text for w in over])
            continue
        for w, (k,) in zip(over, homes):
            leaves[k].append(w.text)
    return spanning, _join(label), [_join(x) for x in leaves]


def _grid(lines: Sequence[Line], blocks: list[_Block]) -> Table:
    left = min(a for b in blocks for a, _ in b.columns)
    everything = [w for b in blocks for i in [*b.header, *b.rows] for w in lines[i].words]
    span = (min(w.x0 for w in everything), max(w.x1 for w in everything))
    # (page, label cells, headings over the value columns, values)
    body: list[tuple[int, list[str], list[str], list[str | None]]] = []
    for block in blocks:
        spanning, label, leaves = _header(lines, block, left, span)
        page = lines[block.header[0]].page if block.header else lines[block.rows[0]].page
        for words in spanning:
            body.append((page, [], words, []))
        if block.header:
            body.append((page, [label] if label else [], leaves, []))
        entries: list[tuple[int, list[list[tuple[int, Word]]], list[str | None]]] = []
        for row, extra, blanks in zip(block.rows, block.owned, block.blanks):
            for blank in blanks:  # a row with no numbers: its label, and empty cells
                words = [(j, w) for j in blank for w in lines[j].words]
                entries.append((lines[blank[0]].page, _cells_of(words), [""] * len(block.columns)))
            values: list[str | None] = [None] * len(block.columns)
            for w in _values(lines[row]):
                values[_column(block.columns, w)] = w.text
            entries.append((lines[row].page, _label_cells(lines, row, extra), values))
        for (page, _, values), labels in zip(entries, _groups_joined([e[1] for e in entries])):
            body.append((page, labels, [], values))
    label_cols = max(len(labels) for _, labels, _, _ in body)
    value_cols = max(len(b.columns) for b in blocks)
    grid: list[list[Cell]] = []
    for _, labels, words, values in body:
        row = [Cell("") for _ in range(label_cols + value_cols)]
        if labels:  # the last label beside the numbers; the first spans what is left
            at = label_cols - len(labels)
            for k in range(at + 1):
                row[k] = Cell(labels[0], spanned=k > 0)
            for k, text in enumerate(labels[1:], start=at + 1):
                row[k] = Cell(text)
        if values:
            for k, text in enumerate(values):
                row[label_cols + k] = Cell(text or "")
        else:
            for k, text in enumerate(words):
                if label_cols + k < len(row):
                    row[label_cols + k] = Cell(text)
                elif k < len(row):
                    row[k] = Cell(text)
        grid.append(row)
    return Table(grid, [page for page, *_ in body])
