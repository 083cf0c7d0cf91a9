"""Frictionless data packages (v2): one per agency-year, and one combined.

CSVs are UTF-8, numbers unformatted (exact decimals), null written as an empty cell.
Schemas are inlined from schemas/ so a downloaded package is self-contained. Zips (write_zip,
publish's too) date their entries from SOURCE_DATE_EPOCH or a constant, never the clock, so
two builds of the same content are byte-identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from nianbao import __version__, schemas
from nianbao import catalogue as cat
from nianbao.model import SEVERITY_ORDER, FileInfo, PackageInfo, Problem, Report
from nianbao.resolve import agency_type

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCES = ("active", "apply", "appeal", "values", "extra_rows", "problems")
# Used when SOURCE_DATE_EPOCH is not set: the earliest date a zip entry can carry.
DEFAULT_DATE = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
LEFT_BLANK = "left-blank"  # values.csv's blank_reason for a cell the report printed empty


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# ---------------------------------------------------------------- table rows


def table_rows(report: Report, table: str) -> list[list]:
    """A report's rows of one data table, in the column order of its schema."""
    template = cat.load().template(report.template) if report.template else None
    v = report.values
    if table == "problems":
        return [[report.source.rel, p.code, p.severity, p.kind, p.rule or "", " ".join(p.cells),
                 p.message, p.where] for p in report.problems]
    if template is None:
        return []
    if table == "active":
        return [[r.group, r.id, c.id, r.label, v.get(f"active.{r.id}.{c.id}")]
                for r in template.table_rows("active") for c in r.columns]
    if table == "apply":
        return [[r.id, r.label, *(v.get(f"apply.{r.id}.{c.id}") for c in r.columns)]
                for r in template.table_rows("apply")]
    if table == "appeal":
        return [[r.id, r.label, *(v.get(f"appeal.{r.id}.{c.id}") for c in r.columns)]
                for r in template.table_rows("appeal")]
    if table == "values":
        reasons = blank_reasons(report)
        return [[f, v.get(f), reasons.get(f, "" if v.get(f) is not None else LEFT_BLANK)]
                for f in template.field_ids]
    if table == "extra_rows":
        return [[e.table, e.parent, e.label, col, value]
                for e in report.extra_rows for col, value in e.values.items()]
    raise KeyError(table)


def blank_reasons(report: Report) -> dict[str, str]:
    """Each blank value's field → why it is blank: the code of the most severe parse problem
    naming its cell or its row ("apply.other_misc"), or left-blank when none does (the report
    printed it empty). The values table carries it, so a user can tell a blank the agency
    left from one the parser could not read without matching problems.csv's cells by hand."""
    named: dict[str, str] = {}
    for p in sorted(report.problems, key=lambda p: SEVERITY_ORDER.get(p.severity, 3)):
        if p.kind == "parse" and p.code != "rule-unread":  # rule-unread repeats the others
            for c in p.cells:
                named.setdefault(c, p.code)
    return {f: named.get(f) or named.get(f.rsplit(".", 1)[0]) or LEFT_BLANK
            for f, v in report.values.items() if v is None}


def report_key(report: Report) -> list:
    return [report.agency_id, report.agency, report.region.code, report.year, report.template]


def report_row(report: Report, original: str | None) -> list:
    r = report.region
    return [*report_key(report), r.province, r.city, r.county, agency_type(report),
            report.title, report.signed,
            original, report.sha256, report.source_url, report.format,
            len(report.errors), sum(p.severity == "warning" for p in report.problems)]


_CHUNK_ROWS = 20_000  # the combined tables are streamed to disk in chunks of this many rows


class RowCheck:
    """The build's fast, in-process validation: each row, as written, against its Table
    Schema's own rules (field count, integer, number, date, required, enum, pattern), in
    well under a millisecond per report. Frictionless validates the written packages in
    full in the tests and in `build.py validate`."""

    NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
    INTEGER = re.compile(r"[+-]?\d+")
    DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

    def __init__(self, schema: dict, table: str, limit: int = 20):
        self.table, self.limit = table, limit
        self.fields = schema["fields"]
        self.tests = []
        for i, f in enumerate(self.fields):
            cons = f.get("constraints", {})
            kind = f.get("type", "string")
            pattern = {"integer": self.INTEGER, "number": self.NUMBER, "date": self.DATE}.get(kind)
            own = re.compile(cons["pattern"]) if "pattern" in cons else None
            enum = set(cons["enum"]) if "enum" in cons else None
            self.tests.append((i, f["name"], kind, pattern, own, enum, cons.get("required", False)))
        self.errors: list[str] = []
        self.line = 1  # the header

    def __call__(self, row: list[str]) -> None:
        self.line += 1
        if len(self.errors) >= self.limit:
            return
        if len(row) != len(self.fields):
            self._fail(f"有 {len(row)} 列，应为 {len(self.fields)} 列")
            return
        for i, name, kind, pattern, own, enum, required in self.tests:
            value = row[i]
            if value == "":
                if required:
                    self._fail(f"{name} 不能为空")
                continue
            if pattern is not None and not pattern.fullmatch(value):
                self._fail(f"{name} = {value!r} 不是 {kind}")
            elif own is not None and not own.fullmatch(value):
                self._fail(f"{name} = {value!r} 不符合格式 {own.pattern}")
            elif enum is not None and value not in enum:
                self._fail(f"{name} = {value!r} 不在允许的取值中")
            if kind == "date" and pattern.fullmatch(value):
                try:
                    date.fromisoformat(value)
                except ValueError:
                    self._fail(f"{name} = {value!r} 不是有效日期")

    def _fail(self, message: str) -> None:
        self.errors.append(f"{self.table}.csv 第 {self.line} 行：{message}")


def package_problems(report: Report, package: PackageInfo) -> list[Problem]:
    """The package check's findings, as problems of the report (errors: the data package
    breaks its own schema, which is a bug of nianbao's, never the report's)."""
    return [Problem("package-invalid", "error", f"数据包不符合表结构（{m}）",
                    f"{package.path}{m.split(' ', 1)[0]}") for m in package.invalid]


def _chunks(rows):
    """Rows as pieces of _CHUNK_ROWS for _write_pieces: a table that is not kept an agency
    at a time (problems) is still never held in memory whole."""
    it = iter(rows)
    while chunk := list(itertools.islice(it, _CHUNK_ROWS)):
        yield None, chunk


def text_rows(rows):
    """Rows as their CSV cells' text (what the row check reads, too): cell(), with its two
    common cases inline (millions of calls)."""
    for row in rows:
        yield [x if type(x) is str else str(x) if type(x) is int else cell(x) for x in row]


def sha256(path: Path) -> str:
    """Read in chunks: the combined tables and the database run to hundreds of MB."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


_SCHEMAS: dict[str, tuple[tuple, dict]] = {}


def table_schema(name: str) -> dict:
    """schemas.load, read once per build rather than once per report and table: kept while
    the file's size and modification time stay the same (so `serve` sees edits)."""
    try:
        st = (schemas.SCHEMAS / name).stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        return schemas.load(name)
    hit = _SCHEMAS.get(name)
    if hit is None or hit[0] != stamp:
        hit = _SCHEMAS[name] = (stamp, schemas.load(name))
    return hit[1]


# ---------------------------------------------------------------- packages


def original_name(report: Report) -> str:
    return f"{report.agency_id}-{report.year}{report.source.path.suffix.lower() or '.txt'}"


def _resource(name: str, schema: dict, path: Path, rows: int, digest: str | None = None,
              size: int | None = None) -> dict:
    return {
        "name": name,  # as its file, schema and database table are named: extra_rows
        "type": "table",
        "title": schemas.TABLES[name],
        "path": path.name,
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "hash": f"sha256:{digest or sha256(path)}",
        "bytes": path.stat().st_size if size is None else size,
        "schema": schema,
        "nianbao:rows": rows,
    }


def _descriptor(name, title, description, config, resources, sources, page="") -> dict:
    """page: the package's own page below base_url (an agency-year's, data/ for all)."""
    lic = config.get("license", {})
    base = config.get("base_url")
    return {
        "$schema": PACKAGE_PROFILE,
        "name": name,
        "title": title,
        "description": description,
        "version": __version__,
        "homepage": base + page if base else base,
        "licenses": [{k: lic[k] for k in ("name", "path", "title") if k in lic}],
        "contributors": [{"title": config.get("publisher", "nianbao"), "roles": ["publisher"]}],
        "keywords": ["政府信息公开", "年度报告", "开放数据"],
        "sources": sources,
        "resources": resources,
    }


@dataclass
class PackageBytes:
    """An agency-year's package made in memory: each file's bytes once, so that its size and
    checksum, the workbook and the zip come from them, not from the files read back."""

    info: PackageInfo  # its listing: datapackage.json, the CSVs, the original, then the zip
    files: dict[str, bytes]  # name → content, in the listing's order (not the zip)
    descriptor: dict
    tables: list[tuple[str, dict, list[list]]]  # (table, schema, the values its CSV prints)


def package_bytes(report: Report, config: dict) -> PackageBytes:
    """The agency-year's package, every file in memory (the zip is left to the caller)."""
    rel = f"data/{report.agency_id}/{report.year}/"
    original = original_name(report)
    resources, files, invalid, tables, blobs = [], [], [], [], {}
    for table in RESOURCES:
        schema = table_schema(f"{table}.schema.json")
        check = RowCheck(schema, table)
        values = table_rows(report, table)
        rows = list(text_rows(values))
        for row in rows:
            check(row)
        invalid += check.errors
        data = blobs[f"{table}.csv"] = _csv_bytes(schema, rows)
        digest = hashlib.sha256(data).hexdigest()
        resources.append(_resource(table, schema, Path(f"{table}.csv"), len(rows), digest,
                                   len(data)))
        files.append(FileInfo(f"{table}.csv", len(data), len(rows), schemas.TABLES[table],
                              table, digest))
        tables.append((table, schema, values))
    source = {"title": f"原始报告（{report.source.rel}）", "path": original,
              "nianbao:sha256": report.sha256}
    if report.source_url:
        source["url"] = report.source_url
    title = f"{report.agency} {report.year} 年政府信息公开工作年度报告数据"
    description = (f"{report.agency}（{_region_text(report)}）{report.year} 年度政府信息公开工作年度报告"
                   f"中的表格数据，按 {report.template} 年模板逐项提取并校验勾稽关系。")
    descriptor = _descriptor(f"{report.agency_id}-{report.year}", title, description, config,
                             resources, [source], f"{quote(report.agency_id, safe='')}/{report.year}/")
    blobs = {"datapackage.json": (descriptor_json(descriptor) + "\n").encode("utf-8"), **blobs}
    blobs[original] = report.source.path.read_bytes()
    files.insert(0, file_info("datapackage.json", blobs["datapackage.json"],
                               "数据包描述（Frictionless Data Package v2）"))
    files.append(file_info(original, blobs[original], "原始报告文件"))
    zip_name = f"{report.agency_id}-{report.year}.zip"
    files.append(FileInfo(zip_name, 0, None, "以上全部文件的压缩包"))
    info = PackageInfo(rel, files, zip_name, invalid, title, description, descriptor["keywords"])
    return PackageBytes(info, blobs, descriptor, tables)


def file_info(name: str, data: bytes, title: str) -> FileInfo:
    """A file made in memory, listed with its size and checksum."""
    return FileInfo(name, len(data), None, title, sha256=hashlib.sha256(data).hexdigest())


def _csv_writer(buf: io.StringIO, schema: dict):
    """A CSV writer into buf, the header written: the one format of every CSV we write.
    UTF-8 with a byte-order mark: without one, Excel and WPS on a Chinese Windows read the
    file as GBK and every name comes out garbled; frictionless, pandas, R and SQLite's
    importers skip it."""
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([f["name"] for f in schema["fields"]])
    return writer


def _csv_bytes(schema: dict, rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    _csv_writer(buf, schema).writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        with open(folder / name, "wb") as fh:
            fh.write(data)


def package_report(report: Report, root: Path, config: dict) -> PackageInfo:
    """The agency-year's package folder, with its zip: the reference the build's
    publish.write_report_package is checked against (tests/test_scale.py)."""
    built = package_bytes(report, config)
    folder = root / built.info.path
    write_files(folder, built.files)
    write_zip(folder / built.info.zip_name, list(built.files.items()))
    built.info.files[-1].bytes = (folder / built.info.zip_name).stat().st_size
    return built.info


# Combined tables made whole every build, never copied from the last one an agency at a
# time: problems (every report's, published or not, in the files' order) and fields (the
# templates', not the reports').
REMADE = ("problems", "fields")


def package_combined(reports: list[Report], all_reports: list[Report], root: Path,
                     config: dict, *, zip: bool = True, previous: Previous | None = None,
                     layout: dict[str, list[list[int]]] | None = None) -> PackageInfo:
    """data/all: every table of every report, one CSV each. previous: the last build's, to
    copy the unchanged agencies' rows from. layout: filled with where each agency's rows
    lie in each table (Previous.rows), for the next build."""
    folder = root / "data" / "all"
    folder.mkdir(parents=True, exist_ok=True)
    resources, files = [], []
    for table in (*RESOURCES, *schemas.COMBINED_ONLY):
        schema = table_schema(f"all/{table}.schema.json")
        path = folder / f"{table}.csv"
        if table in REMADE:
            old, pieces = None, _chunks(combined_rows(table, reports, all_reports))
        else:
            old = previous if previous and previous.intact(f"{table}.csv") else None
            pieces = combined_pieces(table, reports, old, originals_url(config))
        count, digest, size, spans = _write_pieces(path, schema, pieces, old)
        if layout is not None and table not in REMADE:
            layout[table] = spans
        resources.append(_resource(table, schema, path, count, digest, size))
        files.append(FileInfo(path.name, size, count, schemas.TABLES[table], table, digest))
    years = sorted({r.year for r in reports})
    span = f"{years[0]}—{years[-1]}" if years else ""
    descriptor = _descriptor(
        "nianbao-all", f"政府信息公开工作年度报告数据（全部 {len(reports)} 份）",
        f"{len({r.agency_id for r in reports})} 个机关 {span} 年度报告的表格数据合集，"
        "每张表一个 CSV，带机关、地区代码、年度和模板列。",
        config, resources,
        [{"title": "各机关发布的政府信息公开工作年度报告", "path": "reports.csv"}], "data/")
    _write_json(folder / "datapackage.json", descriptor)
    files.insert(0, FileInfo("datapackage.json", (folder / "datapackage.json").stat().st_size,
                             None, "数据包描述（Frictionless Data Package v2）"))
    zip_name = "nianbao-all.zip"
    if zip:
        write_zip(folder / zip_name, [(f.name, folder / f.name) for f in files])
    files.append(FileInfo(zip_name, (folder / zip_name).stat().st_size if zip else 0, None,
                          "以上全部文件的压缩包"))
    return PackageInfo("data/all/", files, zip_name, [], descriptor["title"],
                       descriptor["description"], descriptor["keywords"])


def originals_url(config: dict) -> str:
    """Where reports.csv says the original files are: an absolute address under the files'
    (or the site's) base URL, so that the link works in the zip and the database too; a
    path relative to data/all/ when the site has no base URL."""
    base = config.get("files_base_url") or config.get("base_url")
    return base + "data/" if base else "../"


def combined_rows(table: str, reports: list[Report], all_reports: list[Report],
                  originals: str = "../"):
    """A combined table's rows, one report after another (problems: of every report, published
    or not), each led by its report's key columns. originals: see originals_url."""
    if table == "reports":
        return (report_row(r, f"{originals}{quote(r.agency_id, safe='')}/{r.year}/"
                              f"{quote(original_name(r))}") for r in reports)
    if table == "fields":  # the templates', not the reports'
        return iter(schemas.field_rows())
    if table == "problems":
        return (report_key(r) + row for r in all_reports for row in table_rows(r, table))
    return (report_key(r) + row for r in reports for row in table_rows(r, table))


# ---------------------------------------------------------------- the previous build's tables


@dataclass
class Copied:
    """One agency's rows as the previous build wrote them: rows [first, first + count) of
    its table (0-based, after the header), bytes [offset, offset + size) of its CSV (after
    the header line)."""
    first: int
    count: int
    offset: int
    size: int


@dataclass
class Previous:
    """The previous build's combined tables, for an incremental build: the rows of the
    agencies in `keep` (whose reports did not change) are copied from its CSVs and database
    rather than made again (at 10,000 reports, making them all takes 8 s for the CSVs and
    10 s for the database; one agency changed, copying takes ~1 s and ~4 s).

    folder: its data/all/; agencies: in the order their rows lie in every table but
    problems; rows: table → each agency's [rows, bytes]; sha256: file (as the combined
    package names it) → its digest as written, so a file changed since is not copied from."""
    folder: Path
    agencies: list[str]
    rows: dict[str, list[list[int]]]
    sha256: dict[str, str]
    keep: frozenset[str]

    def spans(self, table: str) -> dict[str, Copied]:
        out, first, offset = {}, 0, 0
        for agency, (count, size) in zip(self.agencies, self.rows.get(table, ())):
            if agency in self.keep:
                out[agency] = Copied(first, count, offset, size)
            first, offset = first + count, offset + size
        return out

    def intact(self, name: str) -> bool:
        """The file is what the previous build wrote (read whole: hundreds of MB, ~0.3 s)."""
        want = self.sha256.get(name)
        try:
            return want is not None and sha256(self.folder / name) == want
        except OSError:
            return False


def combined_pieces(table: str, reports: list[Report], previous: Previous | None,
                    originals: str = "../"):
    """A combined table (not problems) an agency at a time: (agency, its rows, or Copied
    when previous has them)."""
    spans = previous.spans(table) if previous else {}
    for agency, group in itertools.groupby(reports, key=lambda r: r.agency_id):
        if agency in spans:
            yield agency, spans[agency]
        else:
            yield agency, list(combined_rows(table, list(group), [], originals))


def _write_pieces(path: Path, schema: dict, pieces, previous: Previous | None
                  ) -> tuple[int, str, int, list[list[int]]]:
    """Write a combined table's CSV a piece at a time (combined_pieces, or _chunks): rows,
    or Copied from the previous build's file of the same name. Returns (rows, sha256,
    bytes), computed while writing, and each piece's [rows, bytes]."""
    digest = hashlib.sha256()
    spans: list[list[int]] = []
    buf = io.StringIO()
    writer = _csv_writer(buf, schema)
    head = buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    digest.update(head)
    size = len(head)
    count = 0
    with ExitStack() as stack, open(path, "wb") as fh:
        old = stack.enter_context(open(previous.folder / path.name, "rb")) if previous else None
        fh.write(head)
        for _, piece in pieces:
            if isinstance(piece, Copied):
                old.seek(len(head) + piece.offset)
                data = old.read(piece.size)
                rows = piece.count
            else:
                writer.writerows(text_rows(piece))
                data = buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
                rows = len(piece)
            digest.update(data)
            fh.write(data)
            size += len(data)
            count += rows
            spans.append([rows, len(data)])
    return count, digest.hexdigest(), size, spans


def _region_text(report: Report) -> str:
    r = report.region
    parts = [r.province, r.city if r.city != r.province else None, r.county]
    return "".join(p for p in parts if p) or "地区未定"


def _write_json(path: Path, data: dict) -> None:
    path.write_text(descriptor_json(data) + "\n", encoding="utf-8")


_SCHEMA_TEXT: dict[int, tuple[dict, str]] = {}


def descriptor_json(descriptor: dict) -> str:
    """json.dumps(descriptor, ensure_ascii=False, indent=2), the resources' Table Schemas
    encoded once per build: with an indent, json falls back to its pure-Python encoder, and
    the schemas, the same in every package, are most of a descriptor (1.3 ms a package)."""
    marks: dict[str, str] = {}
    resources = []
    for i, resource in enumerate(descriptor.get("resources", [])):
        schema = resource.get("schema")
        if not isinstance(schema, dict):
            resources.append(resource)
            continue
        hit = _SCHEMA_TEXT.get(id(schema))
        if hit is None or hit[0] is not schema:
            # The schema's place: resources (depth 2) → resource (3) → "schema", so its
            # inner lines are indented by three levels more than dumps gives them alone.
            text = json.dumps(schema, ensure_ascii=False, indent=2).replace("\n", "\n      ")
            if len(_SCHEMA_TEXT) > 64:  # schemas come from _schema's cache: a handful
                _SCHEMA_TEXT.clear()
            hit = _SCHEMA_TEXT[id(schema)] = (schema, text)
        mark = f"\x00schema {i}\x00"
        marks[json.dumps(mark)] = hit[1]
        resources.append({**resource, "schema": mark})
    text = json.dumps({**descriptor, "resources": resources} if marks else descriptor,
                      ensure_ascii=False, indent=2)
    for mark, schema_text in marks.items():
        text = text.replace(mark, schema_text, 1)
    return text


# ---------------------------------------------------------------- dates and zips


def build_date() -> dt.datetime:
    """The one timestamp files carry: SOURCE_DATE_EPOCH (reproducible-builds.org) or a constant."""
    try:
        return dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return DEFAULT_DATE


def _zip_date() -> tuple:
    when = min(max(build_date(), DEFAULT_DATE), dt.datetime(2107, 12, 31, tzinfo=dt.UTC))
    return when.timetuple()[:6]


# Members that are compressed already (a workbook is a zip): stored as they are. Deflating
# an agency-year's 15 kB workbook again saved 7% of it and took a third of its zip's time.
STORED = (".xlsx", ".docx", ".zip", ".pdf", ".png", ".jpg", ".jpeg", ".gz")


def write_zip(target: Path | BinaryIO, members: list[tuple[str, Path | bytes]], level: int = 1,
              append: bool = False) -> None:
    """A zip whose bytes depend only on its members: fixed dates, modes and order.
    level: deflate's, 1 (fast) to 9 (small). Level 1 is half the time of 6 on an
    agency-year's package (0.24 against 0.49 ms) for a zip 3% larger, and three times
    faster on the hundreds of MB of the combined tables.
    append: add the members after those of the zip at target."""
    date = _zip_date()
    with zipfile.ZipFile(target, "a" if append else "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = (zipfile.ZIP_STORED if name.lower().endswith(STORED)
                                  else zipfile.ZIP_DEFLATED)
            try:
                info.compress_level = level  # Python 3.13+
            except AttributeError:
                info._compresslevel = level  # 3.11, 3.12
            info.external_attr = 0o644 << 16
            if isinstance(content, bytes):
                zf.writestr(info, content)
                continue
            # Streamed: a national corpus's combined tables and database are hundreds of MB.
            info.file_size = content.stat().st_size  # zipfile picks zip64 from it
            with content.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
