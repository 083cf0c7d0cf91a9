"""Find report files and their sidecars under the content folder."""

from __future__ import annotations

from pathlib import Path

import yaml

from nianbao.model import Problem, SourceFile

SIDECAR_KEYS = {"agency", "region", "year", "source_url", "published", "id"}
SIDECAR_SUFFIXES = (".yaml", ".yml")
_IGNORED = {".DS_Store", "Thumbs.db", ".gitkeep"}


def discover(root: Path) -> list[SourceFile]:
    """Every report file below root, sorted by path so builds are reproducible."""
    sources = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix.lower() in SIDECAR_SUFFIXES or path.name in _IGNORED:
            continue
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        sources.append(source_for(path, root))
    return sources


def source_for(path: Path, root: Path | None = None) -> SourceFile:
    rel = path.relative_to(root).as_posix() if root else path.name
    source = SourceFile(path=path, rel=rel)
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_name(path.name + suffix)
        if not sidecar.exists():
            sidecar = path.with_suffix(suffix)
        if sidecar.exists() and sidecar != path:
            source.sidecar_path = sidecar
            break
    return source


def load_sidecar(source: SourceFile) -> list[Problem]:
    """Read the sidecar into source.sidecar; problems instead of exceptions."""
    if source.sidecar_path is None:
        return []
    where = source.sidecar_path.name
    try:
        data = yaml.safe_load(source.sidecar_path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        return [Problem("sidecar-invalid", "error", f"元数据文件不是有效的 YAML：{exc}", where + line)]
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
    for key in ("published",):
        if key in source.sidecar:
            source.sidecar[key] = str(source.sidecar[key])
    return problems
