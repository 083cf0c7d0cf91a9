"""Extraction is cached by content and code, and runs across processes; results are equal."""

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
    parallel = extract_all(sources, jobs=2)
    assert _json(serial) == _json(parallel)
