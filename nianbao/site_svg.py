"""Small inline SVG charts, drawn at build time (no script, no external library).

Every chart a page shows has its numbers next to it as a table (and a CSV link); the SVG is
marked role="img" with a text alternative, so it adds a picture, never information only it has.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from nianbao.figures import fmt


def _num(v) -> float:
    return float(v) if isinstance(v, Decimal) else v


def bar_chart(points: list[tuple[str, object, str]], *, title: str, percent: bool = False,
              breaks: tuple[int, ...] = (), width: int = 280, height: int = 150,
              chart_id: str = "chart") -> str:
    """Vertical bars, one per (label, value, text when value is None); None is never drawn as 0.

    breaks: indexes i where a template change falls between point i-1 and point i.
    """
    # a template change's label gets a band of its own above the bars' values: over the
    # tallest bar right of the line, the two were drawn on top of each other
    top, bottom, left, right = (34 if breaks else 22), 28, 8, 8
    plot_h = height - top - bottom
    n = max(len(points), 1)
    slot = (width - left - right) / n
    bar_w = min(44.0, slot * 0.6)
    known = [_num(v) for _, v, _ in points if v is not None]
    vmax = max([*known, 0]) or 1
    if percent:
        vmax = max(vmax, 100)
    vmin = min([*known, 0])
    span = (vmax - vmin) or 1

    def y(v: float) -> float:
        return top + plot_h * (vmax - v) / span

    zero = y(0)
    desc = "；".join(f"{lab}：{fmt(v, percent=percent) or none}" for lab, v, none in points)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
           f'<line class="axis" x1="{left}" y1="{zero:.1f}" x2="{width - right}" y2="{zero:.1f}"/>']
    for i, (label, v, none) in enumerate(points):
        cx = left + slot * i + slot / 2
        if i in breaks:
            bx = left + slot * i
            out.append(f'<line class="break" x1="{bx:.1f}" y1="2" x2="{bx:.1f}" '
                       f'y2="{height - bottom + 4}"/>')
            out.append(f'<text class="break-label" x="{bx + 3:.1f}" y="11">模板变更</text>')
        if v is None:
            out.append(f'<text class="missing" x="{cx:.1f}" y="{zero - 4:.1f}" '
                       f'text-anchor="middle">{escape(none)}</text>')
        else:
            fv = _num(v)
            y0, y1 = sorted((y(fv), zero))
            h = max(y1 - y0, 0.5)
            out.append(f'<rect class="bar" x="{cx - bar_w / 2:.1f}" y="{y0:.1f}" '
                       f'width="{bar_w:.1f}" height="{h:.1f}"/>')
            out.append(f'<text class="value" x="{cx:.1f}" y="{y0 - 4:.1f}" '
                       f'text-anchor="middle">{escape(fmt(v, percent=percent))}</text>')
        out.append(f'<text class="label" x="{cx:.1f}" y="{height - bottom + 16}" '
                   f'text-anchor="middle">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)
