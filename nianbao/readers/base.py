"""The reader interface and the one exception readers raise."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from nianbao.model import Document


class ReadError(Exception):
    """A file that cannot be turned into a document; becomes one named problem."""

    def __init__(self, code: str, message: str, line: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.format: str | None = None  # the reader's, set by readers.read: a line or a page


class Reader:
    format: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def sniff(cls, head: bytes, suffix: str) -> bool:
        raise NotImplementedError

    def read(self, path: Path) -> Document:
        raise NotImplementedError
