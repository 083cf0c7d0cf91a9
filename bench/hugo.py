"""The same agency-year pages built by Hugo, for a like-for-like timing."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from nianbao import catalogue as cat
from nianbao.model import Report
from nianbao.package import cell

LAYOUT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title>
</head><body><main data-pagefind-body><h1>{{ .Title }}</h1>{{ .Content }}</main></body></html>"""


def page(report: Report) -> str:
    template = cat.load().template(report.template)
    lines = ["---", f'title: "{report.agency} {report.year}"', "---", ""]
    for table in cat.TABLES:
        rows = template.table_rows(table)
        lines += [f"## {cat.TABLE_TITLES[table]}", ""]
        cols = rows[0].columns
        lines.append("| 项目 | " + " | ".join(c.label for c in cols) + " |")
        lines.append("|---" * (len(cols) + 1) + "|")
        for row in rows:
            vals = [cell(report.values.get(f"{table}.{row.id}.{c.id}")) for c in row.columns]
            lines.append(f"| {row.label} | " + " | ".join(vals) + " |")
        lines.append("")
    for section in report.sections:
        lines += [f"## {section.number}、{section.title}", "", section.markdown, ""]
    return "\n".join(lines)


def hugo_build(reports: list[Report], folder: Path) -> float:
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed: apt-get install hugo")
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "layouts" / "_default").mkdir(parents=True)
    (folder / "layouts" / "_default" / "single.html").write_text(LAYOUT, encoding="utf-8")
    (folder / "layouts" / "_default" / "list.html").write_text(LAYOUT, encoding="utf-8")
    (folder / "hugo.toml").write_text('baseURL = "/"\ndisableKinds = ["taxonomy", "term", "RSS"]\n',
                                      encoding="utf-8")
    for r in reports:
        path = folder / "content" / r.agency_id / f"{r.year}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(r), encoding="utf-8")
    start = time.perf_counter()
    subprocess.run(["hugo", "--quiet", "--source", str(folder)], check=True)
    return time.perf_counter() - start
