"""Placeholder site renderer (the portal is built on top of this in its own change)."""

from __future__ import annotations

from pathlib import Path

from nianbao.model import Site


def render(site: Site, out: Path, content: Path) -> None:
    rows = "".join(f"<li>{r.agency} {r.year}</li>" for r in site.reports)
    (out / "index.html").write_text(
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>年报</title><ul>{rows}</ul>',
        encoding="utf-8")
