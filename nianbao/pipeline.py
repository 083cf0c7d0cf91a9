"""The build, phase by phase. Every report's data is collected before any page is written,
so cross-page links (agency ↔ years ↔ comparisons) resolve; output is written to a
temporary folder and swapped in whole, so a failed build leaves the old site as it was.

Builds are parallel and incremental:

- extraction runs across processes (or on Dask, see executors.py), and is cached by content;
- each agency's output (its packages and workbooks, its agency-year pages, its agency page)
  is one *unit*, built across processes. A unit's fingerprint hashes everything it is built
  from: its reports' files and sidecars (the extraction cache key), nianbao's code, the
  templates and assets, the schemas, the site configuration and the build date. A unit whose
  fingerprint is the previous build's is not built again: once the new site is complete,
  its two folders (<agency>/ and data/<agency>/) move from the previous output into it,
  just before the swap (two renames a unit; only between those renames and the swap does
  the old output lack them, and a failure puts them back);
- aggregates (home, year, list, compare, download and quality pages, the combined package,
  workbook, database, data zip, catalogue, sitemap and feed) are always rebuilt;
- when nothing changed at all and the extraction cache is in use (the CLI's default), the
  build leaves the output as it is: see _still_current. The reports it returns are loaded
  from the cache when asked for.

The previous build's state is output/.nianbao/state.json.gz: fingerprints, packages and the
size of every file, and nothing that differs between two builds of the same content (no
paths outside the output, no times), so builds stay byte-identical. It is harmless to deploy.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import fields
from pathlib import Path

import yaml

from nianbao.cache import ExtractCache, code_hash
from nianbao.cache import key as extraction_key
from nianbao.discover import discover
from nianbao.model import FileInfo, PackageInfo, Problem, Report, Site, SourceFile
from nianbao.package import Copied, Previous, package_combined, package_problems, sha256

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ".nianbao/state.json.gz"
# 2: packages carry title, description, keywords; 3: page digests; 4: compact (_Texts, no
# file lists per unit)
STATE_VERSION = 4
RACY_NS = 1_000_000_000  # see _keys: FAT and some network file systems keep whole seconds


class BuildError(RuntimeError):
    pass


class BuildResult:
    """What a build did. After a no-op build the reports are loaded (from the extraction
    cache) only when asked for; summary() does not need them."""

    def __init__(self, reports: list[Report] | None, site: Site | None, output: Path, *,
                 stats: dict | None = None, loader=None, summary_text: str | None = None,
                 listing: Path | None = None,
                 problems: list[tuple[str, list[Problem]]] | None = None):
        self._reports, self._site, self._loader = reports, site, loader
        self.output = output
        self.stats = stats or {}
        self._summary = summary_text
        self._listing = listing
        self._problems = problems

    def _load(self) -> None:
        if self._reports is None:
            self._reports, self._site = self._loader()

    @property
    def reports(self) -> list[Report]:
        self._load()
        return self._reports

    @property
    def site(self) -> Site:
        self._load()
        return self._site

    @property
    def published(self) -> list[Report]:
        return self.site.reports

    def summary(self) -> str:
        if self._summary is None:
            self._summary = summary_text(self.reports, self.published)
        return self._summary

    def problems(self) -> list[tuple[str, list[Problem]]]:
        """Each report file with problems (by its name below content/reports) and them: what
        the command line lists. After a no-op, the last build's listing, kept beside its
        stamp, when it is there: loading 10,000 reports from the cache to list them took
        1.5 s of a no-op's 2.8 s. (A build hands over the listing it wrote.)"""
        if self._problems is None and self._reports is None and self._listing is not None:
            self._problems = _read_listing(self._listing)
        if self._problems is None:
            self._problems = problem_listing(self.reports)
        return self._problems


def problem_listing(reports: list[Report]) -> list[tuple[str, list[Problem]]]:
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for report in reports:
        by_file[report.source.rel].extend(report.problems)
    return sorted(((rel, problems) for rel, problems in by_file.items() if problems),
                  key=lambda item: item[0])


def summary_text(reports: list[Report], published: list[Report]) -> str:
    problems = [p for r in reports for p in r.problems]
    by = defaultdict(int)
    for p in problems:
        by[p.severity] += 1
    return (f"{len(reports)} reports, {len(published)} agency-years published, "
            f"{len(problems)} problems ({by['error']} errors, {by['warning']} warnings, "
            f"{by['info']} notes)")


def load_config(content: Path) -> dict:
    """content/site.yaml; NIANBAO_BASE_URL (set by the Pages workflow) overrides base_url and
    NIANBAO_FILES_BASE_URL overrides files_base_url."""
    path = content / "site.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    for key, env in (("base_url", "NIANBAO_BASE_URL"), ("files_base_url", "NIANBAO_FILES_BASE_URL")):
        if os.environ.get(env):
            config[key] = os.environ[env]
        if config.get(key) and not config[key].endswith("/"):
            config[key] += "/"
    return config


# ---------------------------------------------------------------- the build


def build(content: Path, output: Path, *, search: bool = True, jobs: int | None = None,
          cache_dir: Path | None = None, incremental: bool = True, executor: str = "local",
          scheduler: str | None = None, files_output: Path | None = None,
          shard_pages: int | None = None, discard=None) -> BuildResult:
    """Build content/ into output/, phase by phase.

    incremental: reuse the previous output's unchanged agencies (False: build everything).
    executor, scheduler: where extraction runs ("local" processes, or "dask" at scheduler).
    files_output: with `files_base_url` set, where data/ (packages, original reports, bulk
    downloads) goes instead of output/ (default: <output>-files beside output).
    shard_pages: split the search index by year past this many pages (see index.py).
    discard(path): removes the old output's tree once the new one is in place (default: at
    once; serve hands it to a thread, so the browser reloads without waiting for it).
    """
    run = _Build(content, output, search=search, jobs=jobs, cache_dir=cache_dir,
                 incremental=incremental, executor=executor, scheduler=scheduler,
                 files_output=files_output, shard_pages=shard_pages, discard=discard)
    if (unchanged := run.check()) is not None:
        return unchanged
    run.discover()
    run.extract()
    try:
        run.units()
        run.publish()
        run.start_index()
        run.render()
        run.state()
        run.finish_index()
        run.swap()
    except BaseException:
        run.roll_back()
        raise
    return run.result()


class _Build:
    """One build's phases and what they hand on to each other: a method a phase, in the
    order build() calls them; the clock's laps (BuildResult.stats) are named after them."""

    def __init__(self, content: Path, output: Path, *, search: bool, jobs: int | None,
                 cache_dir: Path | None, incremental: bool, executor: str,
                 scheduler: str | None, files_output: Path | None, shard_pages: int | None,
                 discard):
        self.clock = _Clock()
        self.discard = discard or remove_tree
        self.content, self.output, self.jobs = content, output, jobs
        self.incremental, self.executor, self.scheduler = incremental, executor, scheduler
        self.config = config = load_config(content)
        if files_output is not None and not config.get("files_base_url"):
            raise BuildError("--files-output needs files_base_url (content/site.yaml or "
                             "NIANBAO_FILES_BASE_URL): pages must know where the files are")
        if config.get("files_base_url") and files_output is None:
            files_output = output.with_name(output.name + "-files")
        self.files_output = files_output
        self.cache = ExtractCache(cache_dir)
        self.site_fp = _site_fingerprint(config)
        self.pages_fp = _tree_digest(content / "pages")
        self.limit = None  # pages per search shard; None: no search index
        if search:
            from nianbao import index

            self.limit = shard_pages or index.shard_limit(config)
        # The no-op needs the extraction cache (the result's reports come from it, unread),
        # whose folder also keeps the stamp of the last build into this output.
        self.stamp_path = _stamp_path(cache_dir, output) if cache_dir is not None else None
        # What the last build saw (the no-op and the cache keys trust it); --full trusts
        # nothing of it, so reports are hashed again, too.
        self.stamp = _read_stamp(self.stamp_path) if self.stamp_path and incremental else None
        self.taken = time.time_ns()  # before the snapshot: what was touched after is racy
        self.snapshot = _snapshot(content / "reports") if self.stamp_path else None
        self.staging: Path | None = None
        self.files_staging: Path | None = None
        self.indexing = None  # the search index, a Future while Pagefind runs
        self.publishing = None  # the catalogue's process (executors.Beside) while it runs
        self.moved: list[tuple[Path, Path]] = []  # (from the old output, into staging)
        self.reused: set[str] = set()  # units moved in from the previous output at the swap
        self.kept_shards: list[tuple[Path, Path]] = []  # search shards moved in then, too
        self.listing: list[tuple[str, list[Problem]]] | None = None  # what swap() kept

    def check(self) -> BuildResult | None:
        """The no-op: nothing changed since the last build into this output."""
        stamp = _still_current(self.stamp, self.site_fp, self.pages_fp, self.snapshot,
                               self.output, self.files_output, self.limit)
        self.clock.lap("check")
        if stamp is None:
            return None
        content, cache, config = self.content, self.cache, self.config
        return BuildResult(None, None, self.output, stats={**self.clock.laps, "noop": True},
                           summary_text=stamp.get("summary"),
                           loader=lambda: _load_reports(content, cache, config),
                           listing=_listing_path(self.stamp_path))

    def discover(self) -> None:
        self.sources = discover(self.content / "reports")
        self.keys, self.hashed = _keys(self.sources, self.snapshot, self.stamp)
        self.noop_fp = _hash(self.site_fp, self.pages_fp,
                             *(f"{s.rel}\0{k}" for s, k in zip(self.sources, self.keys)))
        self.index_inputs = _hash(self.noop_fp, str(self.limit))
        self.old = _read_state(self.output) if self.incremental else None
        self.clock.lap("discover")

    def extract(self) -> None:
        """Read, parse and check every report (cached), then settle who is who: the site."""
        reports = extract_all(self.sources, jobs=self.jobs, cache=self.cache, keys=self.keys,
                              executor=self.executor, scheduler=self.scheduler)
        self.cache.prune()
        settle_identities(reports)
        self.reports, self.site = reports, collect(reports, self.config)
        self.clock.lap("extract")
        report_key = {id(r): k for r, k in zip(reports, self.keys)}
        self.agencies: dict[str, list[Report]] = defaultdict(list)
        for r in self.site.reports:
            self.agencies[r.agency_id].append(r)
        self.years = sorted({r.year for r in self.site.reports})
        self.unit_global = _hash(self.site_fp, json.dumps(self.years))
        withheld = self.site.withheld
        self.fps = {a: _hash(self.unit_global, a,
                             *(f"{r.year}\0{report_key[id(r)] or ''}" for r in items),
                             *(f"withheld\0{r.source.rel}\0{report_key[id(r)] or ''}"
                               for r in withheld.get(a, ())),
                             # what other files say of these: their pages show it
                             *(p.message for r in items for p in r.problems
                               if p.code in SETTLED))
                    for a, items in self.agencies.items()}

    def units(self) -> None:
        """Each agency's packages and pages, across processes, beside the combined package
        and the database; an unchanged agency's from the previous output instead."""
        from nianbao import executors

        site, units, old = self.site, self.agencies, self.old
        self.staging = staging = Path(tempfile.mkdtemp(prefix=".nianbao-", dir=self.output.parent))
        old_units = ((old or {}).get("units", {})
                     if (old or {}).get("global") == self.unit_global else {})
        self.unit_sizes: dict[str, dict[str, int]] = {}  # agency → its files → their sizes
        self.page_digests: dict[str, dict[str, str]] = {}  # agency → year → its page's SHA-256
        packages: dict[tuple[str, int], PackageInfo] = {}
        reusable = [a for a in units if old_units.get(a, {}).get("fp") == self.fps[a]]
        todo = [a for a in units if old_units.get(a, {}).get("fp") != self.fps[a]]
        not_intact: list[str] = []

        def reuse() -> None:
            """Check the unchanged units' folders in the previous output while the workers
            build the rest: a unit whose files are not exactly those it left (one missing,
            resized, or a stray one) is built after; the rest move in at the swap."""
            left = _files_by_unit(old)
            texts = (old or {}).get("texts") or []
            for agency in reusable:
                prev = old_units[agency]
                sizes = _unit_intact(agency, left, self.output, self.files_output)
                if sizes is None:
                    not_intact.append(agency)
                    continue
                self.reused.add(agency)
                self.unit_sizes[agency] = sizes
                self.page_digests[agency] = prev["pages"]
                for year, pkg in prev["packages"].items():
                    packages[(agency, int(year))] = _package_info(pkg, texts)

        # One pool of processes for the units, the combined package (with its workbook) and
        # the database; those two go first, so they run beside the units rather than after.
        # They copy the rows of the agencies whose reports are unchanged from the previous
        # output's (whether or not that unit's own folders are intact: these are other files).
        job = _UnitJob(site, staging, self.content, self.years)
        todo_units = [units[a] for a in todo]
        previous = self._previous_tables(reusable)
        tasks = [lambda: _combined(site, staging, previous),
                 lambda: _database(site, staging, previous)]
        tasks += [(lambda part=part: [job(u) for u in part])
                  for part in executors.chunks(todo_units, self.jobs)]
        big = max(len(todo_units), len(site.reports)) >= executors.MIN_PARALLEL
        done = executors.fork_run(tasks, jobs=self.jobs if big else 1,  # small: not worth a fork
                                  meanwhile=reuse)
        site.combined, self.layout = done[0]
        _bulk_files(site, staging)
        results = [r for part in done[2:] for r in part]
        results += [job(units[a]) for a in not_intact]
        self.built = todo + not_intact
        for agency, (pkgs, sizes, digests) in zip(self.built, results):
            self.unit_sizes[agency] = sizes
            self.page_digests[agency] = {str(year): d for year, d in digests.items()}
            for year, pkg in pkgs.items():
                packages[(agency, year)] = pkg
        site.packages = {(r.agency_id, r.year): packages[(r.agency_id, r.year)]
                         for r in site.reports}
        for r in site.reports:  # the workers' reports were copies (or the unit was reused)
            known = {(p.code, p.where, p.message) for p in r.problems}
            r.problems.extend(p for p in package_problems(r, site.packages[(r.agency_id, r.year)])
                              if (p.code, p.where, p.message) not in known)
        self.clock.lap("units")

    def _previous_tables(self, keep: list[str]) -> Previous | None:
        """The previous output's combined tables, as its state describes them."""
        combined = (self.old or {}).get("combined")
        if not keep or not combined:
            return None
        root = self.files_output if self.files_output is not None else self.output
        # Its agencies in the order of their rows: site.reports' (sorted by agency id).
        return Previous(root / "data" / "all", sorted(self.old["units"]), combined["rows"],
                        combined["sha256"], frozenset(keep))

    def start_index(self) -> None:
        """The agency-year pages are all written: Pagefind indexes them (in its own process)
        while the downloads, aggregate pages and state are written."""
        if self.limit is None:
            return
        from nianbao import index

        pages = [index.Page(f"{r.agency_id}/{r.year}/index.html", str(r.year),
                            self.page_digests[r.agency_id][str(r.year)],
                            self.output if r.agency_id in self.reused else None)
                 for r in self.site.reports]
        previous = self.output if self.incremental and self.output.is_dir() else None
        pool = ThreadPoolExecutor(1, thread_name_prefix="nianbao-index")
        self.indexing = pool.submit(index.index, self.staging, pages=pages,
                                    shard_pages=self.limit, previous=previous,
                                    inputs=self.index_inputs, keep=self._keep_shard)
        pool.shutdown(wait=False)  # the thread ends with the task

    def _keep_shard(self, src: Path, dst: Path) -> bool:
        """A search shard whose pages did not change moves in from the previous output at
        the swap, like an unchanged unit: one rename, where linking each of its files and
        deleting them with the old output took ~9 s at 100,000 reports."""
        if not src.is_dir():
            return False
        self.kept_shards.append((src, dst))
        return True

    def publish(self) -> None:
        """The catalogue, robots and feed; for a big site in a forked process beside render()
        (forked before Pagefind's thread starts). At 10,000 reports the catalogue's ~2 s
        overlap the aggregate pages' ~4 s, on a core that was idle without search."""
        from nianbao import executors

        site, staging = self.site, self.staging
        parallel = (self.jobs or executors.cpu_count()) > 1  # fork_run's rule, too
        if parallel and len(site.reports) >= executors.MIN_PARALLEL:
            self.publishing = executors.Beside(lambda: publish_site(site, staging),
                                               "nianbao-publish")
        else:
            publish_site(site, staging)
        self.clock.lap("publish")

    def render(self) -> None:
        """The aggregate pages (the agencies' own were written with their units) and the
        sitemap; in files-host mode, data/ then moves to its own staging folder."""
        from nianbao import publish as pub
        from nianbao import render

        old, self.contexts = self.old or {}, {}
        previous = None
        if old.get("global") == self.unit_global and isinstance(old.get("contexts"), dict):
            previous = render.OldPages(self.output, old["contexts"], old.get("files") or {})
        pages = render.render(self.site, self.staging, self.content, agency_pages=False,
                              contexts=self.contexts, old=previous)
        pub.write_sitemaps(self.staging, self.site, pages)
        if self.publishing is not None:
            self.publishing.wait()
            self.publishing = None
        self.clock.lap("render")  # with what was left of publish()
        if self.files_output is not None:
            self.files_staging = Path(tempfile.mkdtemp(prefix=".nianbao-files-",
                                                       dir=self.files_output.parent))
            move_files(self.site, self.staging, self.files_staging)

    def state(self) -> None:
        """What the next build compares with: fingerprints, packages, every file's size."""
        units, site = self.agencies, self.site
        files_staging = self.files_staging
        self.summary = summary_text(self.reports, site.reports)
        unit_folders = {f for a in units for f in _unit_dirs(a)}
        texts = _Texts()
        state = {
            "version": STATE_VERSION, "global": self.unit_global, "noop": self.noop_fp,
            "summary": self.summary,
            "units": {a: {"fp": self.fps[a], "pages": self.page_digests[a],
                          "packages": {str(r.year): _package_dict(site.packages[(a, r.year)],
                                                                  texts) for r in units[a]}}
                      for a in sorted(units)},
            "texts": texts.table,
            # Every file but the search index: the aggregates walked, the units' as they
            # reported them (or, reused, as the old state had them: not in staging yet).
            # A unit's own files are those below its two folders (_files_by_unit).
            "files": _merged(_walk(self.staging, unit_folders), self.unit_sizes,
                             lambda rel: files_staging is None or not rel.startswith("data/")),
            "data_files": (_merged(_walk(files_staging, unit_folders), self.unit_sizes,
                                   lambda rel: rel.startswith("data/"))
                           if files_staging else None),
            # What each aggregate page was rendered from (render.OldPages).
            "contexts": dict(sorted(self.contexts.items())),
            # Where each agency's rows lie in the combined tables (package.Previous).
            "combined": {"rows": self.layout,
                         "sha256": {f.name: f.sha256 for f in site.combined.files if f.sha256}},
        }
        _write_state(self.staging, state)
        self.clock.lap("state")

    def finish_index(self) -> None:
        if self.indexing is not None:
            self.indexing.result()
            self.clock.lap("index")  # what was left of it after the rest

    def swap(self) -> None:
        """The reused units and search shards move in, the new output replaces the old; then
        the no-op's stamp."""
        self.moved = swap_in([*_unit_moves(self.reused, self.output, self.files_output,
                                           self.staging, self.files_staging),
                              *self.kept_shards])
        if self.files_staging is not None:
            swap(self.files_staging, self.files_output, self.discard)
            self.files_staging = None
        swap(self.staging, self.output, self.discard)
        if self.stamp_path is not None:
            self.listing = problem_listing(self.reports)
            _write_listing(_listing_path(self.stamp_path), self.listing)
            _write_json(self.stamp_path, {
                "site": self.site_fp, "pages": self.pages_fp, "snapshot": self.snapshot,
                "taken": self.taken, "code": code_hash(),
                "keys": {s.rel: [k, _sidecar_rel(s)] for s, k in zip(self.sources, self.keys)
                         if k is not None},
                "limit": self.limit, "readable": None not in self.keys, "summary": self.summary,
                "files_output": str(self.files_output.resolve()) if self.files_output else None,
                **_output_stats(self.output, self.files_output, self.limit)})
        self.clock.lap("swap")  # with the stamp and the problem listing

    def roll_back(self) -> None:
        """After a failure (Ctrl-C included): the old output as it was, no staging left."""
        if self.publishing is not None:  # it writes into staging too
            self.publishing.stop()
        if self.indexing is not None:  # Pagefind writes into staging (Ctrl-C stops it too)
            wait([self.indexing])
        put_back(self.moved)  # what moved out of the old output goes back
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if self.files_staging is not None:
            shutil.rmtree(self.files_staging, ignore_errors=True)

    def result(self) -> BuildResult:
        stats = {**self.clock.laps, "reports_hashed": self.hashed, "units_built": len(self.built),
                 "units_reused": len(self.agencies) - len(self.built)}
        return BuildResult(self.reports, self.site, self.output, stats=stats,
                           summary_text=self.summary, problems=self.listing)


def update_pages(result: BuildResult, content: Path, output: Path, changed: list[Path],
                 env=None) -> list[str] | None:
    """serve's fast path, for an edit to report files: re-extract just those files and
    rewrite their agencies' pages in output/ in place, so the browser can reload at once.
    The incremental build that follows brings packages, aggregates and search up to date.

    Returns the pages rewritten, or None when the edit needs the full build first: a file
    added, removed or outside content/reports (a sidecar, a template), or a report whose
    agency, year or publication changed. Pages are replaced file by file (rename), never
    written through: the previous output may share files with a build's by hard link.
    """
    from copy import copy

    from nianbao import render
    from nianbao.extract import extract

    root = (content / "reports").resolve()
    site = result.site
    index = {r.source.rel: i for i, r in enumerate(result.reports)}
    fresh: list[tuple[Report, Report]] = []
    for path in changed:
        try:
            rel = Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        if rel not in index or not Path(path).is_file():
            return None
        old = result.reports[index[rel]]
        new = extract(copy(old.source))
        if not (old.publishable and new.publishable and (new.agency_id, new.year, new.agency)
                == (old.agency_id, old.year, old.agency)):
            return None
        fresh.append((old, new))
    if not fresh:
        return None
    swaps = {id(old): new for old, new in fresh}
    for seq in (result.reports, site.reports, site.all_reports):
        seq[:] = [swaps.get(id(r), r) for r in seq]
    site.problem_reports[:] = [r for r in site.all_reports if r.problems]
    agencies = {new.agency_id for _, new in fresh}
    units = [[r for r in site.reports if r.agency_id == a] for a in sorted(agencies)]
    years = sorted({r.year for r in site.reports})
    tmp = Path(tempfile.mkdtemp(prefix=".nianbao-pages-", dir=output.parent))
    try:
        render.render_agency_pages(site, tmp, content, units, years, env=env)
        written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        for rel in written:
            (output / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, output / rel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


class _UnitJob:
    """One agency's output: per report its package (CSVs, datapackage.json, the original
    file), its workbook and the package zip, and its page; then the agency page. Runs in a
    forked worker: the site comes with the fork, only the packages and file names go back."""

    def __init__(self, site: Site, staging: Path, content: Path, years: list[int]):
        self.site, self.staging, self.content, self.years = site, staging, content, years
        self.env = None  # one Jinja environment per worker: templates compile once

    def __call__(self, unit: list[Report]) -> tuple[dict[int, PackageInfo], dict[str, int],
                                                    dict[int, str]]:
        from nianbao import publish, render

        config = self.site.config
        base = publish.base_url(config)
        packages = {}
        for r in unit:
            # What package_report and publish() make (tests/test_scale.py), each file once.
            pkg = publish.write_report_package(r, self.staging, config,
                                               publish.page_url(base, r.agency_id, r.year))
            r.problems.extend(package_problems(r, pkg))  # so its page shows them
            self.site.packages[(r.agency_id, r.year)] = packages[r.year] = pkg
        if self.env is None:
            self.env = render.environment()
        written: dict[str, str] = {}
        render.render_agency_pages(self.site, self.staging, self.content, [unit], self.years,
                                   env=self.env, digests=written)
        agency = unit[0].agency_id
        # Every file the unit wrote, with its size, for the build state: its two folders,
        # listed here while they are in the page cache, not walked again by the build.
        sizes: dict[str, int] = {}
        for folder in _unit_dirs(agency):
            _sizes_below(self.staging / folder, folder + "/", sizes)
        # What the search index is built from: each agency-year page's bytes (an edit to one
        # year of an agency leaves its other years' pages, and their search shards, as they were).
        digests = {r.year: written[f"{agency}/{r.year}/index.html"] for r in unit}
        return packages, dict(sorted(sizes.items())), digests


def _combined(site: Site, root: Path, previous: Previous | None = None
              ) -> tuple[PackageInfo, dict[str, list[list[int]]]]:
    """The combined package, its workbook and zip, each file with its checksum: in the pool,
    beside the units and the database, since none of it depends on them (at 10,000 reports,
    8 s; the database another 10 s). Also returns where each agency's rows lie in it."""
    from nianbao import publish as pub

    layout: dict[str, list[list[int]]] = {}
    site.combined = package_combined(site.reports, site.all_reports, root, site.config,
                                     zip=False, previous=previous, layout=layout)
    _combined_workbook(site, root)
    _checksums(root, site.combined)
    # The bulk zip's first part, here rather than after the pool: the database, written
    # beside, is the larger (at 100,000 reports 2.9 GB of tables here, 4.8 GB there).
    pub.write_data_zip(root / "data" / pub.DATA_ZIP_NAME, root / "data", part="tables")
    return site.combined, layout


def _database(site: Site, root: Path, previous: Previous | None = None) -> None:
    """The database, made from the combined tables' rows, not read back from the CSVs, so
    that it is loaded while they are written; the unchanged agencies' rows copied from the
    previous database, when it is the one that build wrote."""
    from nianbao import publish as pub
    from nianbao.package import REMADE, combined_pieces, combined_rows, originals_url

    (root / "data").mkdir(parents=True, exist_ok=True)
    name = f"../{pub.DB_NAME}"
    old = previous if previous is not None and previous.intact(name) else None
    originals = originals_url(site.config)

    def rows(table: str, schema: dict):
        if table in REMADE or old is None:
            return combined_rows(table, site.reports, site.all_reports, originals)
        return (row for _, piece in combined_pieces(table, site.reports, old, originals)
                for row in ([piece] if isinstance(piece, Copied) else piece))

    pub.write_database(root / "data" / pub.DB_NAME, site.config, rows=rows,
                       previous=old.folder / name if old else None)


def _bulk_files(site: Site, root: Path) -> None:
    """Once the combined package and the database are written: the bulk data zip of them
    both (its tables written by _combined; the database added here), listed with the
    combined package, with checksums."""
    from nianbao import publish as pub

    data = root / "data"
    pub.write_data_zip(data / pub.DATA_ZIP_NAME, data, part="database")
    pub.list_bulk_files(site, data)
    _checksums(root, site.combined)


def _checksums(root: Path, package: PackageInfo | None) -> None:
    """The catalogue lists each file's SHA-256: for the combined package (written to disk as
    it streams, so hashed after), taken here in the task that just wrote its files (from the
    page cache), not by the catalogue afterwards. Files that have theirs keep them."""
    for f in package.files if package else ():
        f.sha256 = f.sha256 or sha256(root / package.path / f.name)


def _combined_workbook(site: Site, root: Path) -> PackageInfo:
    """The combined package's workbook (and its zip, rewritten with it), as publish() makes it."""
    from nianbao import publish as pub

    if site.combined is not None:
        pub._package_workbook(root, site.combined, pub.COMBINED_XLSX, "all/",
                              pub.page_url(pub.base_url(site.config), "data"),
                              pub.workbook_max_rows(site.config))
    return site.combined


def publish_site(site: Site, root: Path) -> None:
    """The rest of publish.publish(), after the units (which made each package's workbook)
    and _combined, _database and _bulk_files (the combined package, database and data zip):
    the catalogue, robots and feed; the sitemap follows render. (tests/test_scale.py checks
    the result is byte for byte publish()'s.)"""
    from nianbao import publish as pub

    base = pub.base_url(site.config)
    pub.write_catalog(root, pub.catalog(site, root, base))
    (root / "robots.txt").write_text(pub.robots(base), encoding="utf-8")
    (root / "feed.xml").write_bytes(pub.feed(site, base))


def move_files(site: Site, staging: Path, files_root: Path) -> None:
    """Files-host mode: data/ (every package, original report, workbook, the database and the
    zips; all but the /data/ page itself) moves to files_root/data/, and the feed's download
    links are rebased onto files_base_url (the catalogue is written with them). Pages and
    search stay in staging."""
    from nianbao import publish

    base = publish.base_url(site.config)
    files_base = site.config["files_base_url"]
    (files_root / "data").mkdir(parents=True)
    for entry in sorted((staging / "data").iterdir()):
        if entry.name != "index.html":
            entry.rename(files_root / "data" / entry.name)
    old, new = base + "data/", files_base + "data/"
    feed = staging / "feed.xml"
    if feed.exists():
        text = feed.read_text(encoding="utf-8")
        for rel in ("enclosure", "describedby"):
            text = _rebase_links(text, rel, old, new)
        feed.write_text(text, encoding="utf-8")


def _rebase_links(text: str, rel: str, old: str, new: str) -> str:
    import re
    from xml.sax.saxutils import quoteattr

    old_attr, new_attr = quoteattr(old)[1:-1], quoteattr(new)[1:-1]
    pattern = re.compile(f'(<link rel="{rel}"[^>]*? href="){re.escape(old_attr)}')
    return pattern.sub(lambda m: m.group(1) + new_attr, text)


def extract_all(sources: list[SourceFile], *, jobs: int | None = None,
                cache: ExtractCache | None = None, executor: str = "local",
                scheduler: str | None = None, keys: list[str | None] | None = None
                ) -> list[Report]:
    """read → parse → resolve → check for every file: cached ones from the cache, the rest
    on the executor (processes on this machine, or Dask), and into the cache. keys: the
    sources' cache keys, when the caller has them."""
    from nianbao.executors import extract_many

    cache = cache or ExtractCache(None)
    looked_up = [cache.get(s, k) for s, k in zip(sources, keys or [None] * len(sources))]
    todo = [(s, k) for s, (k, hit) in zip(sources, looked_up) if hit is None]
    done = iter(extract_many([s for s, _ in todo], executor=executor, jobs=jobs,
                             scheduler=scheduler, cache=cache, keys=[k for _, k in todo]))
    reports = []
    for source, (_, hit) in zip(sources, looked_up):
        if hit is None:
            hit = next(done)
            hit.source = source
        reports.append(_compact(hit))
    return reports


def _compact(report: Report) -> Report:
    """Share the field-ID keys (and short values such as "ok") among all reports: a report
    that came through pickle has its own copy of every one of its ~300 keys, and a corpus is
    held in memory whole. Less than half the memory, the same report."""
    intern = sys.intern
    for attr in ("values", "checks", "lines", "annotations"):
        d = getattr(report, attr)
        setattr(report, attr, {intern(k): intern(v) if type(v) is str and len(v) < 32 else v
                               for k, v in d.items()})
    for p in report.problems:
        p.code, p.severity, p.kind = intern(p.code), intern(p.severity), intern(p.kind)
    return report


def _load_reports(content: Path, cache: ExtractCache, config: dict):
    reports = extract_all(discover(content / "reports"), cache=cache)
    settle_identities(reports)
    return reports, collect(reports, config)


# Files that contend for one agency-year or one id: none of them publishes, so a page that
# was live goes. The command line fails on them (the deploy keeps the live site).
CONFLICTS = ("duplicate-report", "id-collision")
SETTLED = ("same-file",)  # problems a report gets from the others, not from its own file


def settle_identities(reports: list[Report]) -> None:
    """Two files for one agency-year, or two agencies on one id: an error on each, no winner.
    Then one file published twice: a warning on each."""
    by_key: dict[tuple, list[Report]] = defaultdict(list)
    by_id: dict[str, set[str]] = defaultdict(set)
    with_id: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        if r.agency_id is not None:
            with_id[r.agency_id].append(r)
        if r.publishable:
            by_key[(r.agency_id, r.year)].append(r)
            by_id[r.agency_id].add(r.agency)
    for (agency_id, year), group in by_key.items():
        if len(group) > 1 and len({r.agency for r in group}) == 1:  # else: an id collision
            names = "、".join(r.source.rel for r in group)
            for r in group:
                r.add(Problem("duplicate-report", "error",
                              f"{agency_id} {year} 年有多个报告文件：{names}；均未发布。"
                              "同一份报告请只保留一个文件；不同机关请在元数据文件中用 id 区分",
                              r.source.rel))
                r.agency_id = None
    for agency_id, names in by_id.items():
        if len(names) > 1:
            for r in with_id[agency_id]:  # not all reports for each id: 9 s at 100,000
                if r.agency_id == agency_id:
                    r.add(Problem("id-collision", "error",
                                  f"不同机关（{'、'.join(sorted(names))}）得到同一个 ID“{agency_id}”；"
                                  "请在元数据文件中用 id 指定", r.source.rel))
                    r.agency_id = None
    same_file(reports)


def same_file(reports: list[Report]) -> None:
    """One file's bytes published as two agency-years: a copy whose sidecar names another
    agency or year, most likely. Both still publish (agencies that share an office may
    publish one report); each says where the other is."""
    by_hash: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        if r.publishable and r.sha256:
            by_hash[r.sha256].append(r)
    for group in by_hash.values():
        if len(group) < 2:
            continue
        for r in group:
            others = "、".join(f"{o.source.rel}（{o.agency} {o.year} 年度）" for o in group if o is not r)
            r.add(Problem("same-file", "warning",
                          f"与 {others} 的文件内容完全相同（SHA-256 一致），却作为 {r.agency} {r.year} "
                          "年度发布；请核对是否放错了文件或元数据", r.source.rel))


def collect(reports: list[Report], config: dict) -> Site:
    published = sorted((r for r in reports if r.publishable), key=lambda r: (r.agency_id, r.year))
    with_problems = [r for r in reports if r.problems]
    agencies = {r.agency_id for r in published}
    withheld: dict[str, list[Report]] = defaultdict(list)
    for r in sorted((r for r in reports if not r.publishable and r.agency_id in agencies and r.year),
                    key=lambda r: (r.year, r.source.rel)):
        withheld[r.agency_id].append(r)
    return Site(published, with_problems, reports, {}, None, config, dict(withheld))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def swap(staging: Path, output: Path, discard=remove_tree) -> None:
    """Replace output with staging; the old tree is removed afterwards. Where the system can
    exchange two paths in one step, output never goes missing (serve answered 404 between
    two renames); elsewhere, two renames."""
    os.chmod(staging, 0o755)
    if output.exists() and _exchange(staging, output):
        discard(staging)  # the old tree, now
        return
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(old)
    staging.rename(output)
    if old is not None:
        discard(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically: Linux's renameat2(RENAME_EXCHANGE), which Python's os does
    not offer. False where it is missing or refused (another system, an old kernel or C
    library, a file system without it): nothing was moved then."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


# ---------------------------------------------------------------- fingerprints and state


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _tree_digest(folder: Path) -> str:
    """Names and bytes of every file below folder ("" when there is none)."""
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogatepass") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _library_versions() -> str:
    from importlib import metadata

    out = []
    for name in ("jinja2", "markdown-it-py", "frictionless", "markupsafe"):
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=")
    return ";".join(out)


def _site_fingerprint(config: dict) -> str:
    """Everything every unit is built from but its own reports: nianbao's code and data,
    the templates and assets, the schemas, the configuration, the libraries that write the
    files, and the date files carry (SOURCE_DATE_EPOCH)."""
    return _hash(f"state {STATE_VERSION}", code_hash(), _tree_digest(ROOT / "site_src"),
                 _tree_digest(ROOT / "schemas"),
                 json.dumps(config, sort_keys=True, ensure_ascii=False, default=str),
                 os.environ.get("SOURCE_DATE_EPOCH", ""), _library_versions(),
                 sys.version.split()[0])


def _walk(root: Path, skip: set[str] = frozenset()) -> dict[str, int]:
    """Every file below root (but the state, the search index and the folders in skip):
    path → size."""
    out: dict[str, int] = {}
    if root.is_dir():
        _sizes_below(root, "", out, {"pagefind", ".nianbao", *skip})
    return dict(sorted(out.items()))


def _write_state(root: Path, state: dict) -> None:
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    # Level 1: 44 MB of JSON at 10,000 reports in 0.19 s (8.0 MB) where level 6 took
    # 0.47 s (6.2 MB); the state stays on this disk, it is not published.
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))


def _read_state(output: Path) -> dict | None:
    try:
        state = json.loads(gzip.decompress((output / STATE_FILE).read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else None


# The stamp: the last build into an output, kept in the cache folder (it may hold times and
# paths, unlike the state in the output). A build is a no-op when the configuration, code,
# templates and pages are the same, every file under content/reports has the same size,
# times and inode (as git checks its index), and the output folder, its state and search
# index are the very ones that build left (same inode and times). Like make, the no-op
# trusts that nobody edited the output by hand since: `build --full` rebuilds everything.


def _stamp_path(cache_dir: Path, output: Path) -> Path:
    name = hashlib.sha256(str(output.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return cache_dir / "builds" / f"{name}.json"


def _snapshot(folder: Path) -> dict[str, list[int] | None] | None:
    """Every file below folder: size, times, inode (a file's own when it is a symlink's
    target; None when it cannot be stat'ed, a broken symlink say, so its appearing is seen).
    Folders as discover walks them: symlinked ones not followed. None when a folder cannot
    be listed: then nothing is known, and nothing of the last build is trusted."""
    out: dict[str, list[int] | None] = {}

    def visit(path: str, prefix: str) -> None:
        with os.scandir(path) as it:
            for entry in it:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path, rel + "/")
                    continue
                try:
                    st = entry.stat(follow_symlinks=True)
                except OSError:
                    out[rel] = None
                else:
                    out[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    if not folder.is_dir():
        return {}  # no reports folder (yet): nothing to know
    try:
        visit(str(folder), "")
    except OSError:
        return None
    return dict(sorted(out.items()))


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size]


def _output_stats(output: Path, files_output: Path | None, limit: int | None) -> dict:
    return {"output": _stat(output), "state": _stat(output / STATE_FILE),
            "index": _stat(output / "pagefind" / "nianbao-bundles.json") if limit else None,
            "pagefind": _stat(output / "pagefind"),
            "files": _stat(files_output / "data") if files_output else None}


def _write_json(path: Path, data: dict | list) -> None:
    """Whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    os.replace(tmp, path)


def _listing_path(stamp_path: Path) -> Path:
    return stamp_path.with_suffix(".problems.json")


_PROBLEM_FIELDS = [f.name for f in fields(Problem)]


def _write_listing(path: Path, listing: list[tuple[str, list[Problem]]]) -> None:
    """problem_listing's, for the next no-op: written before the stamp, so a stamp never
    stands beside an older listing."""
    rows = [[rel, [[getattr(p, name) for name in _PROBLEM_FIELDS] for p in problems]]
            for rel, problems in listing]
    _write_json(path, rows)


def _read_listing(path: Path) -> list[tuple[str, list[Problem]]] | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [(rel, [Problem(*values) for values in problems]) for rel, problems in rows]
    except (OSError, ValueError, TypeError):
        return None


def _read_stamp(path: Path) -> dict | None:
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _still_current(stamp: dict | None, site_fp: str, pages_fp: str, snapshot: dict, output: Path,
                   files_output: Path | None, limit: int | None) -> dict | None:
    """The stamp when nothing changed since the build that left it, else None."""
    same = (stamp is not None and snapshot is not None and stamp.get("readable") is True
            and stamp.get("site") == site_fp and stamp.get("pages") == pages_fp
            and stamp.get("limit") == limit
            and stamp.get("files_output") == (str(files_output.resolve()) if files_output else None)
            and stamp.get("snapshot") == snapshot)
    if not same:
        return None
    now = _output_stats(output, files_output, limit)
    if any(stamp.get(k) != v for k, v in now.items()) or now["output"] is None:
        return None
    return stamp


def _keys(sources: list[SourceFile], snapshot: dict | None, stamp: dict | None
          ) -> tuple[list[str | None], int]:
    """Each report's extraction key (cache.key): the last build's, when the report and its
    sidecar have the size, times and inode they had at that build's snapshot; else hashed
    now. Hashing reads every report, ~11 s at 100,000 reports when they are not in the page
    cache. Like git's racily clean index entries, a file touched less than RACY_NS before
    that snapshot is hashed again: a second write within the file system's timestamp
    granularity could have left its times as they were. Also returns how many were hashed."""
    stamp = stamp or {}
    known, before = stamp.get("keys"), stamp.get("snapshot")
    if (snapshot is None or stamp.get("code") != code_hash() or not isinstance(known, dict)
            or not isinstance(before, dict) or not isinstance(stamp.get("taken"), int)):
        return [extraction_key(s) for s in sources], len(sources)
    settled = stamp["taken"] - RACY_NS

    def unchanged(rel: str) -> bool:
        now = snapshot.get(rel)
        return now is not None and now == before.get(rel) and max(now[1], now[2]) < settled

    keys, hashed = [], 0
    for s in sources:
        side = _sidecar_rel(s)
        old = known.get(s.rel)
        if (isinstance(old, list) and len(old) == 2 and isinstance(old[0], str)
                and old[1] == side and unchanged(s.rel)
                and (side is None or unchanged(side))):
            keys.append(old[0])
        else:
            keys.append(extraction_key(s))
            hashed += 1
    return keys, hashed


def _sidecar_rel(source: SourceFile) -> str | None:
    """The sidecar's path as the snapshot names it (below content/reports, like source.rel)."""
    if source.sidecar_path is None:
        return None
    folder = source.rel.rpartition("/")[0]
    return f"{folder}/{source.sidecar_path.name}" if folder else source.sidecar_path.name


def _on_files_host(rel: str, files_output: Path | None) -> bool:
    """Whether rel lies below files_output rather than the output: data/ in files-host mode
    (move_files)."""
    return files_output is not None and rel.startswith("data/")


def _unit_dirs(agency: str) -> tuple[str, str]:
    """Every file of a unit lies in these two folders: its pages and its packages."""
    return agency, f"data/{agency}"


def _files_by_unit(old: dict | None) -> dict[str, dict[str, int]]:
    """The previous output's files (path → size) by the folder they lie in: <top>/… by
    <top>, data/<folder>/… by data/<folder> (a unit's two folders, _unit_dirs, and the
    aggregates' folders)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for sizes in ((old or {}).get("files") or {}, (old or {}).get("data_files") or {}):
        for rel, size in sizes.items():
            top, _, rest = rel.partition("/")
            if top == "data" and "/" in rest:
                top = "data/" + rest.partition("/")[0]
            out[top][rel] = size
    return out


def _unit_intact(agency: str, left: dict[str, dict[str, int]], output: Path,
                 files_output: Path | None) -> dict[str, int] | None:
    """The unit's files (path → size) when its two folders in the previous output (data/
    in the files folder in files-host mode) hold exactly the files that build left there
    (left: _files_by_unit), at their sizes; else None."""
    want: dict[str, int] = {}
    found: dict[str, int] = {}
    for folder in _unit_dirs(agency):
        if not left.get(folder):
            return None
        want.update(left[folder])
        root = files_output if _on_files_host(folder, files_output) else output
        try:
            _sizes_below(root / folder, folder + "/", found)
        except OSError:
            return None
    return want if found == want else None


def _sizes_below(folder: Path | str, prefix: str, out: dict[str, int],
                 skip: set[str] = frozenset()) -> None:
    """Every file below folder into out (path: prefix + its path below folder → size), but
    the folders whose prefixed path is in skip."""
    with os.scandir(folder) as it:
        for entry in it:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if rel not in skip:
                    _sizes_below(entry.path, rel + "/", out, skip)
            else:
                out[rel] = entry.stat(follow_symlinks=False).st_size


def _merged(walked: dict[str, int], reused: dict[str, dict[str, int]], keep) -> dict[str, int]:
    """A staging folder's files, with those of the reused units' files that will move into
    it (keep(path) says which)."""
    out = dict(walked)
    for sizes in reused.values():
        out.update((rel, size) for rel, size in sizes.items() if keep(rel))
    return dict(sorted(out.items()))


def _unit_moves(reused: set[str], output: Path, files_output: Path | None,
                staging: Path, files_staging: Path | None) -> list[tuple[Path, Path]]:
    """The reused units' folders: (in the previous output, in the new one)."""
    moves = []
    for agency in reused:
        for folder in _unit_dirs(agency):
            in_files = _on_files_host(folder, files_output)
            moves.append(((files_output if in_files else output) / folder,
                          (files_staging if in_files else staging) / folder))
    return moves


def swap_in(moves: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """Move folders from the previous output into the new one, just before the swap: a
    rename a folder instead of a hard link a file and a tree to delete afterwards (at
    10,000 reports, ~130,000 files). Returns the moves, for undoing them; undoes them
    itself when one fails."""
    moved: list[tuple[Path, Path]] = []
    try:
        for src, dst in moves:
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
            moved.append((src, dst))
    except BaseException:
        put_back(moved)
        raise
    return moved


def put_back(moved: list[tuple[Path, Path]]) -> None:
    """Undo swap_in's moves, the last first (one already undone is left alone)."""
    for src, dst in reversed(moved):
        if dst.exists() and not src.exists():
            dst.rename(src)


class _Texts:
    """The state's table of repeated texts (file titles, keywords): each package's files
    name theirs by number, where writing them out every time was 60% of a national build's
    state. Numbered in the order first met, so the same site gives the same table."""

    def __init__(self):
        self.numbers: dict[str, int] = {}
        self.table: list[str] = []

    def __call__(self, text: str) -> int:
        n = self.numbers.get(text)
        if n is None:
            n = self.numbers[text] = len(self.table)
            self.table.append(text)
        return n


def _package_dict(package: PackageInfo, texts: _Texts) -> dict:
    """A package for the state: each file as [name, bytes, rows, title, resource, sha256],
    its title and the package's keywords numbered in texts."""
    return {**vars(package), "keywords": [texts(k) for k in package.keywords],
            "files": [[f.name, f.bytes, f.rows, texts(f.title), f.resource, f.sha256]
                      for f in package.files]}


def _package_info(data: dict, texts: list[str]) -> PackageInfo:
    """_package_dict's package back, with texts the state's table."""
    return PackageInfo(data["path"],
                       [FileInfo(name, size, rows, texts[title], resource, sha)
                        for name, size, rows, title, resource, sha in data["files"]],
                       data.get("zip_name"), data.get("invalid", []), data.get("title", ""),
                       data.get("description", ""), [texts[k] for k in data.get("keywords", [])])


class _Clock:
    """Seconds per phase, and the process's peak RSS (MiB) at the end of each phase."""

    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict = {"rss": {}}

    def lap(self, name: str) -> None:
        import resource

        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.last
        self.laps["rss"][name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.last = now
