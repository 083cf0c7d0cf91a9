"""Extraction is cached by content and code, and runs across processes (which write the
cache themselves); results are equal."""

from __future__ import annotations

import shutil

from nianbao.cache import ExtractCache
from nianbao.discover import discover
from nianbao.jsonout import dumps, report_json
from nianbao.pipeline import extract_all
from tests.conftest import REPORTS


def _json(reports):
    return [dumps(report_json(r)) for r in reports]


def test_cache_hits_and_invalidation(tmp_path):
    content = tmp_path / "reports"
    shutil.copytree(REPORTS, content)
    cache = ExtractCache(tmp_path / "cache")
    first = extract_all(discover(content), cache=cache, jobs=1)
    assert cache.hits == 0
    again = ExtractCache(tmp_path / "cache")
    second = extract_all(discover(content), cache=again, jobs=1)
    assert again.hits == len(first) and _json(first) == _json(second)
    changed = content / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("221", "222"), encoding="utf-8")
    third_cache = ExtractCache(tmp_path / "cache")
    third = extract_all(discover(content), cache=third_cache, jobs=1)
    assert third_cache.hits == len(first) - 1
    zibo = next(r for r in third if r.source.path == changed)
    assert zibo.values["active.procurement.items"] == 222


def test_parallel_equals_serial(tmp_path):
    from bench.synth import write_corpus

    write_corpus(tmp_path, 80, seed=3)
    sources = discover(tmp_path / "reports")
    serial = extract_all(sources, jobs=1)
    cache = ExtractCache(tmp_path / "cache")
    parallel = extract_all(sources, jobs=2, cache=cache)  # the workers fill the cache
    assert _json(serial) == _json(parallel)
    again = ExtractCache(tmp_path / "cache")
    cached = extract_all(discover(tmp_path / "reports"), jobs=2, cache=again)
    assert again.hits == len(sources) and _json(cached) == _json(serial)
    assert [r.source.rel for r in cached] == [s.rel for s in sources]


def test_a_code_change_leaves_a_folder_that_prune_removes(tmp_path, monkeypatch):
    """Entries live per code version; prune() keeps the most recently used versions (this
    one always) and drops the rest, and the cache from before versioned folders."""
    import os

    from nianbao import cache as cache_module

    content = tmp_path / "reports"
    shutil.copytree(REPORTS, content)
    folder = tmp_path / "cache"
    (folder / "ab").mkdir(parents=True)  # the layout before versioned folders
    (folder / "ab" / "ab12.pickle").write_bytes(b"old")
    (folder / "builds").mkdir()  # build stamps: not the cache's to remove
    versions = []
    for n in range(5):
        monkeypatch.setattr(cache_module, "code_hash", lambda n=n: f"{n:016x}")
        extract_all(discover(content), cache=ExtractCache(folder), jobs=1)
        os.utime(folder / f"{n:016x}", ns=(n * 10**9, n * 10**9))  # used in this order
        versions.append(f"{n:016x}")
    # Version 1 is in use again: it is the newest now.
    monkeypatch.setattr(cache_module, "code_hash", lambda: versions[1])
    again = ExtractCache(folder)
    extract_all(discover(content), cache=again, jobs=1)
    assert again.hits == len(list(content.rglob("*.txt")))
    removed = again.prune(keep=3)
    assert removed == sorted(["ab", versions[0], versions[2]])
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(["builds", versions[1], versions[3], versions[4]])
    assert again.prune(keep=3) == []
