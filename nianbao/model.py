"""Plain dataclasses passed between pipeline stages.

Every stage takes and returns these, so a stage can be run, cached or tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

Number = int | Decimal
# The site's own top-level folders, beside the agencies' (<agency-id>/): an agency given one
# of these ids would overwrite a section of the site. (tests/test_site.py keeps it in step.)
SITE_FOLDERS = frozenset({"about", "agencies", "assets", "catalog", "compare", "data",
                          "pagefind", "quality", "search", "years"})


# ---------------------------------------------------------------- discover


@dataclass
class SourceFile:
    """A report file found under content/, with its optional sidecar metadata."""

    path: Path
    rel: str  # path relative to the content root, with forward slashes: the report's name
    sidecar: dict = field(default_factory=dict)
    sidecar_path: Path | None = None


# ---------------------------------------------------------------- read


@dataclass
class Cell:
    text: str
    # True where this grid position is covered by a merged cell that starts elsewhere;
    # `text` then repeats the origin's text so labels read naturally, but values are not
    # counted twice.
    spanned: bool = False


@dataclass
class Paragraph:
    text: str
    line: int  # 1-based line (or page, for paged formats) where it starts


@dataclass
class Table:
    rows: list[list[Cell]]
    row_lines: list[int]  # where each row starts, parallel to rows

    @property
    def line(self) -> int:
        return self.row_lines[0] if self.row_lines else 0


Block = Paragraph | Table


@dataclass
class Document:
    """What every reader produces, whatever the file format."""

    blocks: list[Block]
    encoding: str | None = None
    format: str = "text"
    # What the container says about the report, when it says it: "title", "source_url",
    # "published" (a web page's <title>, a saved page's header, PDF metadata).
    meta: dict[str, str] = field(default_factory=dict)
    # What the reader had to do that a reader of the data should know, as (code, severity,
    # message, line): e.g. a table without ruling lines rebuilt from where its words stand.
    notes: list[tuple[str, str, str, int | None]] = field(default_factory=list)


# ---------------------------------------------------------------- problems


# Severities from most to least in need of attention: how listings order problems.
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Problem:
    code: str  # stable, kebab-case: "rule-broken", "row-missing", "unreadable-file", ...
    severity: str  # "error" | "warning" | "info"
    message: str  # Chinese, for the data-quality page
    where: str = ""  # "file.txt: 三、收到和处理政府信息公开申请情况, line 120"
    rule: str | None = None
    cells: list[str] = field(default_factory=list)
    kind: str = "parse"  # "parse": we could not read it; "report": the report contradicts itself

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "where": self.where,
        }


# ---------------------------------------------------------------- parse / resolve


@dataclass
class ExtraRow:
    """A row the agency added (or a printed row the template lacks), kept with its label."""

    table: str
    parent: str | None
    label: str
    values: dict[str, Number | None]
    line: int = 0

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "parent": self.parent,
            "label": self.label,
            "values": self.values,
        }


@dataclass
class Region:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    code: str | None = None

    def as_dict(self) -> dict:
        return {
            "province": self.province,
            "city": self.city,
            "county": self.county,
            "code": self.code,
        }


@dataclass
class Section:
    """A prose section of the report (一、总体情况 …), body as Markdown."""

    number: str
    title: str
    markdown: str


@dataclass
class Report:
    """One report after parse, resolve and check: the unit everything downstream consumes."""

    source: SourceFile
    template: str | None = None
    agency: str | None = None  # as the report names itself (completed from the body if needed)
    agency_id: str | None = None
    region: Region = field(default_factory=Region)
    year: int | None = None
    values: dict[str, Number | None] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)  # field → text printed beside it
    extra_rows: list[ExtraRow] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    title: str = ""
    signed: str | None = None  # signature date, ISO
    source_url: str | None = None
    published: str | None = None
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    format: str = "text"
    checks: dict[str, str] = field(default_factory=dict)  # rule id → ok | broken | unchecked
    lines: dict[str, int] = field(default_factory=dict)  # "table.row" → line it was printed on

    @property
    def publishable(self) -> bool:
        """A report is published when it is identified; broken numbers are shown, not hidden."""
        return bool(self.template and self.agency_id and self.year)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# ---------------------------------------------------------------- package / render


@dataclass
class FileInfo:
    """One downloadable file of a package, as the downloads pages list it."""

    name: str  # file name inside the package folder
    bytes: int
    rows: int | None = None  # data rows, for CSVs
    title: str = ""  # what it holds, in Chinese
    resource: str | None = None  # the data resource / schema name, for CSVs
    sha256: str | None = None  # of the finished file, when the build computed it already


@dataclass
class PackageInfo:
    """Where a data package was written, relative to the site root, and what it holds."""

    path: str  # "data/<agency-id>/<year>/" or "data/all/"
    files: list[FileInfo] = field(default_factory=list)
    zip_name: str | None = None
    invalid: list[str] = field(default_factory=list)  # the build's own check: what broke the schema
    # What its datapackage.json says of it, for the catalogue and feed (not read back).
    title: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass
class Site:
    """Everything render needs, collected before any page is written (so links resolve)."""

    reports: list[Report]  # publishable reports, sorted by agency id then year
    problem_reports: list[Report]  # every report with at least one problem, published or not
    all_reports: list[Report]
    packages: dict[tuple[str, int], PackageInfo]
    combined: PackageInfo | None
    config: dict
    # An agency's files that name it and a year but were not published (no table read, say),
    # by agency id, for agencies with published years: its page says which years are missing.
    withheld: dict[str, list[Report]] = field(default_factory=dict)
