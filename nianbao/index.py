"""Search index: Pagefind's extended build over the finished site.

Only the extended binary segments Chinese (the pages say lang="zh-CN"); the standard one
would index whole runs of CJK text as single words. So the build fails when it is missing,
rather than silently producing an index that cannot find 行政复议.
Only agency-year pages carry data-pagefind-body, so only they are indexed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class SearchIndexError(RuntimeError):
    pass


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SearchIndexError("pagefind_bin_extended is not installed: pip install 'pagefind[extended]'") from exc
    return Path(get_executable())


def index(site_root: Path) -> None:
    cmd = [str(executable()), "--site", str(site_root), "--output-subdir", "pagefind"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if "(Extended)" not in result.stdout:
        raise SearchIndexError(f"not Pagefind's extended build (no Chinese segmentation):\n{result.stdout}")
    if "Indexed 0 pages" not in result.stdout and "zh-cn" not in result.stdout:
        raise SearchIndexError(f"pagefind did not index the pages as Chinese (lang=zh-CN):\n{result.stdout}")
