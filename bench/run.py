"""Benchmark: generate N synthetic reports and time each stage. Prints figures; asserts nothing.

    python bench/run.py --reports 1000 [--keep DIR] [--no-site]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import write_corpus  # noqa: E402
from nianbao import readers  # noqa: E402
from nianbao.discover import discover  # noqa: E402
from nianbao.extract import extract  # noqa: E402
from nianbao.package import package_combined, package_report  # noqa: E402
from nianbao.pipeline import collect, load_config, settle_identities  # noqa: E402


def timed(label: str, n: int, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rate = f"{n / seconds:9.0f} reports/s" if seconds else ""
    print(f"  {label:<28} {seconds:8.2f} s  {rate}")
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the corpus and output here and keep them")
    parser.add_argument("--no-site", action="store_true", help="skip render and search index")
    parser.add_argument("--validate", type=int, default=20,
                        help="validate this many packages with frictionless (slow; 0 = none)")
    parser.add_argument("--vs-hugo", action="store_true",
                        help="also build the same pages with Hugo (Debian package hugo) and compare")
    parser.add_argument("--jobs", type=int, default=None, help="extraction processes")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    content, output = work / "content", work / "output"
    shutil.copyfile(ROOT / "content" / "site.yaml", (content.mkdir(parents=True, exist_ok=True)
                                                     or content) / "site.yaml")
    n = args.reports
    print(f"nianbao benchmark: {n} synthetic reports (seed {args.seed}) in {work}")
    timed("generate corpus", n, lambda: write_corpus(content, n, args.seed))
    sources, _ = timed("discover", n, lambda: discover(content / "reports"))
    timed("read (text reader)", n, lambda: [readers.read(s.path) for s in sources])
    reports, t_extract = timed("extract (read→check)", n, lambda: [extract(s) for s in sources])
    settle_identities(reports)
    site = collect(reports, load_config(content))
    staging = work / "staging"
    staging.mkdir(exist_ok=True)

    def package_all():
        for r in site.reports:
            site.packages[(r.agency_id, r.year)] = package_report(r, staging, site.config)
        site.combined = package_combined(site.reports, site.all_reports, staging, site.config)

    _, t_package = timed("package (CSV + JSON + zip)", len(site.reports), package_all)
    if args.validate:
        from frictionless import Package

        paths = sorted((staging / "data").rglob("datapackage.json"))[: args.validate]
        _, t_val = timed(f"frictionless validate x{len(paths)}", len(paths),
                         lambda: [Package(str(p)).validate() for p in paths])
    if not args.no_site:
        from nianbao import index, render

        timed("render", len(site.reports), lambda: render.render(site, staging, content))
        timed("search index (pagefind)", len(site.reports), lambda: index.index(staging))
    shutil.rmtree(staging)
    from nianbao.pipeline import build

    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    _, t_build = timed("whole build, cold", n, lambda: build(
        content, output, search=not args.no_site, jobs=args.jobs, cache_dir=cache))
    _, t_warm = timed("whole build, warm (no-op)", n, lambda: build(
        content, output, search=not args.no_site, jobs=args.jobs, cache_dir=cache))
    if not args.no_site:
        _, t_nosearch = timed("whole build, cold, no search", n, lambda: build(
            content, work / "output-nosearch", search=False, jobs=args.jobs,
            cache_dir=work / "cache-nosearch"))
    if args.vs_hugo:
        from bench.hugo import hugo_build

        t_hugo = hugo_build(site.reports, work / "hugo")
        print(f"  {'hugo, same pages':<28} {t_hugo:8.2f} s")
        ours = t_nosearch if not args.no_site else t_build
        print(f"  ratio cold build (no search) / hugo: {ours / t_hugo:.2f}x")
    errors = sum(bool(r.errors) for r in reports)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out_bytes = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    print(f"  published {len(site.reports)}/{n}; reports with errors {errors} "
          f"(synthetic broken rules ≈10%)")
    print(f"  extract throughput  {n / t_extract:8.0f} reports/s")
    print(f"  package throughput  {len(site.reports) / t_package:8.0f} packages/s")
    print(f"  whole build         {t_build:8.2f} s cold, {t_warm:.2f} s warm")
    print(f"  peak RSS            {rss:8.0f} MiB (this process)")
    print(f"  output              {out_bytes / 1e6:8.1f} MB, {out_bytes / max(n, 1) / 1e3:.1f} kB/report")
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
