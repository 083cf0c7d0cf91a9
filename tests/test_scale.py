"""Scaling the build: parallel and incremental builds equal a plain one, no-op rebuilds,
a sharded search index searched as one, the files-host mode, and extraction on Dask."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao import executors, index, publish, render
from nianbao.cache import ExtractCache, code_hash
from nianbao.discover import discover
from nianbao.jsonout import dumps, report_json
from nianbao.package import package_combined, package_report
from nianbao.pipeline import (
    RACY_NS,
    STATE_FILE,
    _package_dict,
    _package_info,
    _Texts,
    _walk,
    build,
    collect,
    extract_all,
    load_config,
    settle_identities,
)
from tests.conftest import CONTENT
from tests.site_fixtures import page, serve_folder

SYNTHETIC = 70  # with the bundled reports, more units than executors.MIN_PARALLEL


def _digests(root: Path, skip=(".nianbao/", "pagefind/")) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)}


def _content(folder: Path, synthetic: int = SYNTHETIC) -> Path:
    from bench.synth import write_corpus

    shutil.copytree(CONTENT, folder)
    if synthetic:
        # scattered: nearly a unit a report, so the units go to the worker processes
        write_corpus(folder / "synthetic", synthetic, seed=7, agencies="scattered")
        shutil.move(folder / "synthetic" / "reports", folder / "reports" / "synthetic")
        shutil.rmtree(folder / "synthetic")
    return folder


def reference_build(content: Path, out: Path) -> None:
    """The build without parallel units, reuse or the pipeline's own publish step: package
    every report, publish.publish(), render.render()."""
    config = load_config(content)
    reports = extract_all(discover(content / "reports"), jobs=1)
    settle_identities(reports)
    site = collect(reports, config)
    out.mkdir(parents=True)
    for r in site.reports:
        site.packages[(r.agency_id, r.year)] = package_report(r, out, config)
    site.combined = package_combined(site.reports, site.all_reports, out, config)
    publish.publish(site, out)
    publish.write_sitemaps(out, site, render.render(site, out, content))


def test_work_beside_the_build_reports_its_failure_and_can_be_stopped(tmp_path):
    """executors.Beside, which writes the catalogue while the build renders: what the task
    writes is there after wait(); a task that fails fails the build; stop() ends one."""
    import time

    done = tmp_path / "done"
    beside = executors.Beside(lambda: done.write_text("yes"), "writer")
    beside.wait()
    assert done.read_text() == "yes"
    failing = executors.Beside(lambda: 1 / 0, "divider")
    with pytest.raises(executors.ExecutorError, match="divider failed"):
        failing.wait()
    sleeper = executors.Beside(lambda: time.sleep(60), "sleeper")
    started = time.monotonic()
    sleeper.stop()
    assert time.monotonic() - started < 30 and sleeper.proc.exitcode != 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _content(tmp_path_factory.mktemp("scale") / "content")


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference") / "output"
    reference_build(corpus, out)
    return _digests(out)


# ---------------------------------------------------------------- parallel, incremental


def _state(output: Path) -> dict:
    return json.loads(gzip.decompress((output / STATE_FILE).read_bytes()))


def test_parallel_build_equals_the_plain_build(corpus, reference, tmp_path):
    units = {(r.parent.name, r.name) for r in corpus.glob("reports/**/*.txt")}
    assert len(units) >= executors.MIN_PARALLEL
    result = build(corpus, tmp_path / "output", search=False, jobs=2)
    assert result.stats["units_built"] >= executors.MIN_PARALLEL
    assert _digests(tmp_path / "output") == reference
    assert (tmp_path / "output" / STATE_FILE).is_file()
    # The state records packages compactly (their texts numbered), and reads them back whole.
    packages = [*result.site.packages.values(), result.site.combined]
    texts = _Texts()
    stored = json.loads(json.dumps([_package_dict(p, texts) for p in packages]))
    assert [_package_info(p, texts.table) for p in stored] == packages
    assert len(texts.table) < 20  # titles and keywords, each once
    # Sizes and checksums made from the bytes in memory, page digests as the pages were
    # written: each is the file's on disk.
    output = tmp_path / "output"
    for package in result.site.packages.values():
        for f in package.files:
            data = (output / package.path / f.name).read_bytes()
            assert (f.bytes, f.sha256) == (len(data), hashlib.sha256(data).hexdigest()), f.name
    for agency, unit in _state(output)["units"].items():
        for year, digest in unit["pages"].items():
            page = output / agency / year / "index.html"
            assert digest == hashlib.sha256(page.read_bytes()).hexdigest()


def test_incremental_builds(corpus, reference, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    output, cache = tmp_path / "output", tmp_path / "cache"
    # Entries of three other code versions, used one, two and three seconds into 1970:
    # the build keeps its own and the two most recently used of them.
    for n in (1, 2, 3):
        (cache / f"{n:016x}").mkdir(parents=True)
        os.utime(cache / f"{n:016x}", ns=(n * 10**9, n * 10**9))
    first = build(content, output, search=False, cache_dir=cache)
    units = first.stats["units_built"]
    assert first.stats["units_reused"] == 0
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        ["builds", code_hash(), f"{2:016x}", f"{3:016x}"])
    assert _state(output)["files"] == _walk(output)  # every unit as its worker listed it

    # Nothing changed: nothing is done, and the output folder is the same folder.
    inode = output.stat().st_ino
    again = build(content, output, search=False, cache_dir=cache)
    assert again.stats.get("noop") and output.stat().st_ino == inode
    assert again.summary() == first.summary()
    # Its problem listing is the last build's, kept beside the stamp: no report is loaded.
    assert again.problems() == first.problems() != []
    assert again._reports is None
    assert [dumps(report_json(r)) for r in again.reports] == \
        [dumps(report_json(r)) for r in first.reports]
    # Without that listing, the reports are loaded to make it.
    listing = next((cache / "builds").glob("*.problems.json"))
    listing.unlink()
    assert build(content, output, search=False, cache_dir=cache).problems() == first.problems()

    # One report changed: its agency is rebuilt, every other one reused, and the output is
    # what a build from scratch makes.
    changed = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    # (221 is a count in table 2; the 1 natural person in table 3 becomes 2, so the row's
    # total no longer adds up: one more error in the 2020 comparison table)
    changed.write_text(changed.read_text(encoding="utf-8").replace("221", "222").replace(
        "一、本年新收政府信息公开申请数量\n\t1\n", "一、本年新收政府信息公开申请数量\n\t2\n"),
        encoding="utf-8")
    year_pages = {y: output / "years" / str(y) / "index.html" for y in (2019, 2020)}
    inodes = {y: p.stat().st_ino for y, p in year_pages.items()}
    one = build(content, output, search=False, cache_dir=cache)
    assert one.stats["units_built"] == 1 and one.stats["units_reused"] == units - 1
    # Of the aggregate pages, those whose context changed are rendered again (the year of
    # the edit); the others are the last build's files (linked: the same inode).
    assert year_pages[2019].stat().st_ino == inodes[2019]
    assert year_pages[2020].stat().st_ino != inodes[2020]
    # The state lists every file with its size (the units' as the workers and the previous
    # state reported them): what is on disk.
    assert _state(output)["files"] == _walk(output)
    scratch = tmp_path / "scratch"
    build(content, scratch, search=False, incremental=False)
    assert _digests(output) == _digests(scratch)
    assert (output / STATE_FILE).read_bytes() == (scratch / STATE_FILE).read_bytes()

    # Touched but not changed: not a no-op (times differ), but every agency is reused.
    assert build(content, output, search=False, cache_dir=cache).stats.get("noop")
    changed.touch()
    touched = build(content, output, search=False, cache_dir=cache)
    assert not touched.stats.get("noop") and touched.stats["units_built"] == 0
    # A copy of the output is not the output that build left: not a no-op either.
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    shutil.rmtree(output)
    copy.rename(output)
    assert not build(content, output, search=False, cache_dir=cache).stats.get("noop")

    # A file of the output changed behind the build's back (a no-op trusts the output, like
    # make; a build that runs checks what it reuses): that agency is rebuilt, and an
    # aggregate page that is not the size the last build wrote is rendered again.
    victim = output / "zibo-zichuan-zhaoshangju" / "2020" / "index.html"
    victim.write_text("tampered", encoding="utf-8")
    year_pages[2019].write_text("tampered", encoding="utf-8")
    fixed = build(content, output, search=False)
    assert fixed.stats["units_built"] == 1
    assert _digests(output) == _digests(scratch)
    # Unchanged units' folders move into the new output whole: one holding a file the build
    # did not write is built again rather than carrying the stray file along.
    # So is one that lacks a file the build wrote.
    stray = [output / "zibo-zichuan-zhaoshangju" / "2020" / "notes.txt",
             output / "data" / "zibo-zichuan-zhaoshangju" / "old.csv"]
    for path in stray:
        path.write_text("stray", encoding="utf-8")
    (output / "data" / "beijing-tongzhou-shangwuju" / "2020" / "values.csv").unlink()
    cleaned = build(content, output, search=False)
    assert cleaned.stats["units_built"] == 2 and not [p for p in stray if p.exists()]
    assert _digests(output) == _digests(scratch)
    assert (output / STATE_FILE).read_bytes() == (scratch / STATE_FILE).read_bytes()

    # The site configuration is an input of every page: all agencies are rebuilt.
    site_yaml = content / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + "\ndescription: 另一个说明\n",
                         encoding="utf-8")
    changed_config = build(content, output, search=False, cache_dir=cache)
    assert changed_config.stats["units_reused"] == 0


def _bump_a_value(csv_path: Path, db_path: Path, skip: str) -> tuple[str, str]:
    """Change one number of another agency's in the combined values table and the database,
    in place and at the same size, as a previous build might have written it; returns the
    CSV line as changed and the row's key."""
    import sqlite3

    text = csv_path.read_bytes().decode("utf-8")
    line = next(x for x in text.split("\r\n")[1:]
                if not x.startswith(skip) and x.split(",")[6].isdigit()
                and x.split(",")[6][-1] != "9")
    agency, _, _, year, _, field_id, value, reason = line.split(",")
    bumped = ",".join([*line.split(",")[:6], value[:-1] + str(int(value[-1]) + 1), reason])
    csv_path.write_bytes(text.replace(line + "\r\n", bumped + "\r\n", 1).encode("utf-8"))
    with sqlite3.connect(db_path) as con:
        con.execute('UPDATE "values" SET value = value + 1 '
                    "WHERE agency_id = ? AND year = ? AND field_id = ?", (agency, year, field_id))
    con.close()
    return bumped, f"{agency} {year} {field_id}"


def _vouch_for_combined(output: Path, all_dir: Path) -> None:
    """Record the combined values table and database as they are now in output's state, as
    if the last build had written them so."""
    state = _state(output)
    for name, path in (("values.csv", all_dir / "values.csv"),
                       ("../nianbao.db", all_dir.parent / "nianbao.db")):
        state["combined"]["sha256"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (output / STATE_FILE).write_bytes(gzip.compress(json.dumps(state).encode()))


def test_an_edit_copies_the_unchanged_agencies_rows_of_the_combined_tables(corpus, tmp_path):
    """After an edit, the combined CSVs and the database take the other agencies' rows from
    the previous build's files (bytes and rows as they are, not made again); but only from
    files that are still as that build wrote them."""
    import sqlite3

    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    output = tmp_path / "output"
    build(content, output, search=False)
    report = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    all_dir = output / "data" / "all"

    def query(key: str):
        agency, year, field_id = key.split()
        with sqlite3.connect(output / "data" / "nianbao.db") as con:
            found = con.execute('SELECT value FROM "values" WHERE agency_id = ? AND year = ? '
                                "AND field_id = ?", (agency, year, field_id)).fetchone()[0]
        con.close()
        return found

    # Changed in place, the state saying the previous build wrote them so: the changed row
    # comes through, which shows the rows are copied.
    bumped, key = _bump_a_value(all_dir / "values.csv", output / "data" / "nianbao.db",
                                "zibo-zichuan-zhaoshangju,")
    before = query(key)
    _vouch_for_combined(output, all_dir)
    report.write_text(report.read_text(encoding="utf-8").replace("221", "222"), encoding="utf-8")
    one = build(content, output, search=False)
    assert one.stats["units_built"] == 1
    values = (all_dir / "values.csv").read_text(encoding="utf-8")
    assert bumped + "\n" in values and query(key) == before
    assert "zibo-zichuan-zhaoshangju,淄川区招商局,370302,2020" in values

    # Changed behind the build's back: neither file is copied from, and the output is
    # what a build from scratch makes.
    _bump_a_value(all_dir / "values.csv", output / "data" / "nianbao.db",
                  "zibo-zichuan-zhaoshangju,")
    report.write_text(report.read_text(encoding="utf-8").replace("222", "223"), encoding="utf-8")
    assert build(content, output, search=False).stats["units_built"] == 1
    scratch = tmp_path / "scratch"
    build(content, scratch, search=False, incremental=False)
    assert _digests(output) == _digests(scratch)


def test_fast_path_rewrites_one_agency_as_the_build_would(corpus, tmp_path):
    """serve's fast path (update_pages): an edited report's agency-year and agency pages are
    rewritten in place, equal to what a full build makes of them, and nothing else is
    touched; edits it cannot take alone (a new file, a changed agency) are left to the build."""
    from nianbao.pipeline import update_pages

    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    output = tmp_path / "output"
    result = build(content, output, search=False)
    before = _digests(output)
    report = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("一是", "一是（修改）", 1), encoding="utf-8")
    pages = update_pages(result, content, output, [report])
    assert pages == ["zibo-zichuan-zhaoshangju/2020/index.html",
                     "zibo-zichuan-zhaoshangju/figures.csv",
                     "zibo-zichuan-zhaoshangju/index.html"]
    after = _digests(output)
    assert {k for k in after if after[k] != before.get(k)} <= set(pages)
    assert "一是（修改）" in (output / pages[0]).read_text(encoding="utf-8")
    full = tmp_path / "full"
    build(content, full, search=False)
    assert (output / pages[0]).read_bytes() == (full / pages[0]).read_bytes()

    new = report.with_name("zibo-zichuan-new-2020.txt")
    new.write_text(text, encoding="utf-8")
    assert update_pages(result, content, output, [new]) is None  # a new file
    report.write_text(text.replace("淄川区招商局", "淄川区商务局"), encoding="utf-8")
    assert update_pages(result, content, output, [report]) is None  # another agency
    assert update_pages(result, content, output, [content / "site.yaml"]) is None


def test_fast_path_follows_a_template_edit(tmp_path, monkeypatch):
    """serve keeps one Jinja environment for its fast path, and with it the form cells it
    has printed (render.FormCells). After an edit to the templates (which comes with a
    build), a report edit must be printed with the new markup, not the remembered cells."""
    from nianbao.serve import LiveSite

    src = tmp_path / "site_src"
    shutil.copytree(render.SITE_SRC, src)
    monkeypatch.setattr(render, "SITE_SRC", src)  # the build here runs in this process
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    report = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    text = report.read_text(encoding="utf-8")
    html = tmp_path / "output" / "zibo-zichuan-zhaoshangju" / "2020" / "index.html"
    live = LiveSite(content, tmp_path / "output", search=False, incremental=False,
                    cache_dir=tmp_path / "cache")
    assert live.build()
    report.write_text(text.replace("一是", "一是（一）", 1), encoding="utf-8")
    assert live.fast_path({report})
    assert "一是（一）" in html.read_text(encoding="utf-8")

    macros = src / "templates" / "macros.html"
    markup = macros.read_text(encoding="utf-8")
    assert markup.count("<{{ tag }}{% if colspan") == 1
    macros.write_text(markup.replace("<{{ tag }}{% if colspan", '<{{ tag }} data-probe="1"'
                                     "{% if colspan"), encoding="utf-8")
    assert live.build()
    assert 'data-probe="1"' in html.read_text(encoding="utf-8")
    report.write_text(text.replace("一是", "一是（二）", 1), encoding="utf-8")
    assert live.fast_path({report})
    page_text = html.read_text(encoding="utf-8")
    assert "一是（二）" in page_text
    assert page_text.count('data-probe="1"') > 200  # every form cell, none remembered


def test_serve_removes_the_old_output_beside_the_build(tmp_path):
    """serve's builds hand the old output's tree to a thread of its own, so the browser
    reloads without waiting for it to be removed; once that is done, nothing is left."""
    from nianbao.serve import LiveSite

    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(CONTENT, content)
    live = LiveSite(content, output, search=False, incremental=False)
    assert live.build() and live.build()  # the second replaces all of the first
    live.trash.close()
    assert len(live.trash.given) == 1 and not live.trash.given[0].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "output"]
    assert (output / "index.html").is_file()


def test_builds_without_the_cache_are_never_no_ops(corpus, tmp_path):
    """A no-op returns reports from the extraction cache; without one the build runs (and
    still reuses every agency)."""
    output = tmp_path / "output"
    build(corpus, output, search=False)
    again = build(corpus, output, search=False)
    assert not again.stats.get("noop") and again.stats["units_built"] == 0


def test_only_the_reports_whose_files_changed_are_read_again(tmp_path):
    """The last build's extraction keys are reused for files whose size, times and inode
    are as its snapshot saw them, unless they were touched too close before it (racy); every
    other report is hashed again, and what it says now is what the build publishes."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    reports = content / "reports" / "2020"
    output, cache = tmp_path / "output", tmp_path / "cache"
    total = len(discover(content / "reports"))
    settle = RACY_NS / 1e9 + 0.1

    def run(**kw):
        result = build(content, output, search=False, cache_dir=cache, **kw)
        by_name = {r.source.path.name: r for r in result.reports}
        return result.stats["reports_hashed"], by_name

    time.sleep(settle)  # the copies: older than the first build's snapshot by the margin
    assert run()[0] == total

    zibo = reports / "zibo-zichuan-zhaoshangju-2020.txt"
    zibo.write_text(zibo.read_text(encoding="utf-8").replace("221", "2210"), encoding="utf-8")
    hashed, by_name = run()
    assert hashed == 1 and by_name[zibo.name].values["active.procurement.items"] == 2210

    # The same size, the old modification time put back: the change time gives it away.
    # The last edit (just before the last build's snapshot) is racy: hashed again, too.
    time.sleep(settle)
    tongzhou = reports / "beijing-tongzhou-shangwuju-2020.txt"
    st = tongzhou.stat()
    tongzhou.write_text(tongzhou.read_text(encoding="utf-8").replace("753", "754"),
                        encoding="utf-8")
    os.utime(tongzhou, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert tongzhou.stat().st_size == st.st_size
    hashed, by_name = run()
    assert hashed == 2 and by_name[tongzhou.name].values["active.licensing.decisions"] == 754

    # A new sidecar is a new key for its report (and tongzhou, racy, is hashed once more).
    time.sleep(settle)
    sidecar = reports / "changchun-nanguan-shangwuju-2020.yaml"
    sidecar.write_text("agency: 长春市南关区商务局（测试）\n", encoding="utf-8")
    hashed, by_name = run()
    assert hashed == 2
    assert by_name["changchun-nanguan-shangwuju-2020.txt"].agency == "长春市南关区商务局（测试）"

    # --full trusts nothing of the last build.
    time.sleep(settle)
    zibo.write_text(zibo.read_text(encoding="utf-8").replace("2210", "221"), encoding="utf-8")
    assert run(incremental=False)[0] == total


def test_a_broken_symlink_among_the_reports_hides_no_edit(tmp_path):
    """A file the snapshot cannot stat is listed as such, not the whole snapshot dropped
    (an empty snapshot equal to the last one made every later build a no-op)."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    output, cache = tmp_path / "output", tmp_path / "cache"
    (content / "reports" / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (content / "reports" / "loop").symlink_to(content / "reports")  # not followed
    build(content, output, search=False, cache_dir=cache)
    assert build(content, output, search=False, cache_dir=cache).stats.get("noop")
    zibo = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    zibo.write_text(zibo.read_text(encoding="utf-8").replace("221", "2210"), encoding="utf-8")
    edited = build(content, output, search=False, cache_dir=cache)
    assert not edited.stats.get("noop")
    assert {r.source.path.name: r for r in edited.reports}[zibo.name].values[
        "active.procurement.items"] == 2210


# ---------------------------------------------------------------- sharded search


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """The bundled content (5 reports, two years) with a shard limit of 2 pages: a bundle
    per year."""
    out = tmp_path_factory.mktemp("sharded") / "output"
    result = build(CONTENT, out, shard_pages=2)
    return result, out


@pytest.fixture(scope="module")
def chunked(sharded, tmp_path_factory):
    """The same site indexed with at most 2 pages a bundle: the 2020 shard (4 pages) splits
    in two, 2019 is one."""
    result, out = sharded
    copy = tmp_path_factory.mktemp("chunked") / "output"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("pagefind"))
    manifest = index.index(copy, shard_pages=2, chunk_pages=2)
    return result, copy, manifest


def test_search_index_is_sharded_by_year(sharded):
    result, out = sharded
    manifest = json.loads((out / "pagefind" / index.MANIFEST).read_text(encoding="utf-8"))
    years = sorted({str(r.year) for r in result.site.reports})
    assert manifest["bundles"] == [f"{y}/" for y in years] == ["2019/", "2020/"]
    assert manifest["pages"] == len(result.site.reports)
    assert sum(s["pages"] for s in manifest["shards"].values()) == len(result.site.reports)
    assert not (out / "pagefind" / "pagefind.js").exists()  # no unsharded bundle beside them
    assert not list(out.parent.glob(".nianbao-*"))


def test_a_year_past_the_chunk_size_is_split(chunked):
    result, out, manifest = chunked
    years = sorted({str(r.year) for r in result.site.reports})
    assert manifest["bundles"] == ["2019/", "2020/", "2020-2/"]
    assert {b.split("-")[0].rstrip("/") for b in manifest["bundles"]} == set(years)
    assert manifest == json.loads((out / "pagefind" / index.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["pages"] == len(result.site.reports)
    assert sum(s["pages"] for s in manifest["shards"].values()) == len(result.site.reports)
    for bundle in manifest["bundles"]:
        entry = json.loads((out / "pagefind" / bundle / "pagefind-entry.json").read_text())
        assert "zh-cn" in entry["languages"]
    assert not (out / "pagefind" / "pagefind.js").exists()  # no unsharded bundle beside them
    assert not list(out.parent.glob(".nianbao-*"))


def test_unchanged_shards_are_reused(sharded, tmp_path):
    """An edit to a 2020 report indexes 2020 again; 2019's bundle is the previous one."""
    _, out = sharded
    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(CONTENT, content)
    shutil.copytree(out, output, copy_function=os.link)
    entries = {y: output / "pagefind" / y / "pagefind-entry.json" for y in ("2019", "2020")}
    inodes = {y: e.stat().st_ino for y, e in entries.items()}
    edited = content / "reports" / "2020" / "zibo-zichuan-zhaoshangju-2020.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace("221", "222"), encoding="utf-8")
    build(content, output, shard_pages=2)
    assert entries["2019"].stat().st_ino == inodes["2019"]  # linked from the previous output
    assert entries["2020"].stat().st_ino != inodes["2020"]
    assert "222" in (output / "zibo-zichuan-zhaoshangju" / "2020" / "index.html").read_text(
        encoding="utf-8")


def test_unsharded_index_has_a_one_bundle_manifest(tmp_path):
    out = tmp_path / "output"
    build(CONTENT, out)
    manifest = json.loads((out / "pagefind" / index.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["bundles"] == ["./"] and (out / "pagefind" / "pagefind.js").is_file()


def test_shards_are_indexed_side_by_side_within_a_memory_budget():
    from nianbao.index import PAGEFIND_BYTES_PER_PAGE, parallel_runs

    assert parallel_runs([2_000] * 5, cores=2) == 2  # 10,000 reports: a run a core
    assert parallel_runs([2_000] * 5, cores=8) == 5
    assert parallel_runs([20_000, 20_000, 9_000], cores=2) == 1  # 100,000: ~6 GB a run
    assert parallel_runs([1_000, 1_000], cores=4, memory=PAGEFIND_BYTES_PER_PAGE * 1_000) == 1
    assert parallel_runs([500], cores=2) == 1 and parallel_runs([], cores=2) == 1


def test_shard_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NIANBAO_SEARCH_SHARD_PAGES", "5")
    assert index.shard_limit({}) == 5
    monkeypatch.delenv("NIANBAO_SEARCH_SHARD_PAGES")
    assert index.shard_limit({"search_shard_pages": 7}) == 7
    assert index.shard_limit({}) == index.DEFAULT_SHARD_PAGES


@pytest.mark.browser
def test_sharded_search_finds_pages_in_every_shard(chunked):
    """In Chromium: one search covers every shard (merged with Pagefind's mergeIndex)."""
    import threading

    from tests.test_browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    result, out, _ = chunked
    expected = set()
    for r in result.site.reports:
        body = page(out, f"{r.agency_id}/{r.year}/").find(data_pagefind_body=True)
        if "行政复议" in "".join(body.text().split()):
            expected.add(f"/nianbao/{r.agency_id}/{r.year}/")
    server, url = serve_folder(out)
    errors: list[str] = []
    found: dict[str, set[str]] = {}

    def drive():  # in its own thread: the browser tests' Playwright may be running in this one
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            pg = browser.new_page()
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            for path in ("search/?q=行政复议", "search/?q=行政复议&year=2019"):
                pg.goto(url + path, wait_until="networkidle")
                pg.wait_for_function("""() => {
                    const s = document.getElementById('search-status').textContent;
                    return s && !s.includes('正在搜索');
                }""")
                found[path] = set(pg.evaluate("""() => [...document.querySelectorAll(
                    '#search-results a.r-title')].map(a => new URL(a.href).pathname)"""))
            browser.close()

    def run():
        try:
            drive()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(120)
    finally:
        server.shutdown()
        server.server_close()
    assert not errors, errors
    everything = found["search/?q=行政复议"]
    assert everything == expected and {p.split("/")[3] for p in everything} == {"2019", "2020"}
    assert found["search/?q=行政复议&year=2019"] == {p for p in expected if p.endswith("/2019/")}


# ---------------------------------------------------------------- files on another host


FILES = "https://files.example.org/nianbao/"


def test_files_host_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_FILES_BASE_URL", FILES)
    monkeypatch.setenv("NIANBAO_BASE_URL", "https://example.github.io/nianbao/")
    output, files = tmp_path / "output", tmp_path / "files"
    result = build(CONTENT, output, search=False, files_output=files)
    # data/ moved, but for the /data/ page; pages link to the files host.
    assert sorted(p.name for p in (output / "data").iterdir()) == ["index.html"]
    r = result.site.reports[0]
    package = f"data/{r.agency_id}/{r.year}/"
    assert (files / package / "datapackage.json").is_file()
    assert (files / "data" / "nianbao.db").is_file() and (files / "data" / "all").is_dir()
    doc = page(output, f"{r.agency_id}/{r.year}/")
    hrefs = [a.attrs["href"] for a in doc.find_all("a") if "href" in a.attrs]
    assert FILES + package + f"{r.agency_id}-{r.year}.zip" in hrefs
    assert not [h for h in hrefs if "data/" in h and not h.startswith(FILES)
                and not h.endswith("data/") and "#" not in h]
    data_page = page(output, "data/")
    assert any(a.attrs.get("href") == FILES + "data/all/nianbao-all.zip" for a in data_page.find_all("a"))
    catalog = (output / "catalog.jsonld").read_text(encoding="utf-8")
    assert f'"{FILES}data/all/nianbao-all.zip"' in catalog
    assert '"https://example.github.io/nianbao/data/all/' not in catalog
    assert '"https://example.github.io/nianbao/data/#dataset"' in catalog  # landing page stays
    feed = (output / "feed.xml").read_text(encoding="utf-8")
    assert f'href="{FILES}data/' in feed and 'href="https://example.github.io/nianbao/data/' not in feed
    # Every file the site links under the files host exists in the files folder.
    for a in doc.find_all("a") + data_page.find_all("a"):
        href = a.attrs.get("href", "")
        if href.startswith(FILES):
            assert (files / urlsplit(href).path.removeprefix("/nianbao/")).is_file(), href
    # Incremental in this mode too: everything reused, from both folders, and both are what
    # a build from scratch makes.
    again = build(CONTENT, output, search=False, files_output=files)
    assert again.stats["units_built"] == 0
    assert (files / package / "datapackage.json").is_file()
    scratch, scratch_files = tmp_path / "scratch", tmp_path / "scratch-files"
    build(CONTENT, scratch, search=False, files_output=scratch_files)
    assert _digests(output) == _digests(scratch)
    assert _digests(files) == _digests(scratch_files)
    state = _state(output)
    assert state["files"] == _walk(output) and state["data_files"] == _walk(files)
    assert (output / STATE_FILE).read_bytes() == (scratch / STATE_FILE).read_bytes()
    # The combined tables' rows come from the files folder's previous ones.
    all_dir = files / "data" / "all"
    bumped, _ = _bump_a_value(all_dir / "values.csv", files / "data" / "nianbao.db", "\0")
    _vouch_for_combined(output, all_dir)
    build(CONTENT, output, search=False, files_output=files)
    assert bumped + "\n" in (all_dir / "values.csv").read_text(encoding="utf-8")


def test_files_output_needs_a_files_base_url(tmp_path):
    from nianbao.pipeline import BuildError

    with pytest.raises(BuildError, match="files_base_url"):
        build(CONTENT, tmp_path / "o", search=False, files_output=tmp_path / "f")


# ---------------------------------------------------------------- Dask


def test_dask_executor_extracts_into_the_cache(corpus, tmp_path):
    pytest.importorskip("dask.distributed", reason="pip install 'dask[distributed]'")
    from dask.distributed import LocalCluster

    sources = discover(corpus / "reports")[:24]
    local = extract_all(sources, jobs=1)
    cache = ExtractCache(tmp_path / "cache")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        remote = extract_all(discover(corpus / "reports")[:24], cache=cache, executor="dask",
                             scheduler=cluster.scheduler_address)
    assert [dumps(report_json(r)) for r in remote] == [dumps(report_json(r)) for r in local]
    assert [r.source.path for r in remote] == [s.path for s in sources]
    again = ExtractCache(tmp_path / "cache")
    extract_all(discover(corpus / "reports")[:24], cache=again, jobs=1)
    assert again.hits == 24


def test_cli_build_flags(tmp_path):
    from nianbao.cli import main

    out = tmp_path / "out"
    assert main(["build", "--content", str(CONTENT), "--output", str(out), "--no-search",
                 "--no-cache", "--full", "--executor", "local"]) == 0
    assert (out / STATE_FILE).is_file()
    assert main(["build", "--content", str(CONTENT), "--output", str(out), "--no-search",
                 "--files-output", str(tmp_path / "f")]) == 2


def test_an_edit_reindexes_only_the_years_whose_pages_changed(corpus, tmp_path):
    """Search bundles are fingerprinted by their pages' bytes, not by their agencies: an
    edit to the prose of one year's report re-indexes that year only, even though the
    agency (built again as a whole) has pages in other years."""
    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(corpus, content)
    first = build(content, output, shard_pages=2)
    years: dict[str, list] = {}
    for r in first.site.reports:
        years.setdefault(r.agency_id, []).append(r)
    agency, reports = next((a, rs) for a, rs in sorted(years.items()) if len(rs) >= 2)
    edited, other = reports[0], reports[1]
    entries = {y: output / "pagefind" / str(y) / "pagefind-entry.json"
               for y in sorted({r.year for r in first.site.reports})}
    inodes = {y: e.stat().st_ino for y, e in entries.items()}
    other_page = (output / agency / str(other.year) / "index.html").read_bytes()
    text = edited.source.path.read_text(encoding="utf-8")
    assert "认真贯彻落实" in text
    edited.source.path.write_text(text.replace("认真贯彻落实", "认真贯彻、落实", 1), encoding="utf-8")
    again = build(content, output, shard_pages=2)
    assert again.stats["units_built"] == 1
    assert (output / agency / str(other.year) / "index.html").read_bytes() == other_page
    assert "认真贯彻、落实" in (output / agency / str(edited.year) / "index.html").read_text(
        encoding="utf-8")
    changed = {y for y, e in entries.items() if e.stat().st_ino != inodes[y]}
    assert changed == {edited.year}, changed
