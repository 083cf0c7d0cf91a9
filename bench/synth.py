"""Deterministic synthetic reports: both templates, both text layouts, real place names.

Values satisfy every arithmetic rule unless `broken` asks for one to fail, so a parser
that reads them back can be checked cell by cell. Used by the benchmark and the tests.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nianbao import catalogue as cat
from nianbao.resolve import gazetteer

DEPARTMENTS = ["商务局", "财政局", "教育局", "民政局", "司法局", "自然资源局", "生态环境局",
               "住房和城乡建设局", "交通运输局", "农业农村局", "文化和旅游局", "卫生健康局",
               "市场监督管理局", "统计局", "医疗保障局", "人力资源和社会保障局", "应急管理局"]


@dataclass
class SynthReport:
    agency: str
    region_code: str
    year: int
    template: str
    layout: str  # "cells" (one cell per line) or "rows" (one row per line)
    values: dict
    broken: str | None  # the field whose value breaks a rule, if any
    text: str


def _active(template, rng) -> dict:
    values = {}
    for row in template.table_rows("active"):
        for col in row.columns:
            fid = f"active.{row.id}.{col.id}"
            if col.type == "amount_wan":
                values[fid] = Decimal(rng.randint(0, 2_000_000)) / Decimal(10000)
            elif col.type == "delta":
                values[fid] = rng.randint(-5, 5)
            else:
                values[fid] = rng.choice([0, 0, rng.randint(0, 40), rng.randint(0, 900)])
    return values


def _apply(template, rng) -> dict:
    rows = [r.id for r in template.table_rows("apply")]
    results = [r for r in rows if r not in ("new", "carried_over", "total", "carried_forward")]
    columns = [c.id for c in cat.load().applicant if c.id != "total"]
    values = {}
    for col in columns:
        busy = rng.random() < 0.5
        for r in results:
            values[f"apply.{r}.{col}"] = rng.randint(0, 12) if busy and rng.random() < 0.4 else 0
        total = sum(values[f"apply.{r}.{col}"] for r in results)
        values[f"apply.total.{col}"] = total
        forward = rng.randint(0, 3) if busy else 0
        carried = rng.randint(0, total + forward)
        values[f"apply.carried_forward.{col}"] = forward
        values[f"apply.carried_over.{col}"] = carried
        values[f"apply.new.{col}"] = total + forward - carried
    for r in rows:
        values[f"apply.{r}.total"] = sum(values[f"apply.{r}.{c}"] for c in columns)
    return values


def _appeal(template, rng) -> dict:
    values = {}
    for row in template.table_rows("appeal"):
        parts = [rng.choice([0, 0, rng.randint(0, 6)]) for _ in range(4)]
        for col, v in zip(("upheld", "corrected", "other", "pending"), parts):
            values[f"appeal.{row.id}.{col}"] = v
        values[f"appeal.{row.id}.total"] = sum(parts)
    return values


def _cell(value, col_type="count", rng=None) -> str:
    if value is None:
        return ""
    if col_type == "delta" and value > 0 and rng and rng.random() < 0.5:
        return f"＋{value}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _tables(template, values, rng) -> list[list[list[str]]]:
    c = cat.load()
    active: list[list[str]] = []
    for item in template.active_items:
        rows = [r for r in template.table_rows("active") if r.group == item]
        active.append([item])
        active.append(["信息内容", *(col.label for col in rows[0].columns)])
        for r in rows:
            active.append([r.label, *(_cell(values[f"active.{r.id}.{col.id}"], col.type, rng)
                                      for col in r.columns)])
    applicant = [col.label for col in c.applicant]
    apply = [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
        ["", applicant[0], "法人或其他组织", applicant[-1]],
        ["", "", *applicant[1:-1], ""],
    ]
    last_group = None
    for r in template.table_rows("apply"):
        cells = [_cell(values[f"apply.{r.id}.{col.id}"]) for col in c.applicant]
        if r.group:
            first = r.group if r.group != last_group else ""
            apply.append(["", first, r.item_label, *cells])
        elif r.id in ("new", "carried_over", "carried_forward"):
            apply.append([r.label, *cells])
        else:
            apply.append(["三、本年度办理结果" if r.id == "disclosed" else "", r.label, *cells])
        last_group = r.group
    appeal_cols = [col.label for col in c.appeal]
    appeal = [
        ["行政复议", "行政诉讼"],
        [*appeal_cols, "未经复议直接起诉", "复议后起诉"],
        ["", "", "", "", "", *appeal_cols, *appeal_cols],
        [_cell(values[f"appeal.{r.id}.{col.id}"]) for r in template.table_rows("appeal")
         for col in c.appeal],
    ]
    return [active, apply, appeal]


def _render_table(rows: list[list[str]], layout: str) -> str:
    if layout == "rows":
        return "\n".join("\t".join(r) for r in rows)
    return "\n\n".join("\n".join(f"\t{cell}" for cell in r) for r in rows)


YEARS = (2019, 2020, 2021, 2022, 2023)
MISSED = 0.08  # the share of an agency's years without a report (in a "yearly" corpus)
# In a "yearly" corpus, the shares of province-level and city-level agencies (the rest are
# counties'): some 40 departments each in 31 provinces, 333 cities and 2,850 counties.
PROVINCE_LEVEL, CITY_LEVEL = 0.02, 0.13


def _agency(rng: random.Random, *, levels: bool = False) -> tuple[str, str]:
    """An agency: its name and its place's code. A county's (the city first where the
    county's name alone is ambiguous, as real reports write it); with levels, a province's
    or a city's department now and then, drawn after the county (so without levels the
    draws are those of the corpus before)."""
    counties = [p for p in gazetteer().by_code.values() if p.level == "county"]
    county = rng.choice(sorted(counties, key=lambda p: p.code))
    gaz = gazetteer()
    region = gaz.region(county)
    prefix = ""
    if len(gaz.by_name[county.name]) > 1:  # 朝阳区 alone is ambiguous: real reports add the city
        prefix = region.city or region.province or ""
    department = rng.choice(DEPARTMENTS)
    if levels:
        roll = rng.random()
        if roll < PROVINCE_LEVEL and region.province:
            return region.province + department, county.code[:2] + "0000"
        if roll < PROVINCE_LEVEL + CITY_LEVEL and region.city and region.city != region.province:
            return region.city + department, county.code[:4] + "00"
    return prefix + county.name + department, county.code


def report(seed: int, template_id: str | None = None, layout: str | None = None,
           broken: bool | None = None, *, agency: tuple[str, str] | None = None,
           year: int | None = None) -> SynthReport:
    """agency: (name, county code), as _agency makes it; year: its template follows."""
    rng = random.Random(seed)
    agency, county_code = agency or _agency(rng)
    if year is not None:
        template_id = "2019" if year < 2021 else "2021"
    template_id = template_id or rng.choice(["2019", "2021"])
    if year is None:
        year = rng.choice([2019, 2020]) if template_id == "2019" else rng.choice([2021, 2022, 2023])
    layout = layout or rng.choice(["cells", "rows"])
    template = cat.load().template(template_id)
    values = {**_active(template, rng), **_apply(template, rng), **_appeal(template, rng)}
    broken_field = None
    if broken if broken is not None else rng.random() < 0.1:
        broken_field = "apply.total.total"
        values[broken_field] += 1
    titles = list(cat.TABLE_TITLES.values())
    tables = _tables(template, values, rng)
    body = [
        agency, "", f"{year}年政府信息公开工作年度报告", "",
        "一、总体情况", "",
        f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，"
        f"全年主动公开政府信息{rng.randint(20, 400)}条，办理行政复议相关事项若干。", "",
    ]
    for title, table in zip(titles, tables):
        body += [title, "", _render_table(table, layout), "", ""]
    body += ["五、存在的主要问题及改进情况", "", "一是公开内容还不够全面；二是解读形式较为单一。", "",
             "六、其他需要报告的事项", "", "无。", "", f"{year + 1}年1月{rng.randint(10, 28)}日", ""]
    return SynthReport(agency, county_code, year, template_id, layout, values, broken_field,
                       "\n".join(body))


def write_corpus(folder: Path, n: int, seed: int = 0, *, docx: float = 0.0,
                 pdf: float = 0.0, agencies: str = "yearly") -> list[SynthReport]:
    """n reports under folder/reports, one agency-year each.

    agencies: "yearly", as real corpora are: each agency (a county's, a city's or a
    province's) reports every year of YEARS but a few (MISSED), so n reports are about
    n / 4.6 agencies, the last one's years cut at n;
    "scattered": each report a random agency-year, nearly every report its own agency
    (the benchmark's corpus before 2026-11-24; tests use it for many small units).
    docx, pdf: the share of reports written as Word documents (python-docx) and as PDFs
    (those Word documents converted by LibreOffice, which must be installed); the rest are
    text. Which reports get which format depends only on the seed and the shares."""
    if agencies not in ("yearly", "scattered"):
        raise ValueError(f"agencies: 'yearly' or 'scattered', not {agencies!r}")
    folder.mkdir(parents=True, exist_ok=True)
    out, seen = [], set()
    to_pdf: list[Path] = []
    pick = random.Random(seed)
    for r in _reports(seed, agencies):
        if len(out) >= n:
            break
        if (r.agency, r.year) in seen:
            continue
        seen.add((r.agency, r.year))
        stem = folder / "reports" / str(r.year) / f"r{len(out):06d}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        roll = pick.random()
        if roll < docx + pdf:
            path = stem.with_suffix(".docx")
            write_docx(r, path)
            if roll < pdf:
                to_pdf.append(path)
        else:
            stem.with_suffix(".txt").write_text(r.text, encoding="utf-8")
        out.append(r)
    if to_pdf:
        convert_to_pdf(to_pdf)
    return out


def _reports(seed: int, agencies: str):
    """An endless stream of reports (write_corpus skips a repeated agency-year)."""
    i = 0
    if agencies == "scattered":
        while True:
            yield report(seed * 1_000_003 + i)
            i += 1
    missed = random.Random(f"{seed}-missed")
    for a in itertools.count():
        agency = _agency(random.Random(f"{seed}-agency-{a}"), levels=True)
        for year in YEARS:
            if missed.random() >= MISSED:
                yield report(seed * 1_000_003 + i, agency=agency, year=year)
            i += 1


# ---------------------------------------------------------------- other formats

FIXED_TIME = (2024, 1, 20, 9, 0, 0)


def write_docx(r: SynthReport, path: Path) -> None:
    """The report as a Word document: its paragraphs, and each table as a Word table."""
    import datetime as dt
    import io
    import zipfile

    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "nianbao bench"
    props.created = props.modified = dt.datetime(*FIXED_TIME)
    props.revision = 1
    lines = r.text.split("\n")
    k = 0
    while k < len(lines):
        line = lines[k]
        if "\t" in line or (line == "" and k + 1 < len(lines) and lines[k + 1].startswith("\t")):
            rows, k = _table_rows(lines, k)
            width = max(len(row) for row in rows)
            table = doc.add_table(rows=len(rows), cols=width)
            table.style = doc.styles["Table Grid"]
            for ri, row in enumerate(rows):
                for ci, text in enumerate(row):
                    table.cell(ri, ci).text = text
            continue
        if line:
            doc.add_paragraph(line)
        k += 1
    buf = io.BytesIO()
    doc.save(buf)
    pinned = io.BytesIO()  # fixed zip entry times: the same bytes on every run
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(pinned.getvalue())


def _table_rows(lines: list[str], k: int) -> tuple[list[list[str]], int]:
    """A table of either text layout, from line k: its rows of cells, and the next line."""
    rows: list[list[str]] = []
    if "\t" in lines[k] and not lines[k].startswith("\t"):  # "rows": a row per line
        while k < len(lines) and "\t" in lines[k]:
            rows.append(lines[k].split("\t"))
            k += 1
        return rows, k
    while k < len(lines):  # "cells": a cell per tab-prefixed line, rows apart by blank lines
        if lines[k] == "" and k + 1 < len(lines) and lines[k + 1].startswith("\t"):
            k += 1
        if k >= len(lines) or not lines[k].startswith("\t"):
            break
        row = []
        while k < len(lines) and lines[k].startswith("\t"):
            row.append(lines[k][1:])
            k += 1
        rows.append(row)
    return rows, k


def convert_to_pdf(paths: list[Path]) -> None:
    """Word → PDF with LibreOffice, in place of the Word files (one soffice run per folder)."""
    import re
    import shutil
    import subprocess
    import tempfile
    from collections import defaultdict

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("PDFs need LibreOffice: apt-get install libreoffice-writer-nogui fonts-noto-cjk")
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for p in paths:
        by_folder[p.parent].append(p)
    for folder, items in by_folder.items():
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless",
                            "--convert-to", "pdf", "--outdir", str(folder), *map(str, items)],
                           check=True, capture_output=True, timeout=600)
        for p in items:
            pdf = p.with_suffix(".pdf")
            data = re.sub(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})", rb"\g<1>20240120090000",
                          pdf.read_bytes())
            data = re.sub(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)(\d{4}-\d\d-\d\dT[\d:]{8})",
                          rb"\g<1>2024-01-20T09:00:00", data)
            pdf.write_bytes(data)
            p.unlink()
