"""Which files under content/reports are reports, in which order, with which sidecar."""

import os
from pathlib import Path

from nianbao.discover import discover, source_for


def _tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def test_reports_sidecars_and_order(tmp_path):
    root = tmp_path / "reports"
    _tree(root, [
        "2021/b.txt", "2021/b.txt.yaml", "2021/b.yaml",  # name.yaml is tried first
        "2021/a.pdf", "2021/a.yml",  # .yml when there is no .yaml
        "2021/noext", "2021/noext.yaml",
        "2021/c.docx",  # no sidecar
        "2021/C.YAML",  # a sidecar's suffix in capitals is still not a report
        "2020/z.html", "2020/z.html.yml",
        "2020/sub/y.txt",
        "2020-extra/x.txt",  # sorts by path parts: 2020/… before 2020-extra/…
        ".hidden/h.txt", "2021/.draft.txt", "2021/.DS_Store", "2021/Thumbs.db",
        "2021/.gitkeep",
    ])
    os.symlink(root / "2021" / "c.docx", root / "2021" / "linked.docx")  # a file: followed
    os.symlink(root / "2020", root / "linked-folder")  # a folder: not followed
    os.symlink(root / "missing.yaml", root / "2021" / "c.yaml")  # broken: no sidecar

    found = {s.rel: s.sidecar_path for s in discover(root)}
    assert list(found) == ["2020/sub/y.txt", "2020/z.html", "2020-extra/x.txt", "2021/a.pdf",
                           "2021/b.txt", "2021/c.docx", "2021/linked.docx", "2021/noext"]
    sidecars = {rel: p.name for rel, p in found.items() if p is not None}
    assert sidecars == {"2020/z.html": "z.html.yml", "2021/a.pdf": "a.yml",
                        "2021/b.txt": "b.txt.yaml", "2021/noext": "noext.yaml"}
    # a single file finds the same sidecar (build.py extract FILE)
    for source in discover(root):
        assert source_for(source.path, root).sidecar_path == source.sidecar_path, source.rel


def test_no_reports_folder_is_no_reports(tmp_path):
    assert discover(tmp_path / "reports") == []
