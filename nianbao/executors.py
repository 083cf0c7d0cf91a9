"""Where the per-report work runs: in this process, across local processes, or on Dask.

- Extraction (read → parse → resolve → check), the stage that scales with the corpus and
  needs nothing but the file, runs on any of them: `local` (processes on this machine, the
  default) or `dask` (a dask.distributed cluster: `--executor dask --scheduler ADDRESS`).
  Dask workers get the file's bytes, not its path, so they need no shared file system, only
  nianbao installed (`pip install 'nianbao[dask]'`). Results come back to the build, which
  puts them in the extraction cache like any other.
- The per-agency output stage (packages, workbooks, pages) writes into the build's staging
  folder, so it runs on this machine: `fork_run` forks workers that inherit the build's data
  (nothing is pickled on the way in; only small results come back).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nianbao.cache import ExtractCache
from nianbao.extract import extract
from nianbao.model import Report, SourceFile

EXECUTORS = ("local", "dask")
MIN_PARALLEL = 64  # fewer items than this are not worth starting processes for
DASK_BATCH = 16  # reports per Dask task: fewer, larger tasks keep the scheduler's overhead low


class ExecutorError(RuntimeError):
    pass


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- extraction


def extract_many(sources: list[SourceFile], *, executor: str = "local", jobs: int | None = None,
                 scheduler: str | None = None, cache: ExtractCache | None = None,
                 keys: list[str | None] | None = None) -> list[Report]:
    """extract() for each source, in order, on the chosen executor; each report goes into
    the cache under its key (keys[i] for sources[i]). Local worker processes store their
    own reports, side by side, rather than the build process one after another."""
    cache = cache or ExtractCache(None)
    keys = keys or [None] * len(sources)
    if executor == "dask":
        reports = dask_extract(sources, scheduler)
    elif executor not in EXECUTORS:
        raise ExecutorError(f"unknown executor {executor!r} (use one of {', '.join(EXECUTORS)})")
    else:
        jobs = jobs or cpu_count()
        if jobs > 1 and len(sources) >= MIN_PARALLEL:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                return list(pool.map(_extract_stored, sources, keys, [cache] * len(sources),
                                     chunksize=max(1, len(sources) // (jobs * 8))))
        reports = [extract(s) for s in sources]
    for k, report in zip(keys, reports):
        cache.put(k, report)
    return reports


def _extract_stored(source: SourceFile, k: str | None, cache: ExtractCache) -> Report:
    """Runs in a worker process: the report, put in the cache. (Sending back the bytes
    written there instead, for the build to unpickle, saved a pickling but left the build
    process ~12 kB a report larger: the bytes, freed, fragmented its heap.)"""
    report = extract(source)
    cache.put(k, report)
    return report


def _payload(source: SourceFile) -> tuple:
    """What a remote worker needs to extract a report: names and bytes, no local paths."""
    def read(path: Path | None):
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None  # unreadable here: the worker reports it the same way extract() would

    return (source.rel, source.path.name, read(source.path),
            source.sidecar_path.name if source.sidecar_path else None, read(source.sidecar_path))


def extract_payloads(payloads: list[tuple]) -> list[Report]:
    """Runs on a Dask worker: write each file (and sidecar) under its own name into a private
    temporary folder and extract it there, so readers see the same name and bytes."""
    out = []
    with tempfile.TemporaryDirectory(prefix="nianbao-") as tmp:
        for n, (rel, name, data, sidecar_name, sidecar_data) in enumerate(payloads):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            path = folder / name
            if data is not None:
                path.write_bytes(data)
            sidecar = None
            if sidecar_name is not None and sidecar_data is not None:
                sidecar = folder / sidecar_name
                sidecar.write_bytes(sidecar_data)
            out.append(extract(SourceFile(path=path, rel=rel, sidecar_path=sidecar)))
    return out


def dask_extract(sources: list[SourceFile], scheduler: str | None) -> list[Report]:
    """Extract on a dask.distributed cluster at `scheduler` (e.g. tcp://10.0.0.5:8786); without
    an address, on a local cluster started for this build."""
    if not sources:
        return []
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise ExecutorError("the dask executor needs dask.distributed: "
                            "pip install 'nianbao[dask]' (or 'dask[distributed]')") from exc
    client = Client(scheduler) if scheduler else Client(processes=False)
    try:
        batches = [sources[i:i + DASK_BATCH] for i in range(0, len(sources), DASK_BATCH)]
        # Payloads are read and sent a batch at a time, so the corpus is never in memory whole.
        futures = [client.submit(extract_payloads, [_payload(s) for s in batch], pure=False)
                   for batch in batches]
        results: list[Report] = []
        for batch, future in zip(batches, futures):
            reports = future.result()
            future.release()
            for source, report in zip(batch, reports):
                source.sidecar = report.source.sidecar  # as extract() would have left it
                report.source = source  # the local file, not the worker's temporary copy
                results.append(report)
        return results
    finally:
        client.close()


# ---------------------------------------------------------------- per-agency output

_FORK_STATE: Sequence | None = None


def _fork_call(index: int):
    return _FORK_STATE[index]()


def fork_run(tasks: Sequence[Callable[[], object]], *, jobs: int | None = None,
             meanwhile: Callable[[], object] | None = None) -> list:
    """[task() for task in tasks], across forked processes that inherit the tasks (so nothing
    is pickled on the way in; only the results come back). Workers take tasks in order, so
    put long ones first. Serial for one job or few tasks, or where fork is unavailable.

    meanwhile: work for this process while the workers run (called once they are forked,
    so no thread of it is copied into them)."""
    global _FORK_STATE
    jobs = jobs or cpu_count()
    if jobs <= 1 or len(tasks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        return [task() for task in tasks]
    _FORK_STATE = tasks
    # Everything the parent holds (at 100,000 reports, gigabytes) goes to the collector's
    # permanent generation first: the workers' collections then never walk those objects,
    # which cost time and, by touching their pages, copied them into every worker.
    gc.collect()
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
            results = pool.map(_fork_call, range(len(tasks)))  # forks every worker first
            if meanwhile is not None:
                meanwhile()
            return list(results)
    finally:
        _FORK_STATE = None
        gc.unfreeze()


class Beside:
    """task() in a forked process while this one goes on (the process inherits what it
    needs, as fork_run's workers do); wait() joins it, stop() ends it. Where fork is not
    available, task() runs at once, here."""

    def __init__(self, task: Callable[[], object], name: str):
        self.name, self.proc = name, None
        if "fork" not in multiprocessing.get_all_start_methods():
            task()
            return
        gc.freeze()  # as in fork_run: the child's collections leave the parent's pages alone
        try:
            self.proc = multiprocessing.get_context("fork").Process(target=task, name=name)
            self.proc.start()
        finally:
            gc.unfreeze()

    def wait(self) -> None:
        if self.proc is not None:
            self.proc.join()
            if self.proc.exitcode != 0:  # its traceback went to stderr
                raise ExecutorError(f"{self.name} failed (exit code {self.proc.exitcode})")

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


def chunks(items: Sequence, jobs: int | None = None, *, at_most: int = 32) -> list[Sequence]:
    """items in consecutive chunks: small enough to share out evenly, big enough that a
    chunk costs more than sending it."""
    jobs = jobs or cpu_count()
    size = max(1, min(at_most, len(items) // (jobs * 8) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]
