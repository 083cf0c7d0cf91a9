"""Chinese wording the site uses for codes, rules, kinds and templates, in one place."""

from __future__ import annotations

import re

from nianbao.model import Report

TEMPLATES = {
    "2019": "国办公开办函〔2019〕60号，用于 2019—2020 年度",
    "2021": "国办公开办函〔2021〕30号，用于 2021 年度起",
}
TEMPLATE_SHORT = {"2019": "2019 年模板", "2021": "2021 年模板"}

KINDS = {
    "report": "报告自身的问题",
    "parse": "解析问题",
}
KIND_HELP = {
    "report": "报告印出的数字之间不符合勾稽关系（或因空白而无法校验）。网站照原样发布这些数字，并标出不符之处。",
    "parse": "程序没能可靠地读出报告的某些内容：缺行、错位、无法识别的单元格或标题等。相应字段留空，不会用 0 代替。",
}
SEVERITIES = {"error": "错误", "warning": "警告", "info": "提示"}

# What a download is, by its suffix (an original report's: a reader on a phone wants to
# know first; a package file's, when it has no title of its own).
FILE_KINDS = {".pdf": "PDF", ".ofd": "OFD 版式文件",
              ".docx": "Word 文档", ".doc": "Word 文档", ".wps": "WPS 文档",
              ".html": "网页", ".htm": "网页", ".txt": "纯文本", ".md": "Markdown 文本",
              ".markdown": "Markdown 文本",
              ".xlsx": "Excel 工作簿", ".sqlite": "SQLite 数据库", ".db": "SQLite 数据库",
              ".json": "JSON", ".jsonld": "JSON-LD 元数据", ".csv": "CSV 表格",
              ".parquet": "Parquet 表格"}

RULES = {
    "apply-row-total": "表三每一行：总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他",
    "apply-results-total": "表三每一列：（七）总计 = （一）至（六）各项之和（2021 年模板的（六）为 3 个子项）",
    "apply-balance": "表三每一列：一 + 二 = （七）总计 + 四（表中注明的勾稽关系）",
    "appeal-group-total": "表四每一组：总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
    "non-negative": "数量和金额不得为负（只有“本年增/减”可以为负）",
}

CODES = {
    "rule-broken": "不符合勾稽关系",
    "rule-unchecked": "因单元格空白无法校验",
    "rule-unread": "因单元格未能读出无法校验",
    "agency-ambiguous": "机关名称有歧义",
    "agency-completed": "机关名称按正文补全",
    "agency-from-signature": "机关名称取自文末落款",
    "agency-unknown": "无法确定机关",
    "cell-dash": "单元格为横线",
    "amount-in-yuan": "金额按列标题的“元”换算为万元",
    "amount-large": "金额异常大（可能是按元印的）",
    "amount-unit-unknown": "金额单位不是万元或元",
    "cell-unreadable": "单元格无法识别",
    "cells-ambiguous": "数值拆分有歧义",
    "cells-glued": "表格单元格粘连，按行恢复",
    "cells-misaligned": "数值格与列对不上",
    "conversion-failed": "文件转换失败",
    "damaged-file": "文件已损坏",
    "duplicate-report": "同一机关年度有多个文件",
    "empty-file": "空文件",
    "encoding-mixed": "文件混用 UTF-8 与 GBK 编码",
    "encoding-errors": "文件有无法解码的字节",
    "encrypted-pdf": "PDF 已加密",
    "header-missing": "表格缺少列标题",
    "header-unreadable": "列标题无法识别",
    "id-collision": "机关 ID 冲突",
    "id-invalid": "机关 ID 无效",
    "internal-error": "程序内部错误",
    "label-approximate": "行标题近似匹配",
    "mixed-template": "新旧模板混用",
    "needs-libreoffice": "需要 LibreOffice 转换",
    "needs-ocr": "扫描件，需要文字识别",
    "no-tables": "没有找到表格",
    "not-a-number": "不是数字",
    "not-a-word-document": "不是 Word 文档",
    "not-an-ofd-document": "不是 OFD 文件",
    "not-an-integer": "不是整数",
    "not-text": "不是文本文件",
    "package-invalid": "数据包不符合表结构",
    "region-ambiguous": "地区有歧义",
    "region-inferred": "地区由机关名称推断",
    "region-unknown": "无法确定地区",
    "row-duplicated": "重复的行",
    "row-missing": "缺少的行",
    "row-unknown": "模板之外的行",
    "sidecar-invalid": "元数据文件无效",
    "sidecar-unknown-key": "元数据文件有未知的键",
    "source-url-invalid": "原文网址无效（只接受 http/https）",
    "sub-rows-incomplete": "子行不完整",
    "sub-rows-subtotal": "分项之和与所印小计不符",
    "sub-rows-unsummed": "分项未求和",
    "table-from-positions": "无框线表格按文字位置还原",
    "table-off-page": "表格超出页面，部分单元格无法读取",
    "table-missing": "缺少表格",
    "template-ambiguous": "无法确定模板",
    "template-mismatch": "模板与年度不符",
    "template-unknown": "未知模板",
    "transcribed-copy": "原始文件为转写本，非机关发布的原件",
    "unreadable-file": "文件无法读取",
    "unsupported-format": "不支持的文件格式",
    "values-outside-table": "表格之外的数值",
    "values-without-label": "数值没有行标题",
    "year-unknown": "无法确定年度",
    "year-inferred": "年度由正文推断",
    "year-conflict": "标题年度与正文、落款矛盾",
    "year-doubtful": "标题年度与正文或落款不符",
    "year-from-sidecar": "年度按元数据文件",
    "same-file": "与另一份报告是同一个文件",
}


def code_label(code: str) -> str:
    return CODES.get(code, code)


_AT_LINE = re.compile(r":(\d+)(?:\s+|$)")


def place_unit(format: str | None) -> str:
    """What a problem's number counts in a file of this format: its lines, pages or
    paragraphs (a Word or HTML file's tables count a paragraph a row)."""
    return {"text": "行", "markdown": "行", "pdf": "页", "ofd": "页"}.get(format or "text", "段")


def place(where: str, report: Report) -> str:
    """A problem's place as a reader of the original file finds it: "原始文件第 60 行 ·
    三、收到和处理政府信息公开申请情况" for "2020/x.txt:60 三、…" (a Markdown file's is its line
    too; a PDF's, its page; a Word or HTML file's, its paragraph or table row). The file itself
    is the page's subject."""
    rel = report.source.rel if report.source else ""
    if not rel or not where.startswith(rel):
        return where  # a sidecar's, or no file's
    rest = where[len(rel):]
    at = _AT_LINE.match(rest)
    if at is None:
        return rest.strip()
    unit = place_unit(report.format)
    section = rest[at.end():].strip()
    return f"原始文件第 {at.group(1)} {unit}" + (f" · {section}" if section else "")


def region_text(report: Report, sep: str = "") -> str:
    r = report.region
    parts = [r.province]
    if r.city and r.city != r.province:
        parts.append(r.city)
    parts.append(r.county)
    return sep.join(p for p in parts if p) or "地区未定"
