"""The whole build is reproducible: two builds of the same content are byte-identical.

Each build runs `build.py` in its own process with its own PYTHONHASHSEED (so set and dict
orders that depend on string hashing would show) and, for the builds compared with each other,
at least two seconds apart (so a wall-clock time in any file or zip entry would show).

The one exception is Pagefind's filter and metadata index (`pagefind/filter/*.pf_filter`,
`pagefind/pagefind.<lang>_<hash>.pf_meta`, and the hash naming the latter in
`pagefind-entry.json`): Pagefind's maintainer says those still vary between runs
(Pagefind/pagefind#638). Everything else, the rest of the search index included, is compared
byte for byte; with search off, everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao import render
from nianbao.pipeline import build
from tests.conftest import ROOT
from tests.site_fixtures import make_extended_content

APART = 2.1  # seconds between builds that are compared: more than a zip timestamp's resolution
PAGEFIND_VARIES = re.compile(r"^pagefind/(?:filter/[^/]+\.pf_filter|pagefind\.[\w-]+\.pf_meta)$")


def _run_build(content: Path, output: Path, seed: int, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "NIANBAO_BASE_URL")}
    env["PYTHONHASHSEED"] = str(seed)
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content),
                           "--output", str(output), *args],
                          cwd=output.parent, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".nianbao-", ".output.old-")))


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Four builds of one content folder: two with search, two without; the first from
    scratch, the second with a cold extraction cache, the third with that cache warm."""
    tmp = tmp_path_factory.mktemp("repro")
    content = make_extended_content(tmp / "content")
    cache = tmp / "cache"
    plan = [("search-a", 1, ("--no-cache",)), ("search-b", 2, ("--cache", str(cache))),
            ("plain-a", 3, ("--no-search", "--cache", str(cache))),
            ("plain-b", 4, ("--no-search", "--no-cache"))]
    out = {}
    last = None
    for name, seed, args in plan:
        (tmp / name).mkdir()
        if last is not None:
            time.sleep(max(0.0, APART - (time.monotonic() - last)))
        last = time.monotonic()
        _run_build(content, tmp / name / "output", seed, *args)
        out[name] = tmp / name / "output"
    return out


def test_builds_with_search_are_identical_but_for_pagefinds_filter_index(builds):
    a, b = _digests(builds["search-a"]), _digests(builds["search-b"])
    assert any(PAGEFIND_VARIES.match(k) for k in a), "no Pagefind filter/meta files: pattern stale?"
    same_a = {k: v for k, v in a.items() if not PAGEFIND_VARIES.match(k)}
    same_b = {k: v for k, v in b.items() if not PAGEFIND_VARIES.match(k)}
    entry = "pagefind/pagefind-entry.json"
    del same_a[entry], same_b[entry]
    assert sorted(same_a) == sorted(same_b)
    differ = sorted(k for k in same_a if same_a[k] != same_b[k])
    assert not differ, differ
    # The entry file differs only in the hash naming each language's metadata file.
    entries = []
    for root in (builds["search-a"], builds["search-b"]):
        data = json.loads((root / entry).read_text(encoding="utf-8"))
        for lang, info in data["languages"].items():
            assert (root / "pagefind" / f"pagefind.{info['hash']}.pf_meta").is_file(), lang
            info["hash"] = None
        entries.append(data)
    assert entries[0] == entries[1]
    # The varying files vary in name and bytes, not in number.
    count = [sum(1 for k in d if k.startswith("pagefind/filter/")) for d in (a, b)]
    assert count[0] == count[1]


def test_builds_without_search_are_identical(builds):
    a, b = _digests(builds["plain-a"]), _digests(builds["plain-b"])
    assert len(a) > 100
    assert sorted(a) == sorted(b)
    differ = sorted(k for k in a if a[k] != b[k])
    assert not differ, differ
    assert not (builds["plain-a"] / "pagefind").exists()


def test_the_search_index_adds_files_and_changes_none(builds):
    """Search on or off, the site and data are the same files; search only adds pagefind/."""
    plain, search = _digests(builds["plain-a"]), _digests(builds["search-a"])
    assert {k: v for k, v in search.items() if not k.startswith("pagefind/")} == plain


def test_builds_leave_no_staging_folders(builds):
    for output in builds.values():
        assert _leftovers(output.parent) == [], output.parent
        assert not [p for p in output.rglob(".nianbao-*")]


def test_a_build_replaces_the_old_output_whole(builds, tmp_path):
    """Old files (stale pages, a removed agency's data) are gone after the next build, and
    the result is the same tree as a build from scratch."""
    content = builds["plain-a"].parent.parent / "content"
    output = tmp_path / "output"
    shutil.copytree(builds["plain-a"], output)
    stale = [output / "stale.html", output / "gone-agency" / "2020" / "index.html",
             output / "data" / "gone-agency" / "2020" / "values.csv", output / "pagefind" / "old.pf_meta"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old", encoding="utf-8")
    (output / "index.html").write_text("old home", encoding="utf-8")
    build(content, output, search=False)
    assert not [p for p in stale if p.exists()]
    assert not (output / "gone-agency").exists() and not (output / "pagefind").exists()
    assert _digests(output) == _digests(builds["plain-a"])
    assert _leftovers(tmp_path) == []


def test_a_failed_build_keeps_the_old_output_and_leaves_no_staging(builds, tmp_path, monkeypatch):
    content = builds["plain-a"].parent.parent / "content"
    output = tmp_path / "output"
    shutil.copytree(builds["plain-a"], output)
    before = _digests(output)

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(render, "render", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        build(content, output, search=False)
    assert _digests(output) == before
    assert _leftovers(tmp_path) == []


def test_a_build_failing_at_the_swap_puts_the_moved_folders_back(builds, tmp_path, monkeypatch):
    """Unchanged agencies' folders and unchanged search shards move from the old output into
    the new one just before the swap; if the swap fails, they are back where they were and
    the old output is whole."""
    from nianbao import pipeline

    content = builds["plain-a"].parent.parent / "content"
    output = tmp_path / "output"
    build(content, output, shard_pages=2)  # a search bundle per year
    before = _digests(output)
    agencies = [d.name for d in (output / "data").iterdir() if d.is_dir() and d.name != "all"]
    shards = [d.name for d in (output / "pagefind").iterdir() if d.is_dir()]
    moved = []
    real_move = pipeline.swap_in

    def move_then_fail_swap(*args):
        moved.extend(real_move(*args))
        return moved

    def broken(*args):
        raise OSError("swap failed")

    monkeypatch.setattr(pipeline, "swap_in", move_then_fail_swap)
    monkeypatch.setattr(pipeline, "swap", broken)
    with pytest.raises(OSError, match="swap failed"):
        build(content, output, shard_pages=2)
    # Every agency and every shard was reused, so moved (an agency: its pages and its
    # packages), and moved back.
    assert sorted(src.relative_to(output).as_posix() for src, _ in moved) == sorted(
        [*agencies, *(f"data/{a}" for a in agencies), *(f"pagefind/{y}" for y in shards)])
    assert len(agencies) >= 5 and len(shards) >= 2
    assert _digests(output) == before
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_new_output_takes_the_old_ones_place_in_one_step(tmp_path):
    """The swap exchanges the two folders in one call (renameat2), so the output folder is
    never missing, not even between two renames (serve answered 404 then)."""
    import threading

    from nianbao import pipeline

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, name in ((a, "x"), (b, "y")):
        folder.mkdir()
        (folder / name).write_text(name, encoding="utf-8")
    assert pipeline._exchange(a, b)
    assert [p.name for p in a.iterdir()] == ["y"] and [p.name for p in b.iterdir()] == ["x"]

    output, missing, done = tmp_path / "output", [], threading.Event()
    output.mkdir()

    def watch():
        while not done.is_set():
            if not output.exists():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(200):
            staging = tmp_path / f"staging-{n}"
            staging.mkdir()
            (staging / "index.html").write_text(str(n), encoding="utf-8")
            pipeline.swap(staging, output)
    finally:
        done.set()
        watcher.join()
    assert not missing
    assert (output / "index.html").read_text(encoding="utf-8") == "199"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "output"]
