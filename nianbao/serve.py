"""`python build.py serve`: build, serve output/ on 127.0.0.1, rebuild on changes, reload.

- Watches content/, site_src/ and schemas/ (never output/, so a build cannot trigger itself)
  with watchfiles (inotify: the changed paths come at once, where polling 10,000 reports
  takes a walk of the tree per look), grouping a burst of changes into one.
- An edit to report files takes the fast path first: just those files are re-extracted and
  their agencies' pages rewritten in place, and browsers reload (a few tens of ms). Then the
  incremental build (packages, aggregates, search index) runs in the background, and
  browsers reload again when it is done. Any other change (a new or removed file, a sidecar,
  a template, site.yaml) goes straight to the build.
- Serves output/ by path on every request, so the folder the build swaps in (by rename) is the
  one served; HTML gets livereload's script.
- Serves under --base-path (e.g. /nianbao/) to try the site as GitHub Pages will host it.
- A failed rebuild is printed and the previous site stays up.
- The old output's tree is removed on a thread of its own after each swap (Trash), so the
  browser reloads without waiting for it: after a template edit at 10,000 reports, every
  page is new and removing the old ones took ~10 s.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP_MS = 50  # a burst of changes ends after this long without one


def normalise_base(base_path: str) -> str:
    base = "/" + (base_path or "/").strip("/")
    return base if base == "/" else base + "/"


def watched_folders(content: Path) -> list[Path]:
    return [content, ROOT / "site_src", ROOT / "schemas"]


def _ignored(path: str) -> bool:
    name = Path(path).name
    return name.startswith((".#", "~")) or name.endswith(("~", ".tmp", ".swx", ".swp"))


class Trash:
    """Removes the trees it is given, one after another, on a thread of its own."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="nianbao-trash")
        self.given: list[Path] = []

    def __call__(self, path: Path) -> None:
        self.given.append(path)
        try:
            self.pool.submit(shutil.rmtree, path, ignore_errors=True)
        except RuntimeError:  # closed: serve is stopping, and this build finished meanwhile
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Wait for what is being removed (serve does at exit: nothing is left behind)."""
        self.pool.shutdown(wait=True)


class LiveSite:
    """The served site and what keeps it current: the last build's result (its reports and
    site, in memory for the fast path) and two worker threads, one for edits, one for builds.

    Builds run one at a time; an edit arriving during a build still takes the fast path at
    once, and is applied again over that build's output when it lands (the build may have
    read the file before the edit)."""

    def __init__(self, content: Path, output: Path, reload=lambda: None, **build_options):
        self.content, self.output, self.reload = content, output, reload
        self.trash = Trash()
        self.options = {"discard": self.trash, **build_options}
        self.result = None
        self.shown = None  # the last build's errors and warnings, to print only new ones
        self.lock = threading.Lock()  # the result and in-place page writes
        self.edits: set[Path] = set()  # changed paths not yet looked at
        self.dirty = False  # a build is wanted
        self.quick_since_build: set[Path] = set()  # fast-path files since the build began
        self.cond = threading.Condition()
        self.env = None
        self.builds = 0

    # -------------------------------------------------------------- the two workers

    def changed(self, paths) -> None:
        with self.cond:
            self.edits.update(Path(p) for p in paths)
            self.cond.notify_all()

    def start(self) -> None:
        threading.Thread(target=self._edit_loop, name="nianbao-edits", daemon=True).start()
        threading.Thread(target=self._build_loop, name="nianbao-builds", daemon=True).start()

    def _edit_loop(self) -> None:
        while True:
            with self.cond:
                while not self.edits:
                    self.cond.wait()
                batch, self.edits = self.edits, set()
            print(f"changed: {', '.join(sorted(str(p) for p in batch)[:5])}"
                  + (f" and {len(batch) - 5} more" if len(batch) > 5 else ""), flush=True)
            self.fast_path(batch)
            with self.cond:
                self.dirty = True
                self.cond.notify_all()

    def _build_loop(self) -> None:
        while True:
            with self.cond:
                while not self.dirty:
                    self.cond.wait()
                self.dirty = False
            self.build()

    # -------------------------------------------------------------- the work

    def fast_path(self, paths: set[Path]) -> bool:
        from nianbao.pipeline import update_pages

        if self.result is None:
            return False
        started = time.monotonic()
        with self.lock:
            try:
                pages = update_pages(self.result, self.content, self.output, sorted(paths),
                                     env=self._env())
            except Exception:  # the build that follows will report it properly
                traceback.print_exc()
                return False
            if pages is None:
                return False
            self.quick_since_build |= paths
        self.reload()
        print(f"pages updated in {(time.monotonic() - started) * 1000:.0f} ms: "
              + ", ".join(pages), flush=True)
        return True

    def build(self) -> bool:
        from nianbao.pipeline import build, update_pages

        started = time.monotonic()
        with self.lock:
            self.quick_since_build = set()
        try:
            result = build(self.content, self.output, **self.options)
            result.site  # noqa: B018 - load the reports now, not on the first edit
        except Exception:  # keep serving the previous site
            traceback.print_exc()
            print("build failed; still serving the previous site", flush=True)
            return False
        finally:
            self.builds += 1
        with self.lock:
            self.result = result
            # The fast path's environment is made again from the templates as they are now:
            # an edit to site_src/ comes with a build, and the environment's form-cell memo
            # (render.FormCells) would otherwise keep the old markup.
            self.env = None
            if self.quick_since_build:  # edits this build may have missed
                try:
                    update_pages(result, self.content, self.output,
                                 sorted(self.quick_since_build), env=self._env())
                except Exception:
                    traceback.print_exc()
        print(f"built in {time.monotonic() - started:.1f} s: {result.summary()}", flush=True)
        self.print_problems(result)
        self.reload()
        return True

    def print_problems(self, result, limit: int = 30) -> None:
        """The errors and warnings this build found that the last did not (all of them after
        the first), and how many went: a count alone did not say which edit broke what."""
        from nianbao.cli import print_listing

        found = [(rel, p) for rel, problems in result.problems() for p in problems
                 if p.severity != "info"]
        keys = [(rel, p.code, p.where, p.message) for rel, p in found]
        before, self.shown = self.shown, set(keys)
        new = [item for item, key in zip(found, keys) if before is None or key not in before]
        for rel, group in itertools.groupby(new[:limit], key=lambda item: item[0]):
            print_listing([(rel, [p for _, p in group])], verbose=False, counts=False)
        if len(new) > limit:
            print(f"  … and {len(new) - limit} more: the data-quality page lists them", flush=True)
        if before is not None and (gone := len(before - self.shown)):
            print(f"  {gone} errors or warnings from the last build are gone", flush=True)

    def _env(self):
        from nianbao import render

        if self.env is None:
            self.env = render.environment()
        return self.env


def watch(folders: list[Path], on_change, stop: threading.Event | None = None) -> None:
    """Call on_change(paths) for each burst of changes below folders (until stop is set)."""
    import watchfiles

    class Filter(watchfiles.DefaultFilter):
        def __call__(self, change, path: str) -> bool:
            return super().__call__(change, path) and not _ignored(path)

    for changes in watchfiles.watch(*[str(f) for f in folders if f.exists()], watch_filter=Filter(),
                                    step=STEP_MS, stop_event=stop, raise_interrupt=False):
        on_change({path for _, path in changes})


def serve(content: Path, output: Path, *, host: str = "127.0.0.1", port: int = 8000,
          base_path: str = "/", **build_options) -> int:
    """build_options: passed to pipeline.build (cache_dir, jobs, search, …)."""
    from livereload import Server
    from livereload.handlers import LiveReloadHandler, StaticFileHandler
    from livereload.watcher import Watcher
    from tornado import ioloop, web

    content = Path(content).resolve()
    output = Path(output).resolve()
    base = normalise_base(base_path)
    if not (content / "reports").is_dir():
        print(f"error: {content / 'reports'} is not a folder", file=sys.stderr)
        return 2
    loop_ready = threading.Event()
    loop_holder: list = []

    def reload() -> None:
        if loop_ready.is_set():
            loop_holder[0].add_callback(LiveReloadHandler.reload_waiters, "*")

    site = LiveSite(content, output, reload, **build_options)
    if not site.build() and not output.is_dir():
        return 1

    class QuietWatcher(Watcher):
        """livereload's watcher, told never to poll: watch() below reports the changes, and
        browsers reload after the pages are rewritten, not on the source change."""

        def start(self, callback):
            return True

        def examine(self):
            return None, None

    class SiteHandler(StaticFileHandler):
        def write_error(self, status_code, **kwargs):
            page = output / "404.html"
            if status_code == 404 and page.is_file():
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(page.read_bytes())
                return
            super().write_error(status_code, **kwargs)

    class SiteServer(Server):
        def get_web_handlers(self, script):
            prefix = base.rstrip("/")
            handlers = [(rf"{prefix}/(.*)", SiteHandler,
                         {"path": str(output), "default_filename": "index.html"})]
            if base != "/":
                handlers.append((r"/.*", web.RedirectHandler, {"url": base}))
            return handlers

    watcher = QuietWatcher()
    watcher.watch(str(content))  # so livereload does not watch the working directory instead
    server = SiteServer(watcher=watcher)

    stop = threading.Event()
    watcher_thread = threading.Thread(target=watch, args=(watched_folders(content), site.changed, stop),
                                      name="nianbao-watch", daemon=True)

    def started():
        loop_holder.append(ioloop.IOLoop.current())
        loop_ready.set()
        site.start()
        watcher_thread.start()

    ioloop.IOLoop.current().add_callback(started)
    # Ctrl-C may land on one of the worker threads; Python raises KeyboardInterrupt in the
    # main thread only when it next runs, and an idle event loop may sleep indefinitely.
    ioloop.PeriodicCallback(lambda: None, 200).start()
    print(f"serving {output} at http://{host}:{port}{base} (Ctrl-C to stop)", flush=True)
    print("watching: " + ", ".join(str(f) for f in watched_folders(content)), flush=True)
    try:
        server.serve(port=port, host=host, root=str(output), restart_delay=0)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()  # watchfiles looks at it between waits (every STEP_MS)
        if watcher_thread.is_alive():
            watcher_thread.join(timeout=2)
        site.trash.close()
    print("stopped", flush=True)
    return 0
