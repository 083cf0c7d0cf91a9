"""`python build.py serve`: build, serve output/ on 127.0.0.1, rebuild on changes, reload.

- Watches content/, site_src/ and schemas/ (never output/, so a build cannot trigger itself)
  with livereload's polling watcher, and rebuilds once per burst of changes: every change
  restarts a short quiet period, and the build runs when the period ends.
- Serves output/ by path on every request, so the folder the build swaps in (by rename) is the
  one served; HTML gets livereload's script, and browsers reload after each successful build.
- Serves under --base-path (e.g. /nianbao/) to try the site as GitHub Pages will host it.
- A failed rebuild is printed and the previous site stays up.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEBOUNCE_SECONDS = 1.2  # longer than livereload’s 0.8 s polling interval
POLL_MS = 200


def normalise_base(base_path: str) -> str:
    base = "/" + (base_path or "/").strip("/")
    return base if base == "/" else base + "/"


def watched_folders(content: Path) -> list[Path]:
    return [content, ROOT / "site_src", ROOT / "schemas"]


def _ignored(path: str) -> bool:
    name = Path(path).name
    return name.startswith((".#", "~")) or name.endswith(("~", ".tmp", ".swx", ".swp"))


def run_build(content: Path, output: Path) -> bool:
    from nianbao.pipeline import build

    started = time.monotonic()
    try:
        result = build(content, output, search=True)
    except Exception:  # keep serving the previous site
        traceback.print_exc()
        print("build failed; still serving the previous site", flush=True)
        return False
    print(f"built in {time.monotonic() - started:.1f} s: {result.summary()}", flush=True)
    return True


class Rebuilder:
    """Collects change notices and runs one build after a quiet period."""

    def __init__(self, content: Path, output: Path, debounce: float = DEBOUNCE_SECONDS):
        self.content = content
        self.output = output
        self.debounce = debounce
        self.pending = False
        self.building = False
        self.last_change = 0.0
        self.builds = 0

    def changed(self, *_args) -> None:
        self.pending = True
        self.last_change = time.monotonic()

    def due(self) -> bool:
        return (self.pending and not self.building
                and time.monotonic() - self.last_change >= self.debounce)

    def build(self) -> bool:
        self.pending = False
        self.building = True
        try:
            print("change detected: rebuilding", flush=True)
            ok = run_build(self.content, self.output)
            self.builds += 1
            return ok
        finally:
            self.building = False


def serve(content: Path, output: Path, *, host: str = "127.0.0.1", port: int = 8000,
          base_path: str = "/") -> int:
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
    if not run_build(content, output) and not output.is_dir():
        return 1

    rebuilder = Rebuilder(content, output)

    class BuildWatcher(Watcher):
        """Runs the change callbacks but never asks livereload to reload by itself:
        the browsers reload after the build, not on the source change."""

        def examine(self):
            self._changes.clear()
            super().examine()
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

    watcher = BuildWatcher()
    for folder in watched_folders(content):
        if folder.exists():
            watcher.watch(str(folder), rebuilder.changed, ignore=_ignored)
    server = SiteServer(watcher=watcher)

    def tick():
        if rebuilder.due():
            loop = ioloop.IOLoop.current()
            future = loop.run_in_executor(None, rebuilder.build)

            def done(f):
                if not f.exception() and f.result():
                    LiveReloadHandler.reload_waiters("*")

            future.add_done_callback(done)

    ioloop.PeriodicCallback(tick, POLL_MS).start()
    print(f"serving {output} at http://{host}:{port}{base} (Ctrl-C to stop)", flush=True)
    print("watching: " + ", ".join(str(f) for f in watched_folders(content)), flush=True)
    server.serve(port=port, host=host, root=str(output), restart_delay=0)
    return 0
