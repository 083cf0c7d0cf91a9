"""The report's words: title, agency as printed, year, prose sections, signature date."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.catalogue import PARTS
from nianbao.model import Document, Paragraph, Section, Table

_TITLE_TAIL = re.compile(r"(政府信息公开|政务公开)?(工作)?(年度)?(情况)?(报告|年报)$")
_YEAR = re.compile(r"((?:19|20)\d{2}|[〇一二三四五六七八九零○]{4})\s*年度?")
# A year an OCR tool misread ("2O21年", "202l年", "201g年"): no year, but no part of the
# agency's name
_MISREAD_YEAR = re.compile(r"(?<![0-9A-Za-z])[12Zz][0-9A-Za-z]{3}\s*年度?")
# what a title adds after 报告: "（全文）", "（文字版）", "（2021年度）" (its year taken out)
_TITLE_NOTE = re.compile(r"[（(](?:全文|文字版|图文版|正式版|修订版|公开版|)[)）]$")
_TITLE_AGENCY = re.compile(r"(?:报告|年报)[（(]([^（）()]{4,})[)）]$")  # "年度报告（某区商务局）"
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")  # "北 京 市" spaced out
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(\S.*)$")
_ATTACHMENT = re.compile(r"^附件\s*\d*$")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "O": 0, "o": 0, "○": 0}
_DATE_TEXT = (r"((?:19|20)\d{2}|[〇一二三四五六七八九零○Oo]{4})\s*年\s*([0-9一二三四五六七八九十]{1,3})\s*月"
              r"\s*([0-9一二三四五六七八九十]{1,3})\s*日")
_DATE = re.compile(_DATE_TEXT + "$")
# What a web page prints after a report's signature: its attachments' link, and the line of
# the office that issued the document ("…办公室 2020年1月2日印发"), whose date is not the
# report's.
_AFTER_SIGNATURE = re.compile(r"(?:\s*(?:附件下载|相关附件|附件[:：]?)|(?:^|(?<=\s)|(?<=日))\s*[\u4e00-\u9fff（）()]*\s*"
                              + _DATE_TEXT + r"\s*印发)+\s*$")
_TABLE_SECTIONS = tuple(w for part in PARTS if part.table for w in part.words)
# What a web page prints above a report's title: its breadcrumb trail ("首页 > 政务公开 >
# 年报", which names no agency but says 年报) and the fields of its disclosure record.
_CHROME = re.compile(r"[>›»＞]|^(?:当前位置|您的位置|您现在的位置|所在位置)|"
                     r"^(?:索引号|发布机构|发文机关|发布日期|发文日期|成文日期|发布时间|信息来源|来源|"
                     r"文号|发文字号|分类|主题分类|组配分类|字号|浏览次数|有效性|关键词)\s*[:：]")
# what no title has: sentence punctuation, a law's name in 《》, a sentence's opening words
_SENTENCE = re.compile(r"[，。；！？《]|^(?:本报告|根据|依据|按照)")
# a title's last words: 报告 or 年报, with what a title adds after them
_TITLE_END = re.compile(r"(?:报告|年报)(?:[（(][^（）()]*[)）]|的公告|的通知)?$")
_SIGNER = re.compile(r"[\u4e00-\u9fff（）()]{4,30}")  # a name, nothing else: no date, no sentence
# ... and what it prints below the report: share and print links, the site's owner.
_FOOTER = re.compile(r"^(?:分享到|打印本页|【?打印|关闭窗口|主办单位|承办单位|网站标识码|版权所有|"
                     r"技术支持|联系我们|网站地图)|ICP备")


@dataclass
class Front:
    title: str
    agency: str | None  # as the title prints it
    year: int | None


def front_matter(doc: Document) -> Front:
    """The title before the body: the last line ending in 报告 (or 年报), with the lines above it
    while the title still lacks its agency or year ('北京市通州区商务局 / 2020年…年度报告').
    Lines further up are not the title: a printed web page's menus, its links to other
    years' reports."""
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Table) or _HEADING.match(block.text):
            break
        text = block.text.strip()
        if _ATTACHMENT.match(text) or _CHROME.search(text):
            continue
        if _SENTENCE.search(text):  # the body has begun: a page may print its title elsewhere
            break
        if len(text) > 60:
            if lines:
                break
            continue
        lines.append(text)
    ends = [i for i, text in enumerate(lines) if _TITLE_END.search(text)]
    if not ends:
        return parse_title("".join(lines))
    start = ends[-2] + 1 if len(ends) > 1 else 0  # after another report's title: a link
    at = ends[-1]
    front = parse_title(lines[at])
    while (front.agency is None or front.year is None) and at > start:
        at -= 1
        front = parse_title("".join(lines[at:ends[-1] + 1]))
    return front


def parse_title(title: str) -> Front:
    """'2020年南关区商务局政府信息公开工作年度报告' → agency 南关区商务局, year 2020. Also
    '二〇二〇年…', '…年度报告（全文）', '关于…年度报告的公告', '…年度报告（南关区商务局）'."""
    text = _CJK_SPACE.sub("", title.translate(_WIDE_DIGITS))
    year_match = _YEAR.search(text)
    year = _number(year_match.group(1)) if year_match else None
    name = _YEAR.sub("", text) if year_match else \
        _MISREAD_YEAR.sub(lambda m: m.group() if m.group()[:4].isdigit() else "", text)
    name = name.strip(" ：:　")
    name = re.sub(r"^附件\s*[0-9一二三四五]*\s*[:：]?", "", name)  # "附件1" above an attached report
    name = re.sub(r"^关于|的(?:公告|通知)$", "", name)
    name = _TITLE_NOTE.sub("", name)
    inside = _TITLE_AGENCY.search(name)
    name = inside.group(1) if inside else _TITLE_TAIL.sub("", name).strip(" ：:　")
    name = re.sub(r"关于$|的$", "", name)
    return Front(title, name or None, year)


def body_text(doc: Document) -> str:
    return "\n".join(b.text for b in doc.blocks if isinstance(b, Paragraph))


def sections(doc: Document) -> list[Section]:
    """Prose under each 一、… heading as Markdown; the table sections keep only their prose."""
    out: list[Section] = []
    current = Section("", "", "")
    paragraphs: list[str] = []

    def close():
        if current.title or paragraphs:
            current.markdown = "\n\n".join(paragraphs)
            out.append(current)

    started = False
    for block in doc.blocks:
        if isinstance(block, Table):
            started = True
            continue
        m = _HEADING.match(block.text)
        if m and len(block.text) <= 40:
            started = True
            close()
            current, paragraphs = Section(m.group(1), m.group(2).strip(), ""), []
            continue
        if not started:
            continue  # title lines
        if any(k in current.title for k in _TABLE_SECTIONS) and len(block.text) <= 12:
            continue  # label fragments a PDF export left between table rows
        if len(block.text) <= 60 and _FOOTER.search(block.text):
            continue  # a printed web page's footer
        paragraphs.append(escape_markdown(block.text.strip()))
    close()
    return [s for s in out if s.title or s.markdown]


def escape_markdown(text: str) -> str:
    """Report text is plain text: keep Markdown from reading it as markup."""
    text = re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", text)
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", text)


def _closing(text: str) -> str:
    """A paragraph's words after its last sentence, where a signature stands ("无。 平潭…局
    2021年1月27日": a page whose lines ran together), without what a web page prints after it."""
    return _AFTER_SIGNATURE.sub("", re.split(r"[。！？；]", text)[-1]).strip()


def _closings(doc: Document, last: int) -> list[str]:
    return [_closing(b.text) for b in doc.blocks if isinstance(b, Paragraph)][-last:]


def signature_date(doc: Document) -> str | None:
    for text in reversed(_closings(doc, 4)):
        m = _DATE.search(text)
        if m and len(text) <= 40:
            year, month, day = (_number(g) for g in m.groups())
            if year and month and day and 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def signature_agency(doc: Document) -> str | None:
    """The agency that signed the report: the name on its date's line or the line above it,
    at the end ("北京市通州区商务局 / 2021年1月20日")."""
    paragraphs = _closings(doc, 5)
    for i in range(len(paragraphs) - 1, -1, -1):
        if _DATE.search(paragraphs[i]) and len(paragraphs[i]) <= 40:
            signer = _DATE.sub("", paragraphs[i]).strip() or (paragraphs[i - 1] if i else "")
            return signer if _SIGNER.fullmatch(signer) else None
    return None


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGITS for c in text):  # 二〇二〇
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if "十" in text:  # 十, 十二, 二十, 二十一
        head, _, tail = text.partition("十")
        tens = _CN_DIGITS.get(head, 1) if head else 1
        ones = _CN_DIGITS.get(tail, 0) if tail else 0
        return tens * 10 + ones
    return _CN_DIGITS.get(text)
