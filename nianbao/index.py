"""Search index (Pagefind): filled in with the portal."""

from __future__ import annotations

from pathlib import Path


def index(site_root: Path) -> None:
    return None
