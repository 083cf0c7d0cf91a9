"""One report file → one Report: read → parse → resolve → check.

This is the unit the build runs per file and `build.py extract` prints. It never raises
for a bad file: whatever goes wrong becomes a problem naming the file.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections import Counter
from urllib.parse import urlsplit

from nianbao import prose, readers
from nianbao.check import check
from nianbao.discover import load_sidecar
from nianbao.model import SITE_FOLDERS, Document, Problem, Report, SourceFile
from nianbao.parse import FIRST_FORM_YEAR, parse_tables
from nianbao.resolve import agency_id, complete_agency, gazetteer, match_region


def extract(source: SourceFile) -> Report:
    report = Report(source=source)
    try:
        _extract(report)
    except Exception as exc:  # a bug of ours must not take the other reports down
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        report.add(Problem("internal-error", "error",
                           f"处理该文件时程序出错（{type(exc).__name__}: {exc}，"
                           f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}）", source.rel))
        report.template = None  # never publish half-parsed numbers
    return report


def _extract(report: Report) -> None:
    source = report.source
    report.problems.extend(load_sidecar(source))
    data = source.path.read_bytes()
    report.sha256 = hashlib.sha256(data).hexdigest()

    def where(line: int | None, section: str) -> str:
        at = f"{source.rel}:{line}" if line else source.rel
        return f"{at} {section}".strip()

    try:
        doc = readers.read(source.path)
    except readers.ReadError as exc:
        report.format = exc.format  # "第 2 页" of a PDF, not "第 2 行"
        report.add(Problem(exc.code, "error", exc.message, where(exc.line, "")))
        return
    report.format = doc.format
    for code, severity, message, line in doc.notes:
        report.add(Problem(code, severity, message, where(line, "")))
    front = prose.front_matter(doc)
    title = doc.meta.get("title") or ""
    if not front.agency and ("报告" in title or "年报" in title):  # not the site's name
        front = prose.parse_title(title)
    report.title = front.title
    sidecar = source.sidecar
    report.year = sidecar.get("year") or front.year
    if sidecar.get("year") and front.year and sidecar["year"] != front.year:
        report.add(Problem("year-from-sidecar", "info",
                           f"标题写的是 {front.year} 年度，按元数据文件定为 {report.year} 年度",
                           where(None, "")))
    if report.year is None:
        report.year, how = _body_year(doc)
        if report.year is not None:
            report.add(Problem("year-inferred", "info" if how else "warning",
                               f"标题中没有年度，按{how or '正文中最常出现的年份'}定为 {report.year} 年"
                               + ("" if how else "，请核对（或在元数据文件中写明 year）"),
                               where(None, "")))
    if report.year is None:
        report.add(Problem("year-unknown", "error", "无法从标题或正文判断报告年度，请在元数据文件中写明 year",
                           where(None, "")))
    elif not 2008 <= report.year <= 2100:
        report.add(Problem("year-unknown", "error", f"报告年度 {report.year} 不在合理范围内", where(None, "")))
        report.year = None
    parse_tables(doc, report, where)
    report.sections = prose.sections(doc)
    report.signed = prose.signature_date(doc)
    if report.year is not None and report.year == front.year and not sidecar.get("year"):
        check_title_year(report, doc, where)  # not a year the range check refused
    report.source_url = source_url(report, doc.meta.get("source_url"), where)
    report.published = sidecar.get("published") or doc.meta.get("published")
    agency = front.agency
    if not agency and not sidecar.get("agency") and (signer := prose.signature_agency(doc)):
        report.add(Problem("agency-from-signature", "info",
                           f"标题中没有机关名称，按文末落款定为“{signer}”", where(None, "")))
        agency = signer
    identify(report, agency, prose.body_text(doc), where)
    check(report, where)


def web_url(value) -> str | None:
    """value when it is an http(s) URL with a host, else None: only those become links and
    metadata (never `javascript:`, `data:`, `file:` or a relative path)."""
    text = str(value).strip()
    if re.search(r"[\s\x00-\x1f\x7f]", text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def source_url(report: Report, document_url: str | None, where) -> str | None:
    """The sidecar's source_url, else the one the document names; a value that is not a web
    address is a problem and is not published."""
    for value, code, severity, at in (
            (report.source.sidecar.get("source_url"), "sidecar-invalid", "error",
             report.source.sidecar_path.name if report.source.sidecar_path else ""),
            (document_url, "source-url-invalid", "warning", where(None, ""))):
        if not value:
            continue
        url = web_url(value)
        if url:
            return url
        report.add(Problem(code, severity, f"source_url“{value}”不是 http 或 https 网址，未采用", at))
    return None


# "统计期限为2020年1月1日至2020年12月31日": the year a report covers, as it says it
_PERIOD = re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|－|-|~)\s*"
                     r"(?:(?:19|20)\d{2}\s*年\s*)?12\s*月\s*31\s*日")


def _body_year(doc: Document) -> tuple[int | None, str]:
    """The year the body says the report covers, and how it says it ("" when only the year
    it mentions most, a guess to report)."""
    text = _opening(doc)
    period = _PERIOD.search(text)
    if period:
        return int(period.group(1)), f"正文所述统计期限（{''.join(period.group(0).split())}）"
    years = Counter(re.findall(r"((?:19|20)\d{2})\s*年", text))
    return (int(years.most_common(1)[0][0]), "") if years else (None, "")


def _opening(doc: Document) -> str:
    """The body's first words, where a report states the period it covers (_PERIOD)."""
    return prose.body_text(doc)[:3000]


def check_title_year(report: Report, doc: Document, where) -> None:
    """The year a title prints against what the report says elsewhere: the period its body
    states and the date it was signed (in that year or early the next). A title contradicted
    by both, or one printed on a form from before the forms existed, is a typo no reader
    should have to find: the report is not published under it."""
    year = report.year
    period = _PERIOD.search(_opening(doc))
    stated = int(period.group(1)) if period else None
    signed = int(report.signed[:4]) if report.signed else None
    against = []
    if stated is not None and stated != year:
        against.append(f"正文所述统计期限为 {stated} 年")
    if signed is not None and signed not in (year, year + 1):
        against.append(f"落款日期为 {report.signed}")
    if report.template and year < FIRST_FORM_YEAR:
        against.append(f"表格却是 {FIRST_FORM_YEAR} 年度起才使用的官方格式")
    if not against:
        return
    said = f"标题写的是 {year} 年度，但{'，'.join(against)}"
    if len(against) > 1 or year < FIRST_FORM_YEAR:
        report.add(Problem("year-conflict", "error",
                           f"{said}；未发布。请核对标题，或在元数据文件中写明 year",
                           where(None, "")))
        report.year = None
    else:
        report.add(Problem("year-doubtful", "warning",
                           f"{said}；按标题的 {year} 年度发布，请核对（或在元数据文件中写明 year）",
                           where(None, "")))


def identify(report: Report, printed: str | None, body: str, where) -> None:
    """Agency name, region and id: the sidecar settles what the text cannot."""
    sidecar = report.source.sidecar
    gaz = gazetteer()
    name = sidecar.get("agency") or printed
    if not name:
        report.add(Problem("agency-unknown", "error", "无法从标题识别发布机关，请在元数据文件中写明 agency",
                           where(None, "")))
        return
    match = match_region(name)
    if not sidecar.get("agency") and (match is None or match.short or _bare(match.prefix)):
        completions = complete_agency(name, body)
        if len(completions) == 1 and completions[0] != name:
            report.add(Problem("agency-completed", "info",
                               f"标题中的机关名称“{name}”不完整，按正文补全为“{completions[0]}”", where(None, "")))
            name = completions[0]
            match = match_region(name)
        elif len(completions) > 1:
            report.add(Problem("agency-ambiguous", "error",
                               f"标题中的机关名称“{name}”不完整，正文中有多个可能：{'、'.join(completions)}；"
                               "请在元数据文件中写明 agency", where(None, "")))
            report.agency = name
            return
    report.agency = name
    place = None
    if sidecar.get("region"):
        text = str(sidecar["region"]).strip()
        place = gaz.by_code.get(text)
        region_match = None if place else match_region(text)
        if region_match and region_match.place:
            place = region_match.place
        if place is None:
            report.add(Problem("region-unknown", "error",
                               f"元数据中的 region“{text}”不是唯一的行政区划名称或代码", where(None, "")))
    elif match is None:
        report.add(Problem("region-unknown", "error",
                           f"无法从机关名称“{name}”或正文判断所属地区，请在元数据文件中写明 region",
                           where(None, "")))
    elif match.place is None:
        options = "、".join(f"{gaz.region(p).province}{p.name}（{p.code}）" for p in match.places)
        report.add(Problem("region-ambiguous", "error",
                           f"“{match.prefix}”对应多个行政区划：{options}；请在元数据文件中写明 region",
                           where(None, "")))
    else:
        place = match.place
        if match.short:
            report.add(Problem("region-inferred", "warning",
                               f"“{match.prefix}”按简称识别为{place.name}（{place.code}）", where(None, "")))
    if place is not None:
        report.region = gaz.region(place)
    if sidecar.get("id"):
        report.agency_id = str(sidecar["id"])
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", report.agency_id):
            report.add(Problem("id-invalid", "error",
                               f"元数据中的 id“{report.agency_id}”只能由小写字母、数字和连字符组成",
                               where(None, "")))
            report.agency_id = None
        elif report.agency_id in SITE_FOLDERS:
            report.add(Problem("id-invalid", "error",
                               f"元数据中的 id“{report.agency_id}”是本站栏目的地址，请换一个",
                               where(None, "")))
            report.agency_id = None
    elif place is not None:
        report.agency_id = agency_id(name, place)


def _bare(prefix: str) -> bool:
    return prefix in ("", "区", "县", "市", "省")
