"""Benchmark: generate N synthetic reports, time each stage and the whole build. Prints
figures; asserts nothing.

    python bench/run.py --reports 1000 [--vs-hugo] [--keep DIR] [--no-site] [--jobs N]
                        [--docx 0.02 --pdf 0.005]

The corpus is text reports (both templates, both text layouts) unless --docx/--pdf ask for
a share of Word documents and PDFs (made from them by LibreOffice).

1. Stages, one at a time in this process on a sample of the corpus (--stages, default 500
   reports): read, parse+check, package (CSVs, datapackage.json, workbook, zip), render of
   the agency pages, frictionless validation of --validate packages.
2. Whole builds, each in its own process (so peak RSS is the build's own): cold (no cache,
   no previous output), warm no-op, one report changed, and cold without the search index;
   each with the build's own per-phase times. Then Pagefind alone over the same output,
   and with --vs-hugo the same agency-year pages built by Hugo.
3. Output bytes per report (pages, packages, original files, bulk downloads, search index)
   and the corpus size at which GitHub Pages' 1 GB limit is reached.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES_LIMIT = 1_000_000_000  # GitHub Pages: a published site may be no larger than 1 GB


def timed(label: str, n: int, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rate = f"{n / seconds:9.0f} reports/s" if seconds else ""
    print(f"  {label:<34} {seconds:8.2f} s  {rate}", flush=True)
    return result, seconds


# ---------------------------------------------------------------- one build, in a subprocess


def build_once(spec: dict) -> dict:
    """Runs in a child process: one build, its phases, wall time and peak RSS."""
    from nianbao.pipeline import build

    start = time.perf_counter()
    result = build(Path(spec["content"]), Path(spec["output"]), search=spec["search"],
                   jobs=spec.get("jobs"), cache_dir=Path(spec["cache"]) if spec.get("cache") else None)
    seconds = time.perf_counter() - start
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "stats": result.stats, "rss_mib": self_rss,
            "children_rss_mib": children_rss, "summary": result.summary()}


def disk_probe(folder: Path, files: int = 200) -> float:
    """Microseconds to create a small file in folder, now. On a virtual disk this moves
    tenfold with what was written or deleted in the last minute or so, and a build
    creates ~14 files a report: printed beside each timing, it says how loaded the disk
    was when that timing was taken."""
    probe = Path(tempfile.mkdtemp(prefix=".disk-probe-", dir=folder))
    data = b"x" * 2048
    try:
        start = time.perf_counter()
        for i in range(files):
            with open(probe / f"{i}.txt", "wb") as fh:
                fh.write(data)
        return (time.perf_counter() - start) / files * 1e6
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def run_build(label: str, n: int, **spec) -> dict:
    spec = {k: str(v) if isinstance(v, Path) else v for k, v in spec.items()}
    disk = disk_probe(Path(spec["output"]).parent)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_build", json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed:\n{proc.stdout}\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    rate = f"{n / out['seconds']:9.0f} reports/s" if out["seconds"] else ""
    print(f"  {label:<34} {out['seconds']:8.2f} s  {rate}   peak RSS {out['rss_mib']:.0f} MiB "
          f"(workers/pagefind {out['children_rss_mib']:.0f} MiB); disk {disk:.0f} µs/file "
          "before", flush=True)
    phases = {k: v for k, v in out["stats"].items() if isinstance(v, float) and v >= 0.005}
    rss = out["stats"].get("rss", {})
    print("      peak RSS after phase (MiB): " + ", ".join(f"{k} {v}" for k, v in rss.items()))
    print("      " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
          + "".join(f"; {k} {out['stats'][k]}" for k in ("reports_hashed", "units_built", "units_reused", "noop")
                    if k in out["stats"]), flush=True)
    return out


def cli_noop(content: Path, output: Path, cache: Path, search: bool) -> float:
    """What a maintainer waits for when `python build.py` finds nothing changed: the whole
    process (start-up, imports, the check, the problem listing, exit), not build() alone."""
    args = [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--output",
            str(output), "--cache", str(cache), *([] if search else ["--no-search"])]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    # 1: the build completed, but files contend for an agency-year or an id (the synthetic
    # corpus has two agencies whose ids collide): the exit status the Pages workflow stops on
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and "files claim" not in proc.stderr):
        raise SystemExit(f"python build.py (no-op) failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


# ---------------------------------------------------------------- output sizes


def classify(rel: str, originals: set[str]) -> str:
    if rel.startswith("pagefind/"):
        return "search index"
    if rel.startswith(".nianbao/"):
        return "build state"
    if rel.startswith("data/") and rel != "data/index.html":
        if rel in originals:
            return "original files"
        parts = rel.split("/")
        if len(parts) == 4 and parts[1] != "all":
            return "packages"
        return "bulk downloads"
    return "pages"


def sizes(output: Path, reports) -> dict[str, int]:
    from nianbao.package import original_name

    originals = {f"data/{r.agency_id}/{r.year}/{original_name(r)}" for r in reports}
    out: dict[str, int] = {}
    for path in output.rglob("*"):
        if path.is_file():
            kind = classify(path.relative_to(output).as_posix(), originals)
            out[kind] = out.get(kind, 0) + path.stat().st_size
    return out


def print_sizes(by_kind: dict[str, int], n: int) -> None:
    total = sum(by_kind.values())
    print(f"  output bytes per report (total {total / 1e6:.1f} MB for {n} reports):")
    for kind in ("pages", "packages", "original files", "bulk downloads", "search index",
                 "build state"):
        b = by_kind.get(kind, 0)
        print(f"    {kind:<16} {b / n / 1e3:8.1f} kB/report  {b / 1e6:9.1f} MB")
    per = total / n
    print(f"    {'all':<16} {per / 1e3:8.1f} kB/report")
    # The build state (.nianbao/) stays behind: upload-pages-artifact@v4 leaves out hidden files.
    published = (total - by_kind.get("build state", 0)) / n
    print(f"  GitHub Pages' 1 GB is reached at about {PAGES_LIMIT / published:,.0f} reports "
          f"(everything on Pages)")
    site_only = by_kind.get("pages", 0) + by_kind.get("search index", 0)
    print(f"  with files_base_url (data/ on another host, pages and search on Pages): "
          f"{site_only / n / 1e3:.1f} kB/report on Pages → about {PAGES_LIMIT / (site_only / n):,.0f} reports")


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the corpus and output here and keep them")
    parser.add_argument("--no-site", action="store_true", help="builds without the search index")
    parser.add_argument("--stages", type=int, default=500,
                        help="reports to time the single stages on (0 = skip)")
    parser.add_argument("--validate", type=int, default=20,
                        help="validate this many packages with frictionless (slow; 0 = none)")
    parser.add_argument("--vs-hugo", action="store_true",
                        help="also build the same pages with Hugo (Debian package hugo) and compare")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--docx", type=float, default=0.0,
                        help="share of reports written as Word documents (e.g. 0.02)")
    parser.add_argument("--pdf", type=float, default=0.0,
                        help="share of reports written as PDFs (needs LibreOffice; e.g. 0.005)")
    parser.add_argument("--agencies", choices=("yearly", "scattered"), default="yearly",
                        help="yearly: each agency reports most years, as real ones do (default); "
                             "scattered: nearly every report its own agency (the corpus before "
                             "2026-11-24)")
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        print(json.dumps(build_once(json.loads(args._build))))
        return 0

    from bench.synth import write_corpus

    work = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    content = work / "content"
    (content).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "content" / "site.yaml", content / "site.yaml")
    n = args.reports
    print(f"nianbao benchmark: {n} synthetic reports (seed {args.seed}, {args.agencies} "
          f"agencies), {os.cpu_count()} cores, in {work}", flush=True)
    if not (content / "reports").is_dir():
        timed("generate corpus", n, lambda: write_corpus(content, n, args.seed, docx=args.docx,
                                                         pdf=args.pdf, agencies=args.agencies))
    if args.stages:
        stage_timings(content, work, min(args.stages, n), args.validate)

    search = not args.no_site
    cache, output = work / "cache", work / "output"
    for folder in (cache, output, work / "cache-nosearch", work / "output-nosearch"):
        shutil.rmtree(folder, ignore_errors=True)
    print("whole builds (each in its own process):", flush=True)
    common = {"content": content, "jobs": args.jobs}
    cold = run_build("cold" + ("" if search else ", no search"), n, output=output, cache=cache,
                     search=search, **common)
    warm = run_build("warm, no-op", n, output=output, cache=cache, search=search, **common)
    cli = cli_noop(content, output, cache, search)
    print(f"  {'no-op, python build.py (whole run)':<34} {cli:8.2f} s", flush=True)
    fast_path(content, output, cache, search)
    changed = sorted((content / "reports").rglob("*.txt"))[n // 2]
    original = changed.read_text(encoding="utf-8")
    a, b = "一是公开内容还不够全面", "一是公开内容仍不够全面"  # either way: a real edit
    edited = original.replace(a, b) if a in original else original.replace(b, a)
    if edited == original:
        raise SystemExit(f"{changed}: nothing to edit for the one-report build")
    try:
        changed.write_text(edited, encoding="utf-8")
        one = run_build("one report changed", n, output=output, cache=cache, search=search,
                        **common)
    finally:
        changed.write_text(original, encoding="utf-8")
    if search:
        nosearch = run_build("cold, no search", n, output=work / "output-nosearch",
                             cache=work / "cache-nosearch", search=False, **common)
        disk = disk_probe(work)
        t_pagefind = pagefind_alone(output)
        print(f"  {'pagefind alone, same output':<34} {t_pagefind:8.2f} s; disk {disk:.0f} "
              "µs/file before", flush=True)
        print(f"  ratio cold build with search / pagefind alone: {cold['seconds'] / t_pagefind:.2f}x")
    else:
        nosearch = cold
    if args.vs_hugo:
        from bench.hugo import hugo_build
        from nianbao.cache import ExtractCache
        from nianbao.discover import discover
        from nianbao.pipeline import collect, extract_all, load_config, settle_identities

        reports = extract_all(discover(content / "reports"), cache=ExtractCache(cache))
        settle_identities(reports)
        site = collect(reports, load_config(content))
        disk = disk_probe(work)
        t_hugo = hugo_build(site.reports, work / "hugo")
        print(f"  {'hugo, same agency-year pages':<34} {t_hugo:8.2f} s; disk {disk:.0f} µs/file "
              "before")
        print(f"  ratio cold build (no search) / hugo: {nosearch['seconds'] / t_hugo:.2f}x")
    peak = max(b[k] for b in (cold, warm, one, nosearch) for k in ("rss_mib",))
    workers = nosearch["children_rss_mib"]
    print(f"  peak RSS, build process: {peak:.0f} MiB; largest worker (no-search build): "
          f"{workers:.0f} MiB")
    print(f"  whole build: {cold['seconds']:.2f} s cold, {warm['seconds']:.2f} s no-op "
          f"({cli:.2f} s for the command), {one['seconds']:.2f} s one report changed")

    from nianbao.cache import ExtractCache
    from nianbao.discover import discover
    from nianbao.pipeline import collect, extract_all, load_config, settle_identities

    reports = extract_all(discover(content / "reports"), cache=ExtractCache(cache))
    settle_identities(reports)
    published = collect(reports, load_config(content)).reports
    print_sizes(sizes(output, published), n)
    if not args.keep:
        shutil.rmtree(work)
    return 0


def fast_path(content: Path, output: Path, cache: Path, search: bool) -> None:
    """serve's fast path after an edit: the no-op build serve starts from, its reports
    loaded (serve does this once, in the background), then one report edited three times
    and its agency's pages rewritten (pipeline.update_pages). Serve reloads the browser
    right after; the incremental build follows (the "one report changed" figure)."""
    from nianbao import render
    from nianbao.pipeline import build, update_pages

    start = time.perf_counter()
    result = build(content, output, search=search, cache_dir=cache)
    result.site  # noqa: B018
    print(f"  {'serve: load the site (once)':<34} {time.perf_counter() - start:8.2f} s", flush=True)
    target = sorted((content / "reports").rglob("*.txt"))[len(result.reports) // 3]
    original = target.read_text(encoding="utf-8")
    env, times = render.environment(), []
    try:
        for i in range(3):
            target.write_text(original.replace("二是", f"二是（第{i}次修改）", 1), encoding="utf-8")
            start = time.perf_counter()
            pages = update_pages(result, content, output, [target], env=env)
            times.append(time.perf_counter() - start)
    finally:
        target.write_text(original, encoding="utf-8")
    print(f"  {'serve: edit → pages rewritten':<34} {min(times) * 1000:8.0f} ms "
          f"(worst {max(times) * 1000:.0f} ms; {len(pages or [])} files)", flush=True)


def pagefind_alone(output: Path) -> float:
    """Pagefind over the finished output, as one would run it by hand (one bundle)."""
    from nianbao import index

    target = Path(tempfile.mkdtemp(prefix="nianbao-pagefind-"))
    try:
        start = time.perf_counter()
        index._run(["--site", str(output), "--output-path", str(target / "pagefind")])
        return time.perf_counter() - start
    finally:
        shutil.rmtree(target, ignore_errors=True)


def stage_timings(content: Path, work: Path, k: int, validate: int) -> None:
    """Each stage alone, serially, on the first k reports."""
    from nianbao import publish, readers, render
    from nianbao.discover import discover
    from nianbao.extract import extract
    from nianbao.package import package_report
    from nianbao.pipeline import collect, load_config, settle_identities

    print(f"single stages, one process, {k} reports:", flush=True)
    n = sum(1 for p in (content / "reports").rglob("*") if p.is_file())
    sources, _ = timed("discover (whole corpus)", n, lambda: discover(content / "reports"))
    sources = sources[:k]
    _, t_read = timed("read (text reader)", k, lambda: [readers.read(s.path) for s in sources])
    reports, t_extract = timed("extract (read→parse→check)", k, lambda: [extract(s) for s in sources])
    print(f"  {'  of which parse+resolve+check':<34} {t_extract - t_read:8.2f} s  "
          f"{k / max(t_extract - t_read, 1e-9):9.0f} reports/s")
    settle_identities(reports)
    site = collect(reports, load_config(content))
    staging = work / "stages"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    base = publish.base_url(site.config)

    def package_all(workbook: bool):
        for r in site.reports:
            if workbook:  # as the build makes them
                pkg = publish.write_report_package(r, staging, site.config,
                                                   publish.page_url(base, r.agency_id, r.year))
            else:
                pkg = package_report(r, staging, site.config)
            site.packages[(r.agency_id, r.year)] = pkg

    m = len(site.reports)
    timed("package (CSV + JSON + zip)", m, lambda: package_all(False))
    timed("package + workbook (xlsx)", m, lambda: package_all(True))
    if validate:
        from frictionless import Package

        paths = sorted((staging / "data").rglob("datapackage.json"))[:validate]
        timed(f"frictionless validate x{len(paths)}", len(paths),
              lambda: [Package(str(p)).validate() for p in paths])
    units: dict[str, list] = {}
    for r in site.reports:
        units.setdefault(r.agency_id, []).append(r)
    years = sorted({r.year for r in site.reports})
    timed("render agency + agency-year pages", m, lambda: render.render_agency_pages(
        site, staging, content, list(units.values()), years))
    shutil.rmtree(staging)


if __name__ == "__main__":
    sys.exit(main())
