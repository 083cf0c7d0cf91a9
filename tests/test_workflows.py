"""The GitHub workflows: valid against the GitHub-workflow schema (check-jsonschema bundles it,
so this runs offline) and wired as Pages needs: build, then deploy with the right rights."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PAGES = WORKFLOWS / "pages.yml"
TESTS = WORKFLOWS / "tests.yml"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def uses(job: dict) -> list[str]:
    """The actions a job uses, without their version: actions/checkout@v4 → actions/checkout."""
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def expr(text: str) -> str:
    return "${{ " + text + " }}"


def step(job: dict, action: str) -> dict:
    [found] = [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]
    return found


@pytest.mark.parametrize("path", [PAGES, TESTS], ids=lambda p: p.name)
def test_workflow_is_schema_valid(path):
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(path)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - usez: actions/checkout@v4\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(broken)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr


def test_pages_triggers_permissions_and_concurrency():
    wf = load(PAGES)
    assert wf["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert wf["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_pages_builds_then_deploys():
    jobs = load(PAGES)["jobs"]
    assert set(jobs) == {"build", "deploy"}
    build, deploy = jobs["build"], jobs["deploy"]
    assert "needs" not in build
    assert deploy["needs"] in ("build", ["build"])

    assert uses(build) == ["actions/checkout", "actions/setup-python", "actions/cache",
                           "actions/configure-pages", "actions/upload-pages-artifact"]
    assert str(step(build, "actions/setup-python")["with"]["python-version"]) == "3.11"
    configure = step(build, "actions/configure-pages")
    runs = [s for s in build["steps"] if "run" in s]
    assert any(re.search(r"pip install \.(\s|$)", s["run"]) for s in runs)
    [site] = [s for s in runs if "python build.py" in s["run"]]
    assert site["env"]["NIANBAO_BASE_URL"] == expr(f"steps.{configure['id']}.outputs.base_url")
    # configure-pages comes before the build that reads its output
    assert build["steps"].index(configure) < build["steps"].index(site)
    upload = step(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "output"
    # From v4 the action leaves out hidden files, so the build state is not published
    # (test_site.test_only_the_build_state_is_hidden checks nothing else is).
    assert int(upload["uses"].split("@v")[1].split(".")[0]) >= 4

    assert uses(deploy) == ["actions/deploy-pages"]
    deployment = step(deploy, "actions/deploy-pages")
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": expr(f"steps.{deployment['id']}.outputs.page_url"),
    }


def test_pages_carries_the_extraction_cache_between_runs():
    """The folder the build's cache defaults to, restored before the build; a key per run
    (caches are immutable) restored by prefix, so each run starts from the newest."""
    from nianbao.cli import DEFAULT_CACHE

    build = load(PAGES)["jobs"]["build"]
    cache = step(build, "actions/cache")
    [site] = [s for s in build["steps"] if "python build.py" in s.get("run", "")]
    assert build["steps"].index(cache) < build["steps"].index(site)
    assert cache["with"]["path"] == DEFAULT_CACHE.relative_to(ROOT).as_posix()
    prefix = cache["with"]["restore-keys"]
    assert cache["with"]["key"] == prefix + expr("github.run_id")


def test_actions_are_pinned_to_a_major_version():
    for path in (PAGES, TESTS):
        for job in load(path)["jobs"].values():
            for s in job["steps"]:
                if "uses" in s:
                    assert re.fullmatch(r"actions/[\w-]+@v\d+", s["uses"]), s["uses"]


def test_tests_workflow_runs_the_ci_script():
    wf = load(TESTS)
    assert "push" in wf["on"] and "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    [job] = wf["jobs"].values()
    assert uses(job)[0] == "actions/checkout"
    assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]
