"""Extraction cache: a report is re-read only when its bytes, its sidecar, its name or
nianbao's own code changed. Keys hash all of these, so no version needs bumping by hand.

Entries sit in one folder per code version (<cache>/<code hash>/ab/<key>.pickle): a code
change leaves every older entry unreachable, and prune() drops those folders whole, keeping
the few most recently used (a maintainer switching branches keeps both). So a cache that is
carried from one CI run to the next stays about the size of one corpus's extractions.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

from nianbao import PARSER_VERSION
from nianbao.model import Report, SourceFile

PACKAGE = Path(__file__).resolve().parent
KEEP_VERSIONS = 3  # code versions whose entries prune() keeps
_VERSION_DIR = re.compile(r"^[0-9a-f]{16}$")
_OLD_LAYOUT_DIR = re.compile(r"^[0-9a-f]{2}$")  # entries before versioned folders


@cache
def code_hash() -> str:
    """What the extraction code and its data are: any edit invalidates the cache."""
    digest = hashlib.sha256(PARSER_VERSION.encode())
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.yaml")]):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key(source: SourceFile) -> str | None:
    try:
        digest = hashlib.sha256(code_hash().encode())
        digest.update(source.rel.encode())
        digest.update(source.path.read_bytes())
        if source.sidecar_path is not None:
            digest.update(source.sidecar_path.read_bytes())
    except OSError:
        return None  # unreadable now: let extract report it
    return digest.hexdigest()


class ExtractCache:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = 0

    def _path(self, k: str) -> Path:
        return self.folder / code_hash() / k[:2] / f"{k}.pickle"

    def prune(self, keep: int = KEEP_VERSIONS) -> list[str]:
        """Mark this code version's folder used (its time), then remove all but the `keep`
        most recently used versions' folders; returns the names removed."""
        if not self.folder or not self.folder.is_dir():
            return []
        current = self.folder / code_hash()
        if current.is_dir():
            os.utime(current)
        versions, removed = [], []
        for entry in os.scandir(self.folder):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if _VERSION_DIR.match(entry.name):
                versions.append((entry.stat().st_mtime_ns, entry.name))
            elif _OLD_LAYOUT_DIR.match(entry.name):
                removed.append(entry.name)
        versions.sort(reverse=True)
        removed += [name for _, name in versions[keep:] if name != current.name]
        for name in removed:
            shutil.rmtree(self.folder / name, ignore_errors=True)
        return sorted(removed)

    def get(self, source: SourceFile, k: str | None = None) -> tuple[str | None, Report | None]:
        """The cached report, by the key given (the build's, taken as it discovered the
        files: reading and hashing every file again was ~2 s at 100,000 reports) or taken
        now."""
        if k is None and self.folder:
            k = key(source)
        if k is None or not self.folder:
            return k, None
        path = self._path(k)
        try:
            with open(path, "rb") as fh:
                report = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return k, None
        report.source = source
        self.hits += 1
        return k, report

    def put(self, k: str | None, report: Report) -> None:
        if not self.folder or k is None:
            return
        path = self._path(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(report, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # readers never see half a file
