"""Data packages: valid per frictionless, schemas in step with the spec, CSVs as promised."""

from __future__ import annotations

import ast
import codecs
import csv
import hashlib
import json
import re
import shutil
import sqlite3
from collections import Counter

import pytest
import yaml
from frictionless import Package

from nianbao import catalogue as cat
from nianbao import schemas
from nianbao.package import descriptor_json
from nianbao.pipeline import build, load_config
from tests.conftest import CONTENT, ROOT, SEEDS, SHARED, TRUTH


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "output"
    return build(CONTENT, out, search=False)


def test_every_package_validates_with_frictionless(built):
    packages = sorted((built.output / "data").rglob("datapackage.json"))
    assert len(packages) == len(built.published) + 1
    for path in packages:
        report = Package(str(path)).validate()
        assert report.valid, (path, report.flatten(["type", "message"])[:5])


def test_keys_tie_the_tables_together_and_frictionless_holds_them(built, tmp_path):
    """From a data user's review: only fields.csv had a primary key, and no table said that
    its (agency_id, year) is a report in reports.csv, though nianbao.db declares both. The
    combined package declares them, and frictionless checks them: a repeated row and a row
    of a report that is not listed each make the package invalid."""
    all_dir = built.output / "data" / "all"
    descriptor = json.loads((all_dir / "datapackage.json").read_text(encoding="utf-8"))
    schema = {r["name"]: r["schema"] for r in descriptor["resources"]}
    assert schema["values"]["primaryKey"] == ["agency_id", "year", "field_id"]
    assert schema["reports"]["primaryKey"] == ["agency_id", "year"]
    for name in ("values", "active", "apply", "appeal", "extra_rows"):
        assert schema[name]["foreignKeys"][0]["reference"]["resource"] == "reports", name
    assert "foreignKeys" not in schema["problems"]  # unpublished files have problems too

    def codes(edit) -> set[str]:
        copy = tmp_path / f"all-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(all_dir, copy)
        values = copy / "values.csv"
        lines = values.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        values.write_text("".join(edit(lines)), encoding="utf-8")
        data = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
        for resource in data["resources"]:
            resource.pop("hash", None), resource.pop("bytes", None)
        (copy / "datapackage.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return {row[0] for row in Package(str(copy / "datapackage.json")).validate().flatten(["type"])}

    assert codes(lambda lines: lines) == set()
    assert "primary-key" in codes(lambda lines: [*lines, lines[1]])
    assert "foreign-key" in codes(
        lambda lines: [*lines, lines[1].replace(lines[1].split(",")[0], "nowhere-agency", 1)])


def test_descriptors_are_what_json_dumps_writes(built):
    """descriptor_json splices in Table Schemas encoded once; the file must be exactly
    json.dumps(indent=2)'s, for agency-year and combined packages alike."""
    packages = sorted((built.output / "data").rglob("datapackage.json"))
    assert len(packages) > 2
    for path in packages:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, ensure_ascii=False, indent=2) + "\n", path
        assert descriptor_json(data) + "\n" == text


def test_the_builds_own_check_passes_what_frictionless_passes(built):
    """The fast in-process check finds nothing in packages frictionless calls valid."""
    assert all(pkg.invalid == [] for pkg in built.site.packages.values())
    assert not [p for r in built.reports for p in r.problems if p.code == "package-invalid"]


def test_the_builds_own_check_catches_what_frictionless_catches(tmp_path):
    """A package that breaks its schema (text in an integer field, a severity outside its
    enum) is named by the build's check, table, line and field, and frictionless agrees it
    is invalid; the report gets error-level problems saying where."""
    import dataclasses

    from nianbao.model import Problem
    from nianbao.package import package_problems, package_report
    from nianbao.pipeline import load_config

    report = next(r for r in built_reports() if r.publishable)
    broken = dataclasses.replace(report, values={**report.values, "active.rules.made": "十二"},
                                 problems=[Problem("rule-broken", "fatal", "x", "y")])
    package = package_report(broken, tmp_path, load_config(CONTENT))
    assert "values.csv 第 2 行：value = '十二' 不是 number" in package.invalid
    assert "active.csv 第 2 行：value = '十二' 不是 number" in package.invalid
    assert any(m.startswith("problems.csv 第 2 行") and "'fatal'" in m for m in package.invalid)
    frictionless = Package(str(tmp_path / package.path / "datapackage.json")).validate()
    assert not frictionless.valid
    problems = package_problems(broken, package)
    assert len(problems) == len(package.invalid) == 3
    assert all(p.code == "package-invalid" and p.severity == "error" for p in problems)
    assert {p.where for p in problems} == {package.path + name
                                           for name in ("active.csv", "values.csv", "problems.csv")}


def built_reports():
    from nianbao.discover import discover
    from nianbao.pipeline import extract_all, settle_identities

    reports = extract_all(discover(CONTENT / "reports"), jobs=1)
    settle_identities(reports)
    return reports


def test_spec_copy_is_the_spec():
    spec = SHARED / "spec" / "templates.yaml"
    if not spec.exists():
        pytest.skip("shared/ is not beside the checkout")
    assert (cat.DATA / "templates.yaml").read_bytes() == spec.read_bytes()


def test_only_the_catalogue_spells_the_reports_parts():
    """The six parts' titles (and 四's printed variants) live in labels.yaml: no module spells
    one in its code, where a reworded title would have to be found and fixed in each."""
    parts = cat.PARTS
    assert [p.number for p in parts] == list("一二三四五六")
    assert [p.table for p in parts if p.table] == list(cat.TABLES)
    assert re.fullmatch(parts[3].pattern, "政府信息公开行政复议及行政诉讼情况")
    spelled = []
    for path in sorted((ROOT / "nianbao").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        spelled += [(path.name, node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and any(p.title in node.value or p.title[:8] in node.value for p in parts)]
    assert not spelled, spelled


def test_committed_schemas_are_generated_from_the_catalogue():
    for name, data in schemas.generate().items():
        path = ROOT / "schemas" / name
        assert path.exists(), f"run `python build.py schemas`: {name} missing"
        assert json.loads(path.read_text(encoding="utf-8")) == data, name


def test_schemas_agree_with_spec():
    spec = yaml.safe_load((cat.DATA / "templates.yaml").read_text(encoding="utf-8"))
    values = schemas.load("values.schema.json")["fields"][0]["constraints"]["enum"]
    for tid, template in cat.load().templates.items():
        assert len(template.fields) == {"2019": 198, "2021": 200}[tid]
        assert set(template.field_ids) <= set(values)
        apply_rows = schemas.load("apply.schema.json")["fields"][0]["constraints"]["enum"]
        assert set(spec["templates"][tid]["apply"]) <= set(apply_rows)
    apply_cols = [f["name"] for f in schemas.load("apply.schema.json")["fields"][2:]]
    assert apply_cols == list(spec["columns"]["applicant"])
    appeal_cols = [f["name"] for f in schemas.load("appeal.schema.json")["fields"][2:]]
    assert appeal_cols == list(spec["columns"]["appeal"])


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_values_match_truth_and_null_is_empty(built):
    for name, rel in SEEDS.items():
        truth = json.loads((TRUTH / name).read_text(encoding="utf-8"))
        folder = built.output / "data" / _id(built, rel) / str(truth["year"])
        values = {r["field_id"]: r["value"] for r in _rows(folder / "values.csv")}
        for field_id, expected in truth["values"].items():
            if isinstance(expected, dict):
                continue
            assert values[field_id] == ("" if expected is None else str(expected)), field_id


def _blank_reasons_agree_with_problems(folder) -> Counter:
    """values.csv's blank_reason: empty beside a number; beside a blank, left-blank or the
    code of a problem in problems.csv that names the cell or its row."""
    named = {}
    for p in _rows(folder / "problems.csv"):
        for cell in p["cells"].split():
            named.setdefault(cell, set()).add(p["code"])
    reasons = Counter()
    for r in _rows(folder / "values.csv"):
        reason = r["blank_reason"]
        if r["value"] != "":
            assert reason == "", r
            continue
        reasons[reason] += 1
        if reason != "left-blank":
            row = r["field_id"].rsplit(".", 1)[0]
            assert reason in named.get(r["field_id"], set()) | named.get(row, set()), r
    return reasons


def test_values_say_why_a_value_is_blank(built, tmp_path):
    """From a data user's review: a blank value could be one the agency left blank or one
    the parser could not read, and only matching problems.csv's cells told which."""
    reasons = {}
    for name, rel in SEEDS.items():
        truth = json.loads((TRUTH / name).read_text(encoding="utf-8"))
        folder = built.output / "data" / _id(built, rel) / str(truth["year"])
        reasons[name[:3]] = _blank_reasons_agree_with_problems(folder)
        ambiguous = [f for f, v in truth["values"].items() if isinstance(v, dict)]
        rows = {r["field_id"]: r["blank_reason"] for r in _rows(folder / "values.csv")}
        assert {rows[f] for f in ambiguous} <= {"cells-misaligned"}
    assert reasons["000"] == {"left-blank": 115}  # 南关: the organisation columns left blank
    assert reasons["001"] == {"row-missing": 24, "cells-misaligned": 7}  # 中牟
    assert reasons["002"] == reasons["003"] == {}
    assert reasons["004"] == {"left-blank": 126}

    # A cell printed as a dash, and a glued row that splits more than one way.
    content = tmp_path / "content"
    (content / "reports").mkdir(parents=True)
    seed = CONTENT / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    lines = seed.read_text(encoding="utf-8").splitlines()
    assert lines[19:21] == ["\t规章", "\t0"]
    lines[20] = "\t—"
    (content / "reports" / seed.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    glued = ROOT / "tests" / "corpus" / "web-text" / "dept_czj_2019_80560_page.txt"
    shutil.copy(glued, content / "reports" / glued.name)
    result = build(content, tmp_path / "output", search=False)
    found = Counter()
    for report in result.published:
        found += _blank_reasons_agree_with_problems(
            result.output / "data" / report.agency_id / str(report.year))
    assert found["cell-dash"] == 1 and found["cells-ambiguous"] > 0, found
    with sqlite3.connect(result.output / "data" / "nianbao.db") as db:
        assert db.execute("""SELECT blank_reason FROM "values" WHERE agency_id = ?
                             AND field_id = 'active.rules.made'""",
                          ("zibo-zichuan-zhaoshangju",)).fetchone() == ("cell-dash",)


def test_every_csv_opens_in_excel_as_utf8(built):
    """Excel and WPS read a CSV without a byte-order mark as the system's code page (GBK on
    a Chinese Windows): every CSV starts with one, once, before the schema's header."""
    paths = sorted((built.output / "data").rglob("*.csv"))
    assert len(paths) > 6 * len(built.published)  # each package's tables, and data/all's
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(codecs.BOM_UTF8) and not data[3:].startswith(codecs.BOM_UTF8), path
        header = data[3:].split(b"\r\n", 1)[0].decode("utf-8").split(",")
        prefix = "all/" if path.parent.name == "all" else ""
        assert header == [f["name"] for f in schemas.load(f"{prefix}{path.stem}.schema.json")["fields"]]


def test_each_package_names_its_own_page(built):
    """A package's homepage is where a reader sees it: its agency-year's page (data/ for
    the combined one), not the site's front page."""
    base = load_config(CONTENT)["base_url"]
    for r in built.published:
        folder = built.output / "data" / r.agency_id / str(r.year)
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert descriptor["homepage"] == f"{base}{r.agency_id}/{r.year}/"
        assert (built.output / r.agency_id / str(r.year) / "index.html").exists()
    combined = json.loads((built.output / "data/all/datapackage.json").read_text(encoding="utf-8"))
    assert combined["homepage"] == f"{base}data/"


def test_reports_table_links_each_original_by_its_address(built):
    """reports.csv travels in zips and the database, where a path relative to data/all/
    leads nowhere: source_file is the original's address on the site."""
    base = load_config(CONTENT)["base_url"]
    rows = _rows(built.output / "data" / "all" / "reports.csv")
    assert len(rows) == len(built.published)
    for row in rows:
        assert row["source_file"].startswith(base + "data/"), row["source_file"]
        assert (built.output / row["source_file"].removeprefix(base)).is_file()


def test_reports_table_carries_the_agency_type_the_site_filters_by(built):
    """A journalist's review: the year page filters by 机关类型, which no data file had, so a
    filtered view could not be rebuilt from the data."""
    rows = {r["agency_id"]: r["agency_type"] for r in _rows(built.output / "data" / "all" / "reports.csv")}
    assert rows["hangzhou-gongshu-shangwuju"] == "商务局"
    assert rows["zibo-zichuan-zhaoshangju"] == "招商局"
    year = (built.output / "years" / "2020" / "index.html").read_text(encoding="utf-8")
    for agency_id, kind in rows.items():
        if agency_id != "hangzhou-gongshu-shangwuju":  # 2019
            assert re.search(rf'data-type="{kind}"[^>]*>\s*<th scope="row" data-sort="[^"]*">'
                             rf'<a href="\.\./\.\./{agency_id}/', year), agency_id
    with sqlite3.connect(built.output / "data" / "nianbao.db") as db:
        assert dict(db.execute("SELECT agency_id, agency_type FROM reports")) == rows


def test_fields_table_names_every_field_of_the_data(built):
    """values.csv gives field IDs; fields.csv says where each lies on the printed form (in
    Chinese), its type and unit, for each template: a researcher needs no spec to read it."""
    folder = built.output / "data" / "all"
    fields = {(r["template"], r["field_id"]): r for r in _rows(folder / "fields.csv")}
    values = _rows(folder / "values.csv")
    assert values and all((v["template"], v["field_id"]) in fields for v in values)
    for tid, template in cat.load().templates.items():
        for f in template.fields:
            row = fields[(tid, f.id)]
            assert row["column_label"] == f.column.heading and f.row.label in row["row_label"]
            assert row["unit"] == ("万元" if f.type == "amount_wan" else "")
    assert len(fields) == sum(len(t.fields) for t in cat.load().templates.values())
    assert fields[("2019", "active.procurement.amount")]["column_label"] == "采购总金额（万元）"
    con = sqlite3.connect(built.output / "data" / "nianbao.db")
    joined = con.execute('SELECT count(*) FROM "values" v JOIN fields f USING (template, field_id)')
    assert joined.fetchone()[0] == len(values)


def _id(built, rel):
    return next(r.agency_id for r in built.published if r.source.rel == rel)


def test_amounts_unformatted_and_original_hashed(built):
    folder = built.output / "data" / "beijing-tongzhou-shangwuju" / "2020"
    active = {(r["row"], r["column"]): r["value"] for r in _rows(folder / "active.csv")}
    assert active[("procurement", "amount")] == "5.0475"
    assert active[("normative", "published")] == "1"
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    source = descriptor["sources"][0]
    original = folder / source["path"]
    assert hashlib.sha256(original.read_bytes()).hexdigest() == source["nianbao:sha256"]
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert (folder / "beijing-tongzhou-shangwuju-2020.zip").exists()


def test_combined_package_has_report_columns(built):
    rows = _rows(built.output / "data" / "all" / "apply.csv")
    assert list(rows[0])[:5] == ["agency_id", "agency", "region_code", "year", "template"]
    assert {r["agency_id"] for r in rows} == {r.agency_id for r in built.published}
    reports = _rows(built.output / "data" / "all" / "reports.csv")
    assert len(reports) == len(built.published)
    extra = _rows(built.output / "data" / "all" / "extra_rows.csv")
    assert {r["label"] for r in extra} == {"行政检查", "行政确认"}
