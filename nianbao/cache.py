"""Extraction cache: a report is re-read only when its bytes, its sidecar, its name or
nianbao's own code changed. Keys hash all of these, so no version needs bumping by hand.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

from nianbao import PARSER_VERSION
from nianbao.model import Report, SourceFile

PACKAGE = Path(__file__).resolve().parent


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
        return self.folder / k[:2] / f"{k}.pickle"

    def get(self, source: SourceFile) -> tuple[str | None, Report | None]:
        k = key(source) if self.folder else None
        if k is None:
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
