"""The build, phase by phase. Every report's data is collected before any page is written,
so cross-page links (agency ↔ years ↔ comparisons) resolve; output is written to a
temporary folder and swapped in whole, so nobody ever sees half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from nianbao.cache import ExtractCache
from nianbao.discover import discover
from nianbao.extract import extract
from nianbao.model import Problem, Report, Site, SourceFile
from nianbao.package import package_combined, package_report
from nianbao.publish import publish


@dataclass
class BuildResult:
    reports: list[Report]
    site: Site
    output: Path

    @property
    def published(self) -> list[Report]:
        return self.site.reports

    def summary(self) -> str:
        problems = [p for r in self.reports for p in r.problems]
        by = defaultdict(int)
        for p in problems:
            by[p.severity] += 1
        return (f"{len(self.reports)} reports, {len(self.published)} agency-years published, "
                f"{len(problems)} problems ({by['error']} errors, {by['warning']} warnings, "
                f"{by['info']} notes)")


def load_config(content: Path) -> dict:
    """content/site.yaml, with NIANBAO_BASE_URL (set by the Pages workflow) overriding base_url."""
    path = content / "site.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    if os.environ.get("NIANBAO_BASE_URL"):
        config["base_url"] = os.environ["NIANBAO_BASE_URL"]
    if config.get("base_url") and not config["base_url"].endswith("/"):
        config["base_url"] += "/"
    return config


def build(content: Path, output: Path, *, search: bool = True, jobs: int | None = None,
          cache_dir: Path | None = None) -> BuildResult:
    config = load_config(content)
    sources = discover(content / "reports")
    reports = extract_all(sources, jobs=jobs, cache=ExtractCache(cache_dir))
    settle_identities(reports)
    site = collect(reports, config)
    staging = Path(tempfile.mkdtemp(prefix=".nianbao-", dir=output.parent))
    try:
        for report in site.reports:
            site.packages[(report.agency_id, report.year)] = package_report(report, staging, config)
        site.combined = package_combined(site.reports, site.all_reports, staging, config)
        publish(site, staging)  # xlsx, SQLite, DCAT catalogue, sitemap, feed, data zip
        from nianbao import render

        render.render(site, staging, content)
        if search:
            from nianbao import index

            index.index(staging)
        swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(reports, site, output)


def extract_all(sources: list[SourceFile], *, jobs: int | None = None,
                cache: ExtractCache | None = None) -> list[Report]:
    """read → parse → resolve → check for every file: cached ones from the cache, the rest
    across processes when there are enough of them to pay for starting the workers."""
    cache = cache or ExtractCache(None)
    looked_up = [cache.get(s) for s in sources]
    todo = [s for s, (_, hit) in zip(sources, looked_up) if hit is None]
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(todo) >= 64:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            fresh = list(pool.map(extract, todo, chunksize=max(1, len(todo) // (jobs * 8))))
    else:
        fresh = [extract(s) for s in todo]
    done = iter(fresh)
    reports = []
    for source, (k, hit) in zip(sources, looked_up):
        if hit is None:
            hit = next(done)
            hit.source = source
            cache.put(k, hit)
        reports.append(hit)
    return reports


def settle_identities(reports: list[Report]) -> None:
    """Two files for one agency-year, or two agencies on one id: an error on each, no winner."""
    by_key: dict[tuple, list[Report]] = defaultdict(list)
    by_id: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        if r.publishable:
            by_key[(r.agency_id, r.year)].append(r)
            by_id[r.agency_id].add(r.agency)
    for (agency_id, year), group in by_key.items():
        if len(group) > 1:
            names = "、".join(r.source.rel for r in group)
            for r in group:
                r.add(Problem("duplicate-report", "error",
                              f"{agency_id} {year} 年有多个报告文件：{names}；均未发布，请删除多余的文件",
                              r.source.rel))
                r.agency_id = None
    for agency_id, names in by_id.items():
        if len(names) > 1:
            for r in reports:
                if r.agency_id == agency_id:
                    r.add(Problem("id-collision", "error",
                                  f"不同机关（{'、'.join(sorted(names))}）得到同一个 ID“{agency_id}”；"
                                  "请在元数据文件中用 id 指定", r.source.rel))
                    r.agency_id = None


def collect(reports: list[Report], config: dict) -> Site:
    published = sorted((r for r in reports if r.publishable), key=lambda r: (r.agency_id, r.year))
    with_problems = [r for r in reports if r.problems]
    return Site(published, with_problems, reports, {}, None, config)


def swap(staging: Path, output: Path) -> None:
    """Replace output with staging in two renames; the old tree is removed afterwards."""
    os.chmod(staging, 0o755)
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(old)
    staging.rename(output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
