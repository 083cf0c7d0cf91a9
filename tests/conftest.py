"""Shared paths and helpers for the test suite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nianbao.discover import source_for
from nianbao.extract import extract
from nianbao.jsonout import dumps, report_json

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
REPORTS = CONTENT / "reports"
TRUTH = Path(__file__).parent / "truth"
SHARED = ROOT.parent / "shared"

# spec/seeds-truth file → the seed's readable name in content/reports
SEEDS = {
    "000_6ef92f06de48b6b1.json": "2020/changchun-nanguan-shangwuju-2020.txt",
    "001_2c2532b92fa8338a.json": "2020/zhengzhou-zhongmu-shangwuju-2020.txt",
    "002_90cadabf32ab491f.json": "2020/beijing-tongzhou-shangwuju-2020.txt",
    "003_d67b1e978b819952.json": "2020/zibo-zichuan-zhaoshangju-2020.txt",
    "004_6d2805c236cf6dac.json": "2019/hangzhou-gongshu-shangwuju-2019.txt",
}


def extract_json(path: Path) -> dict:
    """The `build.py extract` object for one file, as JSON would give it back."""
    return json.loads(dumps(report_json(extract(source_for(path)))))


def rule_of(problem: dict) -> str:
    """The rule a rule problem names, in brackets at the end of its message."""
    return re.search(r"（([a-z-]+)）$", problem["message"]).group(1)


@pytest.fixture(scope="session")
def seed_results() -> dict[str, tuple[dict, dict]]:
    """truth file name → (truth, extracted)"""
    return {
        name: (json.loads((TRUTH / name).read_text(encoding="utf-8")), extract_json(REPORTS / rel))
        for name, rel in SEEDS.items()
    }
