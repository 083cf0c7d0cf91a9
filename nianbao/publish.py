"""Publish the packaged data the way open-data portals do.

Runs after packaging and before rendering (so /data/ can list every file added here with its
size) and writes, from the CSVs just packaged, so every format holds exactly the same numbers:

- Excel workbooks, because most readers open data in Excel or WPS and CSV encodings trip them:
  one per agency-year (``data/<id>/<year>/<id>-<year>.xlsx``) and ``data/all/nianbao-all.xlsx``;
- ``data/nianbao.db``, one SQLite database of everything, documented in ``data/nianbao-db.md``;
- ``data/nianbao-data.zip``, all the data in one download: the combined package (every table
  of every report), its workbook and the database (per-report packages and original files are
  not repeated in it: at national scale they would double the site);
- ``catalog.jsonld`` (DCAT 3 / DCAT-AP 3), ``robots.txt`` and the Atom feed ``feed.xml`` at
  the site root, with absolute URLs from ``base_url`` (env NIANBAO_BASE_URL wins, so the Pages
  workflow can pass the address GitHub gives the site); ``sitemap.xml`` too, written after
  rendering by ``write_sitemaps``, as it lists the pages render wrote.

Nothing depends on the clock: zip entries, workbook properties and feed dates come from the
data, from SOURCE_DATE_EPOCH, or from a constant, so two builds of one content are byte-identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import json
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urljoin, urlsplit
from xml.etree import ElementTree as ET

from nianbao import __version__, schemas, xlsx
from nianbao.model import FileInfo, PackageInfo, Report, Site
from nianbao.package import (
    PACKAGE_PROFILE,
    RESOURCES,
    Copied,
    build_date,
    cell,
    file_info,
    original_name,
    package_bytes,
    sha256,
    table_schema,
    write_files,
    write_zip,
)

DB_NAME = "nianbao.db"
DB_DOC_NAME = "nianbao-db.md"
DATA_ZIP_NAME = "nianbao-data.zip"
COMBINED_XLSX = "nianbao-all.xlsx"
SITE_PAGES = ("", "data/", "quality/", "search/", "about/", "compare/")
FEED_ENTRIES = 100  # newest reports in feed.xml; the catalogue and sitemap list every one

XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's sheet limit, less the header row
# The combined workbook is left out past this many rows in all (about 330 reports): Excel
# grows slow to open and filter well before its 1,048,576-row sheet limit, and writing it was
# the largest single cost of a big build (25 s for 2,000 reports).
# The combined CSVs and the SQLite database hold the same data at any size.
WORKBOOK_MAX_ROWS = 100_000
WORKBOOK_TITLE = "全部表格的 Excel 工作簿（每张表一个工作表，另有“说明”）"

FORMULA_START = xlsx.FORMULA_START
XML_ILLEGAL = xlsx.XML_ILLEGAL  # also for Atom and sitemaps

ZH = "zh-CN"


# ---------------------------------------------------------------- settings


def base_url(config: dict) -> str:
    """The site's absolute address, ending in "/": env NIANBAO_BASE_URL, else site.yaml."""
    url = os.environ.get("NIANBAO_BASE_URL") or config.get("base_url") or "http://localhost/"
    return url if url.endswith("/") else url + "/"


def placeholder_address(url: str) -> bool:
    """An address no reader can follow: the bundled site.yaml's example.github.io, an
    example domain (RFC 2606) or the localhost the build falls back to."""
    host = urlsplit(url).hostname or ""
    return host == "localhost" or bool(re.search(r"(?:^|\.)example(?:\.(?:com|org|net|github\.io))?$", host))


# ---------------------------------------------------------------- entry point


def publish(site: Site, root: Path) -> None:
    """Write every download and metadata file into the staging site root."""
    base = base_url(site.config)
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for report in site.reports:
        package = site.packages.get((report.agency_id, report.year))
        if package is not None:
            _package_workbook(root, package, f"{report.agency_id}-{report.year}.xlsx", "",
                              page_url(base, report.agency_id, report.year))
    if site.combined is not None:
        _package_workbook(root, site.combined, COMBINED_XLSX, "all/", page_url(base, "data"),
                          workbook_max_rows(site.config))
    write_database(data / DB_NAME, site.config)
    write_data_zip(data / DATA_ZIP_NAME, data)
    list_bulk_files(site, data)
    write_catalog(root, catalog(site, root, base))
    (root / "robots.txt").write_text(robots(base), encoding="utf-8")
    (root / "feed.xml").write_bytes(feed(site, base))


BULK_FILES = ((DB_NAME, "全部数据的 SQLite 数据库"),
              (DB_DOC_NAME, "SQLite 数据库说明（表、列、索引、示例查询）"),
              (DATA_ZIP_NAME, "全部数据的压缩包：合集数据包和 SQLite 数据库"))


def list_bulk_files(site: Site, data: Path) -> None:
    """The database, its guide and the data zip, listed with the combined package (whose
    file names are relative to data/all/)."""
    if site.combined is not None:
        for name, title in BULK_FILES:
            site.combined.files.append(
                FileInfo(f"../{name}", (data / name).stat().st_size, None, title))


# ---------------------------------------------------------------- reading the CSVs back


def read_table(path: Path, schema: dict) -> list[list[str]]:
    """The CSV's data rows as text, after checking its header is the schema's."""
    return list(iter_table(path, schema))


def iter_table(path: Path, schema: dict):
    """read_table, a row at a time (the combined tables of a national corpus are large)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        names = [field["name"] for field in schema["fields"]]
        if next(reader, None) != names:
            raise ValueError(f"{path}: header is not the schema's {names}")
        yield from reader


_INTEGER = re.compile(r"[+-]?\d+").fullmatch


def number(text: str) -> int | Decimal:
    """A schema "number" as printed: integers stay integers, amounts exact decimals."""
    return int(text) if _INTEGER(text) else Decimal(text)


def _xlsx_value(text: str, kind: str):
    if text == "":
        return None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return number(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
    except (ValueError, InvalidOperation):
        pass  # not what the schema says: keep the text rather than lose it
    return text


def _sql_value(text: str, kind: str):
    """Counts as INTEGER, amounts as REAL (see DB_DOC), dates and text as TEXT, blank as NULL.

    Amounts go in as REAL, not TEXT, so SUM, AVG and comparisons work in SQL. That is exact in
    practice: a double gives back any decimal of up to 15 significant digits as printed, and the
    amounts (万元, a few decimals) have far fewer; the CSVs keep the printed text regardless.
    (TEXT would not survive anyway: SQLite's NUMERIC affinity turns numeric text into REAL.)
    """
    if text == "":
        return None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            value = number(text)
            return value if isinstance(value, int) else float(value)
    except (ValueError, InvalidOperation):
        pass  # not what the schema says: keep the text rather than lose it
    return text


_NUMBER_KINDS = ("integer", "number")


def _typed(rows, kinds: list[str], of_text, converted: tuple[str, ...]):
    """Each cell as of_text(its CSV text, kind) makes it. rows may be that text, or the
    values the CSV is printed from (ints, Decimals, text, None): counts and blanks then go
    in as they are, which is what their text gives back, without being printed and parsed
    back (a national corpus has tens of millions). Text in a column whose kind is not
    `converted` is what of_text gives back too, so it goes in without the call."""
    as_is = [kind not in converted for kind in kinds]
    counts = [kind in _NUMBER_KINDS for kind in kinds]
    for row in rows:
        yield [x if x is None or (x and plain if type(x) is str else type(x) is int and count)
               else of_text(x if type(x) is str else cell(x), kind)
               for x, kind, plain, count in zip(row, kinds, as_is, counts)]


def _sql_rows(rows, kinds: list[str]):
    """Rows for the database (the build passes the combined tables' values)."""
    return _typed(rows, kinds, _sql_value, _NUMBER_KINDS)


# ---------------------------------------------------------------- Excel


xlsx_text = xlsx.text


def _typed_rows(rows: list[list], kinds: list[str]):
    """Rows for a sheet (an agency-year's workbook is made from its tables' values)."""
    return _typed(rows, kinds, _xlsx_value, (*_NUMBER_KINDS, "date"))


def _column_width(name: str, values: Iterable) -> int:
    """The width of a column's widest CSV text, its name included, in columns (CJK
    characters are two); values may be that text or the values it prints."""
    texts = [name, *(v if type(v) is str else str(v) if type(v) is int else cell(v)
                     for v in values)]
    if "".join(texts).isascii():  # numbers and IDs: one test for the column
        return max(map(len, texts))
    return max(len(t) if t.isascii() else _wide_width(t) for t in texts)


@functools.lru_cache(maxsize=4096)
def _wide_width(text: str) -> int:
    """Cached: the non-ASCII texts of a workbook's columns are mostly the forms' row and
    column labels, the same in every agency-year's workbook."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def workbook_max_rows(config: dict) -> int:
    """`combined_workbook_max_rows` in site.yaml, else WORKBOOK_MAX_ROWS."""
    try:
        return int(config.get("combined_workbook_max_rows", WORKBOOK_MAX_ROWS))
    except (TypeError, ValueError):
        return WORKBOOK_MAX_ROWS


def _package_workbook(root: Path, package: PackageInfo, name: str, kind: str,
                      landing: str, max_rows: int = WORKBOOK_MAX_ROWS) -> None:
    """One workbook of a package's tables, listed before the package zip, which is then
    written with it inside. No workbook for a combined package past max_rows."""
    folder = root / package.path
    zipped = [f for f in package.files if f.name == package.zip_name]
    if not kind or sum(f.rows or 0 for f in package.files) <= max_rows:
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        sheets = []
        for table in (*RESOURCES, *schemas.COMBINED_ONLY) if kind else RESOURCES:
            schema = table_schema(f"{kind}{table}.schema.json")
            sheets.append((table, schema, read_table(folder / f"{table}.csv", schema)))
        write_xlsx(folder / name, sheets, _about(descriptor, sheets, landing))
        info = FileInfo(name, (folder / name).stat().st_size, None, WORKBOOK_TITLE)
        package.files.insert(package.files.index(zipped[0]) if zipped else len(package.files),
                             info)
    if zipped:
        members = [f.name for f in package.files if f.name != package.zip_name]
        write_zip(folder / package.zip_name, [(m, folder / m) for m in members])
        zipped[0].bytes = (folder / package.zip_name).stat().st_size


def write_report_package(report: Report, root: Path, config: dict, landing: str) -> PackageInfo:
    """An agency-year's package, workbook and zip, as package_report and _package_workbook
    make them, but each file made once in memory and written once: nothing is read back
    (at 10,000 reports that was ~2 ms a report of opening, parsing and hashing files)."""
    built = package_bytes(report, config)
    info, files = built.info, dict(built.files)
    name = f"{report.agency_id}-{report.year}.xlsx"
    buf = io.BytesIO()
    write_xlsx(buf, built.tables, _about(built.descriptor, built.tables, landing))
    files[name] = buf.getvalue()
    info.files.insert(len(info.files) - 1, file_info(name, files[name], WORKBOOK_TITLE))
    buf = io.BytesIO()
    write_zip(buf, list(files.items()))
    files[info.zip_name] = buf.getvalue()
    info.files[-1] = file_info(info.zip_name, files[info.zip_name], info.files[-1].title)
    write_files(root / info.path, files)
    return info


def _about(descriptor: dict, sheets: list, landing: str) -> list[list]:
    """The 说明 sheet: what the workbook is, its licence and source, and every column."""
    lic = (descriptor.get("licenses") or [{}])[0]
    rows = [
        ["标题", descriptor.get("title", "")],
        ["说明", descriptor.get("description", "")],
        ["许可协议", " ".join(x for x in (lic.get("title"), lic.get("path")) if x)
         or lic.get("name", "")],
    ]
    for source in descriptor.get("sources", []):
        rows.append(["来源", " ".join(x for x in (source.get("title"), source.get("url")) if x)])
    rows += [
        ["网址", landing],
        ["版本", f"nianbao {descriptor.get('version', __version__)}"],
        ["注意", "数值空白不是 0：可能是报告中此格空着，也可能是未能读出，values 表的 blank_reason "
                 "列说明是哪一种（left-blank 为报告空着，其他为 problems 表中的问题代码）；"
                 "以 = + - @ 开头的文字按文本保存，不是公式。"],
        [],
        ["工作表", "列", "中文名", "类型", "说明"],
    ]
    for table, schema, _rows in sheets:
        rows.append([table, "", schemas.TABLES.get(table, ""), "", ""])
        for field in schema["fields"]:
            rows.append([table, field["name"], field.get("title", ""), field.get("type", ""),
                         field.get("description", "")])
    return rows


def write_xlsx(path: Path | BinaryIO, sheets: list[tuple[str, dict, list[list]]],
               about: list[list]) -> None:
    """A workbook with a 说明 sheet and one sheet per (name, schema, rows): the rows of a
    CSV as text, or the values it prints (see _typed_rows); the same workbook either way.

    Header bold and frozen, with a filter; numbers as numbers, blanks as empty cells; text
    that starts like a formula stored as text with Excel's quote prefix (as if typed after an
    apostrophe), so it shows exactly and stays text even when edited. (Why our own writer:
    nianbao/xlsx.py.)
    """
    dictionary = False  # the column dictionary follows the first empty row
    notes = []
    for row in about:
        dictionary = dictionary or not row
        bold = row and row[0] == "工作表"
        notes.append([xlsx.Bold(v) if bold or (j == 0 and not dictionary) else v
                      for j, v in enumerate(row)])
    parts = [xlsx.Sheet("说明", notes, widths=[12, 24, 40, 10, 50])]  # long values overflow
    for name, schema, rows in sheets:
        fields = schema["fields"]
        kinds = [f.get("type", "string") for f in fields]
        chunks = [rows[i:i + XLSX_MAX_ROWS] for i in range(0, len(rows), XLSX_MAX_ROWS)] or [[]]
        for n, chunk in enumerate(chunks, 1):
            widths = []
            for col, field in enumerate(fields):
                width = _column_width(field["name"], (r[col] for r in chunk[:200] if col < len(r)))
                widths.append(min(max(width + 2, 8), 60))
            body = _typed_rows(chunk, kinds)  # rows are typed as the sheet is written
            parts.append(xlsx.Sheet(name if n == 1 else f"{name}_{n}",
                                    itertools.chain([[xlsx.Bold(f["name"]) for f in fields]], body),
                                    widths=widths, header=True))
    title = str(about[0][1]) if about and len(about[0]) > 1 else ""
    xlsx.write(path, parts, title=title, author="nianbao",
               created=build_date().replace(tzinfo=None))


# ---------------------------------------------------------------- zips


def write_data_zip(target: Path, data: Path, part: str | None = None) -> None:
    """The combined package (data/all/, but its own zip), the database and its guide, in one
    folder. part: "tables" writes the zip with the combined package only, "database" then
    appends the database and its guide, so the build can zip the tables while the database
    is still being written (the same bytes as both at once)."""
    members = []
    if part in (None, "tables"):
        members += sorted(p for p in (data / "all").rglob("*")
                          if p.is_file() and p.suffix.lower() != ".zip")
    if part in (None, "database"):
        members += [p for p in (data / DB_NAME, data / DB_DOC_NAME) if p.is_file()]
    write_zip(target, [(f"nianbao-data/{p.relative_to(data).as_posix()}", p) for p in members],
              append=part == "database")


# ---------------------------------------------------------------- SQLite

_SQL_TYPES = {"integer": "INTEGER", "number": "NUMERIC", "date": "TEXT", "string": "TEXT"}

DB_DOC = """\
# nianbao.db：全部数据的 SQLite 数据库

{title}的全部表格数据，与 `data/all/` 中的 CSV 逐行逐格相同：每张数据表一个 SQL 表，另有
`reports`（每个机关年度一行）。每张数据表都带报告键列 `agency_id`、`agency`、`region_code`
（GB/T 2260 行政区划代码）、`year`、`template`，可直接与 `reports` 连接。

- 许可协议：{license}
- 发布者：{publisher}
- 网址：{base}
- 生成：nianbao {version}

## 怎样打开

```sh
sqlite3 nianbao.db          # 命令行
datasette nianbao.db        # 在浏览器里浏览、筛选、写 SQL（pip install datasette）
```

DB Browser for SQLite、DBeaver、Python（`sqlite3`）、R（`RSQLite`）、pandas
（`pd.read_sql("SELECT * FROM apply", sqlite3.connect("nianbao.db"))`）都可以直接打开。

## 数值怎样存

- 件数（表三、表四各列，schema 类型为 integer）是 INTEGER。
- 数值列（`value`，schema 类型为 number）声明为 NUMERIC：整数存为 INTEGER，万元金额等小数存为
  REAL。双精度浮点数能原样还原不超过 15 位有效数字的小数，报告中的金额只有几位小数，
  读出的值与报告印的数字相同（CSV 则保留原文）。
- 报告中空白（没有填写）的单元格是 NULL，不是 0。`"values"` 表的 `blank_reason` 说明为什么空：
  `left-blank` 是报告本来就空着，其他是 problems 表中说明该格的问题代码（如 `row-missing`）。
- 日期（`signed`）是 ISO 8601 文本（YYYY-MM-DD）。

`value` 列的 SUM 等计算使用浮点数；需要精确小数时请用 CSV（小数按原文）或在程序里用十进制类型。

## 索引

{indexes}

## 示例查询

```sql
-- 各机关每年新收政府信息公开申请总数
SELECT agency, year, total FROM apply WHERE "row" = 'new' ORDER BY agency_id, year;

-- 某一字段在各报告中的数值
SELECT agency_id, year, value FROM "values" WHERE field_id = 'apply.new.total';

-- 空白的字段各有多少是报告没填、多少是解析不了
SELECT blank_reason, count(*) FROM "values" WHERE value IS NULL GROUP BY blank_reason;

-- 报告自身勾稽关系不符的地方
SELECT agency, year, rule, message FROM problems WHERE kind = 'report' AND severity = 'error';
```

{keywords} 是 SQL 关键字，作列名或表名时请加双引号（如 `SELECT "where" FROM problems`）。

## 表与列

{tables}
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _comment(text: str) -> str:
    return " ".join(text.split())


def _tables() -> list[tuple[str, dict]]:
    return [(t, schemas.load(f"all/{t}.schema.json")) for t in ("reports", *RESOURCES, "fields")]


def _create_sql(table: str, schema: dict) -> str:
    """CREATE TABLE with each column's Chinese title as a comment: SQLite keeps the text, so
    `.schema` and datasette show it."""
    names = [f["name"] for f in schema["fields"]]
    lines = []
    for f in schema["fields"]:
        null = " NOT NULL" if f.get("constraints", {}).get("required") else ""
        lines.append(f"  {_q(f['name'])} {_SQL_TYPES.get(f.get('type'), 'TEXT')}{null}, "
                     f"-- {_comment(f.get('title', ''))}")
    if table == "reports":
        lines.append("  PRIMARY KEY (agency_id, year)")
    elif table == "fields":
        lines.append("  PRIMARY KEY (template, field_id)")
    elif table != "problems" and {"agency_id", "year"} <= set(names):
        # Problems also cover reports that were not published, so they have no parent row.
        lines.append("  FOREIGN KEY (agency_id, year) REFERENCES reports (agency_id, year)")
    else:
        lines[-1] = lines[-1].replace(", --", " --", 1)
    body = "\n".join(lines)
    return f"CREATE TABLE {_q(table)} ( -- {_comment(schemas.TABLES[table])}\n{body}\n)"


def _indexes(table: str, schema: dict) -> list[tuple[str, list[str]]]:
    names = {f["name"] for f in schema["fields"]}
    out = []
    if table != "reports" and {"agency_id", "year"} <= names:
        out.append((f"{table}_report", ["agency_id", "year"]))
    if "field_id" in names:
        out.append((f"{table}_field_id", ["field_id"]))
    if table == "reports":
        out.append(("reports_region_code", ["region_code"]))
    return out


def write_database(path: Path, config: dict, rows=None, previous: Path | None = None) -> None:
    """data/all's CSVs as one SQLite database, and its documentation beside it.

    rows(table, schema): the table's rows, when not read from the CSV: as its text or the
    values it is printed from (the build makes them from the reports, so the database need
    not wait for the CSVs). Items may also be package.Copied: those rows of the same table
    in the database `previous` (the last build's), copied as they are. Rows go in in the
    same order either way, so the file is the same bytes as one made afresh."""
    path.unlink(missing_ok=True)
    folder = path.parent / "all"
    rows = rows or (lambda table, schema: iter_table(folder / f"{table}.csv", schema))
    counts, index_lines = {}, []
    con = sqlite3.connect(path, uri=True)  # uri: so ATTACH takes a read-only URI
    try:
        # A new file in staging: no rollback journal, no fsync (a failed build discards it).
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        if previous is not None:
            con.execute("ATTACH DATABASE ? AS old", (previous.resolve().as_uri() + "?mode=ro",))
        for table, schema in _tables():
            con.execute(_create_sql(table, schema))
            kinds = [f.get("type", "string") for f in schema["fields"]]
            insert = f"INSERT INTO {_q(table)} VALUES ({', '.join('?' * len(kinds))})"
            copy = (f"INSERT INTO {_q(table)} SELECT * FROM old.{_q(table)} "
                    "WHERE rowid BETWEEN ? AND ?")
            count = 0

            def counted(rows):
                nonlocal count
                for row in rows:
                    count += 1
                    yield row

            items = rows(table, schema)
            runs = itertools.groupby(items, key=lambda x: type(x) is Copied) \
                if previous is not None else [(False, items)]
            for copied, run in runs:
                if copied:
                    for first, last in _ranges(run):
                        con.execute(copy, (first + 1, last))
                        count += last - first
                else:
                    con.executemany(insert, _sql_rows(counted(run), kinds))
            counts[table] = count
            for name, columns in _indexes(table, schema):
                cols = ", ".join(_q(c) for c in columns)
                con.execute(f"CREATE INDEX {_q('idx_' + name)} ON {_q(table)} ({cols})")
                index_lines.append(f"- `{table}` ({', '.join(columns)})")
        con.commit()
        if previous is not None:
            con.execute("DETACH DATABASE old")
    finally:
        con.close()
    doc = _database_doc(config, counts, index_lines)
    (path.parent / DB_DOC_NAME).write_text(doc, encoding="utf-8")


def _ranges(copied):
    """Copied pieces as (first, last) row ranges (0-based, last exclusive), runs that
    follow on from each other joined: one statement copies them all."""
    first = last = None
    for c in copied:
        if c.first != last:
            if first is not None:
                yield first, last
            first = c.first
        last = c.first + c.count
    if first is not None:
        yield first, last


def _database_doc(config: dict, counts: dict, index_lines: list[str]) -> str:
    lic = config.get("license", {})
    parts = []
    for table, schema in _tables():
        parts.append(f"### `{table}`：{schemas.TABLES[table]}（{counts[table]} 行）\n\n"
                     "| 列 | 类型 | 中文名 | 说明 |\n| --- | --- | --- | --- |")
        for f in schema["fields"]:
            cells = [f"`{f['name']}`", _SQL_TYPES.get(f.get("type"), "TEXT"),
                     f.get("title", ""), f.get("description", "")]
            parts[-1] += "\n| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    return DB_DOC.format(
        title=config.get("title", "政府信息公开工作年度报告"),
        license=" ".join(x for x in (lic.get("title"), lic.get("path")) if x) or lic.get("name", ""),
        publisher=config.get("publisher", "nianbao"),
        base=base_url(config),
        version=__version__,
        indexes="\n".join(["- `reports` 主键 (agency_id, year)", *index_lines]),
        keywords="、".join(f"`{n}`" for n in _reserved_names()),
        tables="\n\n".join(parts),
    )


# SQL keywords SQLite will not take as a bare name (of those one might give a table or column)
SQL_KEYWORDS = frozenset({"check", "column", "default", "from", "group", "index", "key",
                          "order", "references", "row", "select", "table", "values", "where"})


def _reserved_names() -> list[str]:
    """The tables' and columns' names that are SQL keywords: they need double quotes."""
    names = dict.fromkeys(n for table, schema in _tables()
                          for n in (table, *(f["name"] for f in schema["fields"])))
    return [n for n in names if n in SQL_KEYWORDS]


# ---------------------------------------------------------------- DCAT catalogue

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
# suffix → (IANA media type, EU file-type code or None)
FORMATS = {
    ".csv": ("text/csv", "CSV"),
    ".json": ("application/json", "JSON"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    ".zip": ("application/zip", "ZIP"),
    ".txt": ("text/plain", "TXT"),
    ".pdf": ("application/pdf", "PDF"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
    ".doc": ("application/msword", "DOC"),
    ".html": ("text/html", "HTML"),
    ".htm": ("text/html", "HTML"),
    ".db": ("application/vnd.sqlite3", None),
    ".md": ("text/markdown", None),
}


def _zh(text: str) -> dict:
    return {"@value": text, "@language": ZH}


def _date(value: str) -> dict:
    return {"@value": value, "@type": "xsd:date"}


def page_url(base: str, *parts) -> str:
    return base + "".join(quote(str(p), safe="") + "/" for p in parts)


def region_name(report: Report) -> str:
    r = report.region
    names = [r.province, r.city if r.city != r.province else None, r.county]
    return "".join(n for n in names if n)


# The original report is the agency's work, republished as it is: the data's licence is not
# its licence (the site's footer says the same).
ORIGINAL_RIGHTS = {"@type": "dct:RightsStatement",
                   "rdfs:label": {"@value": "原始报告的著作权归发布机关，本站按原样转载", "@language": "zh"}}


def _distributions(base: str, root: Path, package: PackageInfo, lic,
                   original: str | None = None) -> list[dict]:
    """A package's files. Sizes are the build's own (FileInfo.bytes, kept up to date as the
    workbook and zip are added): the catalogue stats and reads nothing it wrote itself.
    original: the name of the report's own file, which the data's licence does not cover
    (nor the part of the zip that holds it)."""
    folder = urljoin(base, package.path)
    out = []
    for info in package.files:
        dist = _distribution(folder, root, package.path, info,
                             None if info.name == original else lic)
        if original and info.name in (original, package.zip_name):
            dist["dct:rights"] = ORIGINAL_RIGHTS
        out.append(dist)
    return out


def _distribution(folder_url: str, root: Path, path: str, info: FileInfo, lic) -> dict:
    # A plain file name joins by concatenation, and names are split as text: urljoin and
    # pathlib, 100,000 times, were seconds.
    url = urljoin(folder_url, info.name) if "/" in info.name else folder_url + info.name
    name = info.name.rpartition("/")[2]
    media, code = FORMATS.get(os.path.splitext(name)[1].lower(),
                              ("application/octet-stream", None))
    out = {
        "@type": "dcat:Distribution",
        "dct:title": _zh(info.title or name),
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": IANA + media},
        "dcat:byteSize": {"@value": info.bytes, "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": info.sha256 or sha256(root / path / info.name),
                                   "@type": "xsd:hexBinary"},
        },
    }
    if code:
        out["dct:format"] = {"@id": f"{EU}file-type/{code}"}
    if info.name.endswith("datapackage.json"):
        out["dct:conformsTo"] = {"@id": PACKAGE_PROFILE}
    if lic:
        out["dct:license"] = lic
    return out


def catalog(site: Site, root: Path, base: str) -> dict:
    """A DCAT 3 catalogue (DCAT-AP 3 terms): each agency-year a dataset, each file a distribution.

    Ids are stable URLs: <agency-year page>#dataset and <agency page>#agency, so the pages'
    own JSON-LD can name the same things. Download URLs are under files_base_url when the
    files are published elsewhere. "dcat:dataset" is a generator (one dataset in memory at a
    time, for national corpora): write it with write_catalog, which pages it.
    """
    config = site.config
    files_base = config.get("files_base_url") or base
    lic = {"@id": config["license"]["path"]} if config.get("license", {}).get("path") else None
    publisher = {"@id": base + "#publisher", "@type": "foaf:Agent",
                 "foaf:name": _zh(config.get("publisher", "nianbao"))}
    common = {
        "dct:accessRights": {"@id": f"{EU}access-right/PUBLIC"},
        "dcat:theme": {"@id": f"{EU}data-theme/GOVE"},
        "dct:language": {"@id": f"{EU}language/ZHO"},
    }

    def datasets():  # the one of all the data first, on the page people open
        if site.combined is not None:
            yield combined_dataset()
        yield from (d for d in map(report_dataset, site.reports) if d is not None)

    def report_dataset(report: Report) -> dict | None:
        package = site.packages.get((report.agency_id, report.year))
        if package is None:
            return None
        page = page_url(base, report.agency_id, report.year)
        dataset = {
            "@id": page + "#dataset",
            "@type": "dcat:Dataset",
            "dct:identifier": f"{report.agency_id}-{report.year}",
            "dct:title": _zh(package.title or f"{report.agency} {report.year} 年度报告数据"),
            "dct:description": _zh(package.description or report.title),
            "dct:publisher": {"@id": page_url(base, report.agency_id) + "#agency",
                              "@type": "foaf:Agent", "foaf:name": _zh(report.agency or "")},
            "dct:creator": publisher,
            "dct:temporal": {"@type": "dct:PeriodOfTime",
                             "dcat:startDate": _date(f"{report.year}-01-01"),
                             "dcat:endDate": _date(f"{report.year}-12-31")},
            "dcat:keyword": [_zh(k) for k in package.keywords],
            "dcat:landingPage": {"@id": page},
            **common,
        }
        if report.region.code:
            dataset["dct:spatial"] = {
                "@type": "dct:Location",
                "dct:identifier": report.region.code,  # GB/T 2260
                "skos:prefLabel": _zh(region_name(report) or report.region.code),
            }
        published = _day(report.published)
        if published:
            dataset["dct:issued"] = _date(published.isoformat())
        if report.source_url:
            dataset["dct:source"] = {"@id": report.source_url}
        if lic:
            dataset["dct:license"] = lic
        dataset["dcat:distribution"] = _distributions(files_base, root, package, lic,
                                                      original_name(report))
        return dataset

    def combined_dataset() -> dict:
        package = site.combined
        years = sorted({r.year for r in site.reports})
        combined = {
            "@id": page_url(base, "data") + "#dataset",
            "@type": "dcat:Dataset",
            "dct:identifier": "nianbao-all",
            "dct:title": _zh(package.title or "全部数据"),
            "dct:description": _zh(package.description),
            "dct:publisher": publisher,
            "dcat:keyword": [_zh(k) for k in package.keywords],
            "dcat:landingPage": {"@id": page_url(base, "data")},
            **common,
        }
        if years:
            combined["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                        "dcat:startDate": _date(f"{years[0]}-01-01"),
                                        "dcat:endDate": _date(f"{years[-1]}-12-31")}
        if lic:
            combined["dct:license"] = lic
        combined["dcat:distribution"] = _distributions(files_base, root, package, lic)
        return combined

    out = {
        "@context": CONTEXT,
        "@id": catalog_url(base, 1),
        "@type": "dcat:Catalog",
        "dct:title": _zh(config.get("title", "nianbao")),
        "dct:description": _zh(config.get("description", "")),
        "dct:publisher": publisher,
        "foaf:homepage": {"@id": base},
        "dct:language": common["dct:language"],
    }
    if lic:
        out["dct:license"] = lic
    out["dcat:dataset"] = datasets()
    return out


CATALOG_PAGE = 500  # datasets a catalogue file (~6 MB); harvesters follow hydra:next


def catalog_path(page: int) -> str:
    """A catalogue page's file, below the site root."""
    return "catalog.jsonld" if page == 1 else f"catalog/{page}.jsonld"


def catalog_url(base: str, page: int) -> str:
    return base + catalog_path(page)


def write_catalog(root: Path, data: dict, per_page: int = CATALOG_PAGE) -> None:
    """The catalogue as catalog.jsonld, its datasets streamed one by one, a line each; past
    per_page datasets, the rest in catalog/2.jsonld, catalog/3.jsonld, …, each page the same
    dcat:Catalog with its share of the datasets and a Hydra paging node (hydra:next and
    the older hydra:nextPage, as CKAN's DCAT harvester and piveau follow them). At 100,000
    reports one file was 1.2 GB: more than GitHub Pages publishes, and than a harvester
    reads.

    (Indented datasets went through json's pure-Python encoder: 20 s of a 10,000-report
    build. A line per dataset is the C encoder's, and still reads and diffs well.)"""
    head = {k: v for k, v in data.items() if k != "dcat:dataset"}
    base = head["@id"].removesuffix(catalog_path(1))
    datasets = iter(data["dcat:dataset"])
    upcoming = next(datasets, None)
    page = 1
    while True:
        path = root / catalog_path(page)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "dcat:dataset": [')
            while upcoming is not None and written < per_page:
                fh.write(("," if written else "") + "\n    " + json.dumps(upcoming, ensure_ascii=False))
                written += 1
                upcoming = next(datasets, None)
            fh.write("\n  ]" if written else "]")
            if upcoming is not None or page > 1:
                fh.write(',\n  "hydra:view": ' + json.dumps(_paging(base, page, upcoming is not None, per_page)))
            fh.write("\n}\n")
        if upcoming is None:
            return
        page += 1


def _paging(base: str, page: int, more: bool, per_page: int) -> dict:
    view = {"@id": catalog_url(base, page) + "#page", "@type": ["hydra:PartialCollectionView",
                                                               "hydra:PagedCollection"],
            "hydra:itemsPerPage": per_page}
    links = {"first": 1, "previous": page - 1 if page > 1 else None,
             "next": page + 1 if more else None}
    for name, target in links.items():
        if target:
            url = {"@id": catalog_url(base, target)}
            view[f"hydra:{name}"] = view[f"hydra:{name}Page"] = url
    return view


# ---------------------------------------------------------------- sitemap, robots, feed

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_URLS = 50_000  # sitemaps.org's limit a file (and 50 MB: ~6 MB of our URLs)
ATOM_NS = "http://www.w3.org/2005/Atom"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue().replace(b"<?xml version='1.0' encoding='utf-8'?>",
                                  b'<?xml version="1.0" encoding="utf-8"?>', 1) + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: XML_ILLEGAL.sub("", v) for k, v in attrs.items()})
    if text is not None:
        el.text = XML_ILLEGAL.sub("", text)
    return el


def site_urls(site: Site, base: str, pages: Iterable[str] = ()) -> list[str]:
    """Every page of the site: fixed pages, each year, each agency, each agency-year, then
    the other pages render wrote (pages: their paths below the root, "agencies/110000/"),
    such as the list pages a big site splits by province."""
    urls = [base + p for p in SITE_PAGES]
    urls += [page_url(base, "years", y) for y in sorted({r.year for r in site.reports})]
    urls += [page_url(base, a) for a in sorted({r.agency_id for r in site.reports})]
    urls += [page_url(base, r.agency_id, r.year) for r in site.reports]
    urls += [page_url(base, *p.strip("/").split("/")) for p in sorted(pages)
             if p.endswith("/")]  # not 404.html
    return list(dict.fromkeys(urls))


def sitemaps(site: Site, base: str, pages: Iterable[str] = ()) -> dict[str, bytes]:
    """sitemaps.org 0.9, without lastmod (the build knows no honest modification date):
    sitemap.xml, or past SITEMAP_URLS pages, sitemap.xml as the index of sitemap-1.xml,
    sitemap-2.xml, … (a search engine rejects a sitemap of more; robots.txt names
    sitemap.xml either way)."""
    ET.register_namespace("", SITEMAP_NS)
    urls = site_urls(site, base, pages)
    parts = [urls[i:i + SITEMAP_URLS] for i in range(0, len(urls), SITEMAP_URLS)] or [[]]
    files = {}
    for n, part in enumerate(parts, 1):
        root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
        for url in part:
            _sub(_sub(root, f"{{{SITEMAP_NS}}}url"), f"{{{SITEMAP_NS}}}loc", url)
        files["sitemap.xml" if len(parts) == 1 else f"sitemap-{n}.xml"] = _xml(root)
    if len(parts) > 1:
        index = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
        for name in files:
            _sub(_sub(index, f"{{{SITEMAP_NS}}}sitemap"), f"{{{SITEMAP_NS}}}loc", base + name)
        files = {"sitemap.xml": _xml(index), **files}
    return files


def write_sitemaps(root: Path, site: Site, pages: Iterable[str]) -> None:
    """After render, which says what list pages it wrote."""
    for name, data in sitemaps(site, base_url(site.config), pages).items():
        (root / name).write_bytes(data)


def robots(base: str) -> str:
    """Crawlers read robots.txt only at a host's root; under a sub-path it is harmless."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n"


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def report_date(report: Report) -> dt.date:
    """When a report came out: the sidecar's published date, else its signature date, else
    31 January of the next year, the legal deadline (《政府信息公开条例》第五十条)."""
    return (_day(report.published) or _day(report.signed)
            or dt.date((report.year or 2008) + 1, 1, 31))


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"  # dates in the reports are Beijing time


def feed(site: Site, base: str) -> bytes:
    """Atom feed of the newest reports; entry ids are their page URLs, dates from the data."""
    ET.register_namespace("", ATOM_NS)
    a = f"{{{ATOM_NS}}}"
    config = site.config
    reports = sorted(site.reports, key=lambda r: (report_date(r), r.year, r.agency_id),
                     reverse=True)[:FEED_ENTRIES]
    top = ET.Element(f"{a}feed", {"{http://www.w3.org/XML/1998/namespace}lang": ZH})
    _sub(top, f"{a}id", base)
    _sub(top, f"{a}title", config.get("title", "nianbao"))
    if config.get("description"):
        _sub(top, f"{a}subtitle", config["description"])
    latest = report_date(reports[0]) if reports else build_date().date()
    _sub(top, f"{a}updated", _stamp(latest))
    _sub(top, f"{a}link", rel="self", type="application/atom+xml", href=base + "feed.xml")
    _sub(top, f"{a}link", rel="alternate", type="text/html", href=base)
    _sub(_sub(top, f"{a}author"), f"{a}name", config.get("publisher", "nianbao"))
    lic = config.get("license", {})
    if lic:
        _sub(top, f"{a}rights", " ".join(x for x in (lic.get("title"), lic.get("path")) if x))
    _sub(top, f"{a}generator", "nianbao", version=__version__)
    for report in reports:
        page = page_url(base, report.agency_id, report.year)
        package = site.packages.get((report.agency_id, report.year))
        entry = _sub(top, f"{a}entry")
        _sub(entry, f"{a}id", page)
        _sub(entry, f"{a}title", f"{report.agency} {report.year} 年政府信息公开工作年度报告")
        _sub(entry, f"{a}updated", _stamp(report_date(report)))
        published = _day(report.published)
        if published:
            _sub(entry, f"{a}published", _stamp(published))
        _sub(_sub(entry, f"{a}author"), f"{a}name", report.agency or "")
        _sub(entry, f"{a}link", rel="alternate", type="text/html", href=page)
        if package is not None:
            _sub(entry, f"{a}link", rel="describedby", type="application/json",
                 href=urljoin(base, package.path + "datapackage.json"))
            if package.zip_name:
                length = next(f.bytes for f in package.files if f.name == package.zip_name)
                _sub(entry, f"{a}link", rel="enclosure", type="application/zip",
                     href=urljoin(base, package.path + package.zip_name), length=str(length))
        _sub(entry, f"{a}category", term=str(report.year), label=f"{report.year} 年度")
        if report.region.code:
            _sub(entry, f"{a}category", term=report.region.code,  # GB/T 2260
                 label=region_name(report) or report.region.code)
        summary = package.description if package else None
        warnings = sum(p.severity == "warning" for p in report.problems)
        note = f"数据质量：{len(report.errors)} 个错误，{warnings} 个警告。"
        _sub(entry, f"{a}summary", f"{summary or report.title} {note}")
    return _xml(top)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
