"""Table Schemas for the data tables, derived from the field catalogue.

`python build.py schemas` writes them into schemas/; a test keeps the committed files equal
to what the catalogue gives, so the spec, schemas/ and the downloads page cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from nianbao import catalogue as cat

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"

# Columns that say which report a row comes from, in the combined package.
REPORT_KEY = [
    {"name": "agency_id", "type": "string", "title": "机关 ID",
     "description": "机关的稳定 ASCII 标识，也是网址的一部分", "constraints": {"required": True}},
    {"name": "agency", "type": "string", "title": "机关", "description": "报告署名的机关名称，照报告所写（可能不带上级地名，如“南关区商务局”）；所属地区见行政区划代码"},
    {"name": "region_code", "type": "string", "title": "行政区划代码",
     "description": "GB/T 2260 六位代码", "constraints": {"pattern": "[0-9]{6}"}},
    {"name": "year", "type": "integer", "title": "年度", "constraints": {"required": True}},
    {"name": "template", "type": "string", "title": "模板",
     "description": "2019：2019—2020 年度格式；2021：2021 年度起的新格式",
     "constraints": {"enum": ["2019", "2021"]}},
]

_LAYOUTS = {"active": "长表：每个单元格一行", "apply": "官方表式：每行一个办理情形，七个申请人列",
            "appeal": "每组一行，五个结果列"}
TABLES = {
    **{table: f"{cat.table_name(table)} {cat.TABLE_TITLES[table].split('、', 1)[1]}（{layout}）"
       for table, layout in _LAYOUTS.items()},
    "values": "全部字段（长表：字段 ID、数值，空白时注明原因）",
    "extra_rows": "报告自行增加的行（如“其他对外管理服务事项”下的“行政检查”），按原标签保留",
    "problems": "数据质量问题：解析不了的内容、报告自身不符合勾稽关系之处",
    "reports": "报告清单：每个机关年度一行",
    "fields": "字段表：每个模板的每个字段 ID 在表中的位置（表、行、列的中文名）、类型与单位",
}
# Tables of the combined package only, and those with no report key (one row per field).
COMBINED_ONLY = ("reports", "fields")
FIELD_TYPES = {"count": "数量", "delta": "增减（可为负）", "amount_wan": "金额（万元）"}


def _union(values):
    return list(dict.fromkeys(values))


def _rows(table: str) -> list[str]:
    return _union(r.id for t in cat.load().templates.values() for r in t.table_rows(table))


def _fields(table: str) -> list[dict]:
    c = cat.load()
    if table == "active":
        items = _union(r.group for t in c.templates.values() for r in t.table_rows("active"))
        columns = _union(col.id for t in c.templates.values()
                         for r in t.table_rows("active") for col in r.columns)
        return [
            {"name": "item", "type": "string", "title": "条款", "constraints": {"enum": items}},
            {"name": "row", "type": "string", "title": "行 ID", "constraints": {"enum": _rows("active")}},
            {"name": "column", "type": "string", "title": "列 ID", "constraints": {"enum": columns}},
            {"name": "label", "type": "string", "title": "行标题"},
            {"name": "value", "type": "number", "title": "数值", "description": "万元金额为精确小数；空白为空"},
        ]
    if table == "apply":
        return [
            {"name": "row", "type": "string", "title": "行 ID", "constraints": {"enum": _rows("apply")}},
            {"name": "label", "type": "string", "title": "行标题"},
            *({"name": col.id, "type": "integer", "title": col.label} for col in c.applicant),
        ]
    if table == "appeal":
        return [
            {"name": "group", "type": "string", "title": "组 ID", "constraints": {"enum": _rows("appeal")}},
            {"name": "label", "type": "string", "title": "组标题"},
            *({"name": col.id, "type": "integer", "title": col.label} for col in c.appeal),
        ]
    if table == "values":
        ids = _union(f for t in c.templates.values() for f in t.field_ids)
        return [
            {"name": "field_id", "type": "string", "title": "字段 ID",
             "description": "<表>.<行>.<列>；各字段的中文名、类型与单位见合集数据包的 fields.csv",
             "constraints": {"enum": ids}},
            {"name": "value", "type": "number", "title": "数值",
             "description": "件数为整数；万元金额为精确小数；空白为空（不是 0）"},
            {"name": "blank_reason", "type": "string", "title": "空白原因",
             "description": "数值为空时，为什么空：left-blank 是报告中此格本来就空着；其他是"
                            " problems.csv 中说明此格的问题代码，如 row-missing（报告缺少这一行）、"
                            "table-missing（缺少这张表）、cells-misaligned 与 cells-ambiguous"
                            "（数值对不上列）、cell-unreadable（印的不是数）、cell-dash（印作“—”等符号）。"
                            "有数值时为空",
             "constraints": {"pattern": "[a-z]+(-[a-z]+)*"}},
        ]
    if table == "fields":
        ids = _union(f for t in c.templates.values() for f in t.field_ids)
        return [
            {"name": "template", "type": "string", "title": "模板",
             "description": "2019：2019—2020 年度格式；2021：2021 年度起的新格式",
             "constraints": {"required": True, "enum": list(c.templates)}},
            {"name": "field_id", "type": "string", "title": "字段 ID",
             "constraints": {"required": True, "enum": ids}},
            {"name": "table", "type": "string", "title": "表", "constraints": {"enum": list(cat.TABLES)}},
            {"name": "table_title", "type": "string", "title": "表名"},
            {"name": "row", "type": "string", "title": "行 ID"},
            {"name": "row_label", "type": "string", "title": "行标题",
             "description": "表二的行前有它所属的条款"},
            {"name": "column", "type": "string", "title": "列 ID"},
            {"name": "column_label", "type": "string", "title": "列标题"},
            {"name": "type", "type": "string", "title": "类型",
             "description": "；".join(f"{k}：{v}" for k, v in FIELD_TYPES.items()),
             "constraints": {"enum": list(FIELD_TYPES)}},
            {"name": "unit", "type": "string", "title": "单位", "description": "金额为万元；件数没有单位"},
        ]
    if table == "extra_rows":
        return [
            {"name": "table", "type": "string", "title": "表", "constraints": {"enum": list(cat.TABLES)}},
            {"name": "parent", "type": "string", "title": "上级行 ID"},
            {"name": "label", "type": "string", "title": "行标题（原文）"},
            {"name": "column", "type": "string", "title": "列 ID"},
            {"name": "value", "type": "number", "title": "数值"},
        ]
    if table == "problems":
        return [
            {"name": "source", "type": "string", "title": "文件"},
            {"name": "code", "type": "string", "title": "问题代码"},
            {"name": "severity", "type": "string", "title": "级别",
             "constraints": {"enum": ["error", "warning", "info"]}},
            {"name": "kind", "type": "string", "title": "类别",
             "description": "parse：解析不了；report：报告自身数据矛盾",
             "constraints": {"enum": ["parse", "report"]}},
            {"name": "rule", "type": "string", "title": "规则"},
            {"name": "cells", "type": "string", "title": "相关单元格", "description": "空格分隔的字段 ID"},
            {"name": "message", "type": "string", "title": "说明"},
            {"name": "where", "type": "string", "title": "位置", "description": "文件:行 章节"},
        ]
    if table == "reports":
        return [
            {"name": "province", "type": "string", "title": "省"},
            {"name": "city", "type": "string", "title": "市"},
            {"name": "county", "type": "string", "title": "县（区）"},
            {"name": "agency_type", "type": "string", "title": "机关类型",
             "description": "机关名称去掉所属地名（及“综合实验区”等）后的部分，如“商务局”："
                            "网站年度表按它筛选"},
            {"name": "title", "type": "string", "title": "报告标题"},
            {"name": "signed", "type": "date", "title": "落款日期"},
            {"name": "source_file", "type": "string", "title": "原始文件",
             "description": "本站转载的原始报告文件的网址（站点未设 base_url 时为相对 data/all/ 的路径）"},
            {"name": "sha256", "type": "string", "title": "原始文件 SHA-256"},
            {"name": "source_url", "type": "string", "title": "原文网址"},
            {"name": "format", "type": "string", "title": "原始格式"},
            {"name": "errors", "type": "integer", "title": "错误数"},
            {"name": "warnings", "type": "integer", "title": "警告数"},
        ]
    raise KeyError(table)


def schema(table: str, combined: bool = False) -> dict:
    fields = [dict(f) for f in _fields(table)]
    key = [dict(f) for f in REPORT_KEY]
    if table == "problems":  # problems of unidentified reports have no agency or year
        for f in key:
            f.pop("constraints", None)
    if (combined or table == "reports") and table != "fields":
        fields = key + fields
    out = {"$schema": PROFILE, "description": TABLES[table], "fields": fields,
           "missingValues": [""]}
    if table == "fields":
        out["primaryKey"] = ["template", "field_id"]
    if table == "reports":
        out["primaryKey"] = ["agency_id", "year"]
    if table in _ROW_KEYS:
        out["primaryKey"] = (["agency_id", "year"] if combined else []) + _ROW_KEYS[table]
    if combined and table in (*_ROW_KEYS, "extra_rows"):  # problems name unpublished files too
        out["foreignKeys"] = [{"fields": ["agency_id", "year"],
                               "reference": {"resource": "reports", "fields": ["agency_id", "year"]}}]
    return out


# What tells a table's rows apart within one report.
_ROW_KEYS = {"active": ["row", "column"], "apply": ["row"], "appeal": ["group"],
             "values": ["field_id"]}


def field_rows() -> list[list[str]]:
    """fields.csv: every template's field IDs, where each lies on the printed form."""
    rows = []
    for tid, template in cat.load().templates.items():
        for f in template.fields:
            row = f.row
            label = f"{row.group} {row.label}" if f.table == "active" else row.label
            rows.append([tid, f.id, f.table, cat.TABLE_TITLES[f.table], row.id, label,
                         f.column.id, f.column.heading, f.type,
                         "万元" if f.type == "amount_wan" else ""])
    return rows


def generate() -> dict[str, dict]:
    out = {f"{t}.schema.json": schema(t) for t in TABLES if t not in COMBINED_ONLY}
    out.update({f"all/{t}.schema.json": schema(t, combined=True) for t in TABLES})
    return out


def write(root: Path = SCHEMAS) -> list[Path]:
    written = []
    for name, data in generate().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def load(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
