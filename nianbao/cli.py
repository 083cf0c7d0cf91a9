"""Command line: `python build.py [build|extract|serve|schemas|validate]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "extract"  # the Pages workflow carries it between runs


# The finished build's result, left for the process's exit to free (see run).
_HELD: list = []


def run() -> NoReturn:
    """build.py's entry point: main(), and then, after a build, out at once. A build holds
    every report and page it made; freeing them object by object on the way out took 13 s
    at 100,000 reports, after the summary was printed, where the operating system takes the
    memory back in one go. (main() itself returns, for callers that go on.)"""
    try:
        code = main()
    except BrokenPipeError:  # `extract ... | head`: the reader had enough; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        os._exit(1)
    if _HELD:  # a build: it waited for all its processes and threads; nothing runs on
        with contextlib.suppress(OSError):  # a closed pipe: as Python's own exit would
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="nianbao: 年报 → 开放数据与网站")
    sub = parser.add_subparsers(dest="command")

    def add_build_args(p):
        p.add_argument("--content", type=Path, default=ROOT / "content", help="content folder")
        p.add_argument("--output", type=Path, default=ROOT / "output", help="output folder")
        p.add_argument("--strict", action="store_true", help="fail when any report has an error")
        p.add_argument("-v", "--verbose", action="store_true",
                       help="list notes too, not only errors and warnings")
        p.add_argument("--no-search", action="store_true", help="skip the Pagefind search index")
        p.add_argument("--jobs", type=int, default=None, help="processes for extraction (default: all cores)")
        p.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                       help="extraction cache folder (default: .cache/extract)")
        p.add_argument("--no-cache", action="store_true", help="re-read every report")
        p.add_argument("--full", action="store_true",
                       help="rebuild every page and package (default: reuse the previous "
                            "output's unchanged agencies)")
        p.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="where reports are read and parsed: local processes, or a Dask cluster")
        p.add_argument("--scheduler", default=None,
                       help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
        p.add_argument("--files-output", type=Path, default=None,
                       help="with files_base_url set: write data/ (packages, original files, bulk "
                            "downloads) here (default: <output>-files)")
        p.add_argument("--search-shard-pages", type=int, default=None,
                       help="split the search index by year past this many pages (default 5000)")

    add_build_args(parser)
    add_build_args(sub.add_parser("build", help="build data packages and the site (default)"))
    p_extract = sub.add_parser("extract", help="print one JSON object per report file")
    p_extract.add_argument("files", nargs="+", type=Path,
                           help="report files (a sidecar beside one is read with it)")
    p_extract.add_argument("--show", action="store_true",
                           help="print for people instead: the paragraphs and table grids read, "
                                "what was made of them, every problem")
    p_serve = sub.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild on changes")
    add_build_args(p_serve)
    p_serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p_serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p_serve.add_argument("--base-path", default="/", help="serve the site under this sub-path")
    sub.add_parser("schemas", help="regenerate schemas/ from the field catalogue")
    p_validate = sub.add_parser("validate", help="validate every data package with frictionless")
    p_validate.add_argument("--output", type=Path, default=ROOT / "output")

    args = parser.parse_args(argv)
    command = args.command or "build"
    if command == "extract":
        return cmd_extract(args.files, show=args.show)
    if command == "schemas":
        from nianbao import schemas

        for path in schemas.write():
            print(path.relative_to(ROOT))
        return 0
    if command == "validate":
        return cmd_validate(args.output)
    if command == "serve":
        from nianbao import serve

        return serve.serve(args.content, args.output, host=args.host, port=args.port,
                           base_path=args.base_path, search=not args.no_search, jobs=args.jobs,
                           cache_dir=None if args.no_cache else args.cache,
                           incremental=not args.full, files_output=args.files_output,
                           shard_pages=args.search_shard_pages)
    return cmd_build(args.content, args.output, strict=args.strict, verbose=args.verbose,
                     search=not args.no_search,
                     jobs=args.jobs, cache_dir=None if args.no_cache else args.cache,
                     incremental=not args.full, executor=args.executor, scheduler=args.scheduler,
                     files_output=args.files_output, shard_pages=args.search_shard_pages)


def cmd_extract(files: list[Path], show: bool = False) -> int:
    from nianbao.discover import SIDECAR_SUFFIXES, source_for
    from nianbao.extract import extract
    from nianbao.jsonout import dumps, report_json

    missing = 0
    for path in files:
        source = source_for(path)
        source.rel = str(path)
        if path.suffix.lower() in SIDECAR_SUFFIXES:
            print(f"{path}: a sidecar (metadata), not a report: name the report it sits beside",
                  file=sys.stderr)
        elif path.is_dir():
            print(f"{path}: a folder: name its report files (e.g. {path}/*.txt)", file=sys.stderr)
        elif not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
        elif show:
            _show(source, extract(source))
            continue
        else:
            print(dumps(report_json(extract(source))), flush=True)
            continue
        missing += 1
    return 2 if missing else 0


def _show(source, report) -> None:
    from nianbao import readers
    from nianbao.show import show

    try:
        doc, error = readers.read(source.path), ""
    except readers.ReadError as exc:
        doc, error = None, exc.message
    for line in show(report, doc, error):
        print(line)
    print(flush=True)


def cmd_build(content: Path, output: Path, *, strict: bool, search: bool, verbose=False,
              jobs=None, cache_dir=None, **options) -> int:
    from nianbao import publish
    from nianbao.executors import ExecutorError
    from nianbao.pipeline import CONFLICTS, BuildError, build, load_config

    if not (content / "reports").is_dir():
        print(f"error: {content / 'reports'} is not a folder", file=sys.stderr)
        return 2
    try:
        result = build(content, output, search=search, jobs=jobs, cache_dir=cache_dir, **options)
    except (BuildError, ExecutorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _HELD[:] = [result]
    listing = result.problems()
    print_listing(listing, verbose=verbose)
    print(result.summary())
    print(f"every problem is in data/all/problems.csv; the data-quality page: "
          f"{output / 'quality' / 'index.html'}")
    print(f"output: {output}")
    if publish.placeholder_address(base := publish.base_url(load_config(content))):
        print(f"note: the site's address is {base}, a placeholder that feeds, the sitemap, "
              "citations and package metadata carry: set base_url in site.yaml (the Pages "
              "workflow sets NIANBAO_BASE_URL)")
    errors = sum(p.severity == "error" for _, problems in listing for p in problems)
    conflicts = sorted(rel for rel, problems in listing if any(p.code in CONFLICTS for p in problems))
    if conflicts:
        print(f"error: {len(conflicts)} files claim an agency-year or an id that another file "
              f"claims ({'、'.join(conflicts[:5])}{' …' if len(conflicts) > 5 else ''}); none of "
              "them is published, so their pages are missing from this output. Remove the extra "
              "file, or set id or year in a sidecar", file=sys.stderr)
        return 1
    if strict and errors:
        print(f"--strict: {errors} error-level problems", file=sys.stderr)
        return 1
    return 0


def print_listing(listing: list, *, verbose: bool, counts: bool = True) -> None:
    """Each file's errors and warnings (and notes, when verbose), then a count of each kind.
    Notes say how a report was read (a table without headers, a completed agency name): a
    national corpus has hundreds of thousands, which buried the errors; the data-quality
    page and problems.csv keep every one."""
    from nianbao.model import SEVERITY_ORDER

    kinds: dict[tuple[str, str], int] = {}
    for rel, problems in listing:
        shown = [p for p in problems if verbose or p.severity != "info"]
        if shown:
            print(rel)
        for p in problems:
            kinds[(p.severity, p.code)] = kinds.get((p.severity, p.code), 0) + 1
        for p in shown:
            print(f"  {p.severity:7} {p.code:20} {where_text(rel, p.where)}  {p.message}",
                  flush=True)
    if not counts:
        return
    if kinds:
        print("problems by kind:")
    for (severity, code), n in sorted(kinds.items(), key=lambda kv: (
            SEVERITY_ORDER.get(kv[0][0], 3), -kv[1], kv[0][1])):
        print(f"  {severity:7} {code:20} {n:>8}")
    if not verbose and any(severity == "info" for severity, _ in kinds):
        print("notes are counted, not listed: --verbose lists them")


_UNITS = {".pdf": "页", ".ofd": "页", ".docx": "段", ".html": "段", ".htm": "段"}


def where_text(rel: str, where: str) -> str:
    """"x.pdf 第 2 页" for "x.pdf:2": a paged or Word file's number is not a line (the site
    says the same with 原始文件第 2 页); a text file keeps "x.txt:60", as editors take it."""
    unit = _UNITS.get(Path(rel).suffix.lower())
    if unit and where.startswith(rel + ":"):
        number, _, section = where[len(rel) + 1:].partition(" ")
        if number.isdigit():
            return f"{rel} 第 {number} {unit}" + (f" {section}" if section else "")
    return where


def cmd_validate(output: Path) -> int:
    from frictionless import Package

    failed = 0
    packages = sorted((output / "data").rglob("datapackage.json"))
    if not packages:
        print(f"error: no data packages under {output / 'data'}: build the site first",
              file=sys.stderr)
        return 2
    for path in packages:
        report = Package(str(path)).validate()
        if not report.valid:
            failed += 1
            print(f"INVALID {path}")
            for err in report.flatten(["type", "message"])[:10]:
                print("   ", *err)
    print(f"{len(packages) - failed}/{len(packages)} packages valid")
    return 1 if failed else 0
