"""Search index: Pagefind's extended build over the finished site.

Only the extended binary segments Chinese (the pages say lang="zh-CN"); the standard one
would index whole runs of CJK text as single words. So the build fails when it is missing,
rather than silently producing an index that cannot find 行政复议.
Only agency-year pages carry data-pagefind-body, so only they are indexed.

Big corpora are sharded. Past `shard_pages` pages (default 5,000; `search_shard_pages` in
site.yaml or env NIANBAO_SEARCH_SHARD_PAGES) each year gets its own bundle in
pagefind/<year>/, built by its own Pagefind run over a folder of links to just that shard's
pages. Pagefind holds the whole index in memory while it builds (~240 KB per page), fails
somewhere above 30,000 pages, and takes longer per page the bigger the run: at 10,000 pages
seven yearly runs took 39 s and 0.7 GB, one run 46 s and 3.2 GB. And a build after an edit
indexes again only the shards whose pages changed. Shards are indexed side by side, a run a
core, as far as their estimated memory stays within SEARCH_MEMORY (a run is one busy core:
otherwise the second sat idle through the end of a build). A year with more than `chunk_pages`
(20,000) pages is split in chunks: <year>-2, <year>-3, … The search page merges the bundles
in the browser with Pagefind's multisite support (mergeIndex), so one search covers every
shard.

pagefind/nianbao-bundles.json tells the search page which bundles there are (["./"] when the
index is one bundle). It also records each shard's fingerprint (its pages' paths and bytes,
and the Pagefind version), so the next build copies a shard whose pages did not change from
the previous output instead of indexing it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "nianbao-bundles.json"
DEFAULT_SHARD_PAGES = 5_000  # past this many pages, a bundle per year
CHUNK_PAGES = 20_000  # at most this many pages in one bundle (Pagefind's memory)
PAGEFIND_BYTES_PER_PAGE = 300_000  # a run's peak memory a page (measured: 0.54 GB, 1,500 pages)
SEARCH_MEMORY = 4 << 30  # what the shards' Pagefind runs may hold at once
_REPORT_PAGE = re.compile(r"^[^/]+/(\d{4})/index\.html$")


class SearchIndexError(RuntimeError):
    pass


@dataclass
class Page:
    """An indexed page: its path below the site root, its shard key (the year), a
    fingerprint of its content (the build gives its bytes' SHA-256; "" when unknown: never
    reused), and the folder it is read from when not the site being indexed (a page the
    build reuses is still in the previous output while the index is built)."""

    path: str
    shard: str
    fingerprint: str = ""
    root: Path | None = None


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SearchIndexError("pagefind_bin_extended is not installed: pip install 'pagefind[extended]'") from exc
    return Path(get_executable())


def shard_limit(config: dict | None = None) -> int:
    value = os.environ.get("NIANBAO_SEARCH_SHARD_PAGES") or (config or {}).get("search_shard_pages")
    try:
        return max(1, int(value)) if value else DEFAULT_SHARD_PAGES
    except (TypeError, ValueError):
        return DEFAULT_SHARD_PAGES


def index(site_root: Path, *, pages: list[Page] | None = None, shard_pages: int | None = None,
          previous: Path | None = None, inputs: str | None = None,
          chunk_pages: int = CHUNK_PAGES, keep=None) -> dict:
    """Index site_root into site_root/pagefind; returns the manifest written beside it.

    pages: the pages carrying data-pagefind-body (found by looking when not given).
    previous: the last build's output, whose unchanged shards are reused.
    inputs: a fingerprint of what the index is built from, kept in the manifest so the next
    build can tell whether the index is still current.
    keep(src, dst): how a reused shard's bundle gets from the previous output to site_root;
    False when it cannot (then it is indexed). By default copied now, by hard links; the
    build moves it in at its swap instead (pipeline.swap_in)."""
    limit = shard_pages or shard_limit()
    if pages is None:
        pages = find_pages(site_root)
    out = site_root / "pagefind"
    if len(pages) <= limit:
        _index_shard(site_root, pages, out)  # only these pages: the rest is not parsed at all
        manifest = {"bundles": ["./"], "pages": len(pages)}
    else:
        manifest = {"bundles": [], "pages": len(pages), "shards": {}}
        old = _read_manifest(previous / "pagefind") if previous else {}
        keep = keep or _link_tree
        todo = []
        for name, members in shards(pages, chunk_pages).items():
            fp = _fingerprint(members)
            target = out / name
            reused = (fp and old.get("shards", {}).get(name, {}).get("fingerprint") == fp
                      and keep(previous / "pagefind" / name, target))
            if not reused:
                todo.append((members, target))
            manifest["bundles"].append(f"{name}/")
            manifest["shards"][name] = {"pages": len(members), "fingerprint": fp}
        runs = parallel_runs([len(members) for members, _ in todo])
        with ThreadPoolExecutor(runs, thread_name_prefix="nianbao-pagefind") as pool:
            pending = [pool.submit(_index_shard, site_root, *job) for job in todo]
            try:
                for job in pending:
                    job.result()
            except BaseException:
                for job in pending:
                    job.cancel()  # those not started; the pool waits for the others
                raise
    if inputs:
        manifest["inputs"] = inputs
    out.mkdir(exist_ok=True)
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
                                + "\n", encoding="utf-8")
    return manifest


def parallel_runs(shard_pages: list[int], cores: int | None = None,
                  memory: int = SEARCH_MEMORY) -> int:
    """How many Pagefind runs at once: one a core (a run uses about one), as many as the
    biggest shard's estimated memory allows within `memory` (at 10,000 reports, shards of
    ~2,000 pages: two at a time; at 100,000, shards of up to 20,000: one)."""
    from nianbao.executors import cpu_count  # the cores this process may use, as the build's

    if not shard_pages:
        return 1
    fit = memory // (max(shard_pages) * PAGEFIND_BYTES_PER_PAGE)
    return max(1, min(cores or cpu_count(), fit, len(shard_pages)))


def find_pages(site_root: Path) -> list[Page]:
    """Agency-year pages (<agency>/<year>/index.html with data-pagefind-body)."""
    found = []
    for path in sorted(site_root.glob("*/[0-9][0-9][0-9][0-9]/index.html")):
        rel = path.relative_to(site_root).as_posix()
        m = _REPORT_PAGE.match(rel)
        with open(path, "rb") as fh:
            if m and b"data-pagefind-body" in fh.read(1 << 16):
                found.append(Page(rel, m.group(1)))
    return found


def shards(pages: list[Page], limit: int) -> dict[str, list[Page]]:
    """Pages by year; a year with more than `limit` pages split into chunks of at most limit
    (in path order, so the chunks are stable as pages are added elsewhere)."""
    by_year: dict[str, list[Page]] = defaultdict(list)
    for p in pages:
        by_year[p.shard].append(p)
    out = {}
    for year in sorted(by_year):
        members = sorted(by_year[year], key=lambda p: p.path)
        for n, start in enumerate(range(0, len(members), limit), 1):
            out[year if n == 1 else f"{year}-{n}"] = members[start:start + limit]
    return out


def _fingerprint(members: list[Page]) -> str:
    """The shard's pages (paths and contents) and the Pagefind that indexes them: a bundle
    of another Pagefind version is never mixed into a new index."""
    if any(not p.fingerprint for p in members):
        return ""
    digest = hashlib.sha256(f"pagefind {_pagefind_version()}\n".encode())
    for p in members:
        digest.update(f"{p.path}\0{p.fingerprint}\n".encode())
    return digest.hexdigest()


def _pagefind_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pagefind_bin_extended")
    except metadata.PackageNotFoundError:  # pragma: no cover - then executable() fails too
        return ""


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _link_tree(src: Path, dst: Path) -> bool:
    """Copy a previous shard's bundle by hard links (copies across file systems)."""
    if not src.is_dir():
        return False
    try:
        shutil.copytree(src, dst, copy_function=_link_or_copy)
    except OSError:
        shutil.rmtree(dst, ignore_errors=True)
        return False
    return True


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _index_shard(site_root: Path, members: list[Page], target: Path) -> None:
    """One Pagefind run over a folder holding links to just these pages, at their own paths
    (so result URLs are the pages' URLs), written to target."""
    tmp = Path(tempfile.mkdtemp(prefix=".nianbao-shard-", dir=site_root.parent))
    try:
        for p in members:
            dst = tmp / p.path
            dst.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy((p.root or site_root) / p.path, dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(["--site", str(tmp), "--output-path", str(target)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: list[str]) -> None:
    cmd = [str(executable()), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if "(Extended)" not in result.stdout:
        raise SearchIndexError(f"not Pagefind's extended build (no Chinese segmentation):\n{result.stdout}")
    if "Indexed 0 pages" not in result.stdout and "zh-cn" not in result.stdout:
        raise SearchIndexError(f"pagefind did not index the pages as Chinese (lang=zh-CN):\n{result.stdout}")
