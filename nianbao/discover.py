"""Find report files and their sidecars under the content folder."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path, PurePath

import yaml

from nianbao.model import Problem, SourceFile

SIDECAR_KEYS = {"agency", "region", "year", "source_url", "published", "id"}
SIDECAR_SUFFIXES = (".yaml", ".yml")
_IGNORED = {".DS_Store", "Thumbs.db", ".gitkeep"}


def discover(root: Path) -> list[SourceFile]:
    """Every report file below root, sorted by path so builds are reproducible.

    One directory listing a folder answers both "which files" and "which sidecars": asking
    the file system whether each report's four possible sidecars exist was most of the
    time at 100,000 reports (Path.rglob and its stats, 4.8 s)."""
    found = []  # (path parts below root, path, names beside it)
    _walk(str(root), (), found)
    found.sort(key=lambda item: item[0])
    sources = []
    for parts, path, names in found:
        source = SourceFile(path=Path(path), rel="/".join(parts))
        sidecar = next((n for n in _sidecar_names(parts[-1]) if n in names), None)
        if sidecar is not None:
            source.sidecar_path = source.path.with_name(sidecar)
        sources.append(source)
    return sources


def _walk(folder: str, parts: tuple[str, ...], found: list) -> None:
    """Report files (not sidecars, not hidden, not in hidden folders), as Path.rglob saw
    them: symlinked files are followed, symlinked folders are not, unreadable ones skipped."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:  # unreadable, or gone (content/reports not made yet)
        return
    names = {e.name for e in entries if _exists(e)}  # where sidecars are looked for
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_dir(follow_symlinks=False):
            _walk(e.path, (*parts, e.name), found)
        elif (e.is_file() and e.name not in _IGNORED
              and os.path.splitext(e.name)[1].lower() not in SIDECAR_SUFFIXES):
            found.append(((*parts, e.name), e.path, names))


def _exists(entry: os.DirEntry) -> bool:
    """Path.exists() for an entry: a broken symlink does not exist."""
    return not entry.is_symlink() or os.path.exists(entry.path)


def _sidecar_names(name: str) -> list[str]:
    """A report's sidecar, in the order tried: r.txt.yaml, r.yaml, r.txt.yml, r.yml."""
    out = []
    for s in SIDECAR_SUFFIXES:
        out.append(name + s)
        other = PurePath(name).with_suffix(s).name
        if other != name:
            out.append(other)
    return out


def source_for(path: Path, root: Path | None = None) -> SourceFile:
    rel = path.relative_to(root).as_posix() if root else path.name
    source = SourceFile(path=path, rel=rel)
    for name in _sidecar_names(path.name):
        if path.with_name(name).exists():
            source.sidecar_path = path.with_name(name)
            break
    return source


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_sidecar(source: SourceFile) -> list[Problem]:
    """Read the sidecar into source.sidecar; problems instead of exceptions."""
    if source.sidecar_path is None:
        return []
    # named as its report is, from content/reports/ ("2020/x.txt.yaml", not "x.txt.yaml")
    where = PurePath(source.rel).with_name(source.sidecar_path.name).as_posix()
    try:
        data = yaml.safe_load(source.sidecar_path.read_text(encoding="utf-8")) or {}
    except ValueError as exc:  # a date YAML reads as one but cannot be (2021-02-30)
        if isinstance(exc, UnicodeDecodeError):
            return [Problem("sidecar-invalid", "error", "元数据文件不是 UTF-8 编码的文本", where)]
        return [Problem("sidecar-invalid", "error", f"元数据文件中有无效的值（如不存在的日期）：{exc}", where)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        said = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x)
        return [Problem("sidecar-invalid", "error",
                        f"元数据文件不是有效的 YAML（常见原因：冒号后缺空格、缩进不齐、引号不成对）"
                        f"{'；解析器的说明：' + said if said else ''}", where + line)]
    if not isinstance(data, dict):
        return [Problem("sidecar-invalid", "error", "元数据文件应为键值对（YAML 映射）", where)]
    problems = []
    unknown = sorted(set(data) - SIDECAR_KEYS)
    if unknown:
        problems.append(Problem("sidecar-unknown-key", "error",
                                f"元数据文件有未知的键：{', '.join(map(str, unknown))}"
                                f"（可用：{', '.join(sorted(SIDECAR_KEYS))}）", where))
    source.sidecar = {k: v for k, v in data.items() if k in SIDECAR_KEYS}
    if "year" in source.sidecar:
        try:
            source.sidecar["year"] = int(source.sidecar["year"])
        except (TypeError, ValueError):
            problems.append(Problem("sidecar-invalid", "error", f"year 不是年份：{data['year']!r}", where))
            del source.sidecar["year"]
    if "published" in source.sidecar:
        published = str(source.sidecar["published"])  # YAML reads 2021-01-20 as a date
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) and _is_date(published):
            source.sidecar["published"] = published
        else:
            problems.append(Problem("sidecar-invalid", "error",
                                    f"published 应写成 YYYY-MM-DD（如 2021-01-20），而不是 {published!r}；"
                                    "已忽略", where))
            del source.sidecar["published"]
    return problems
