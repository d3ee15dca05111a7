"""DOC, WPS, ODT and RTF files, read by converting them with LibreOffice to DOCX.

The fixtures (tests/fixtures/office/, made by tests/fixtures/make_office.py) are
a python-docx DOCX of a corpus report and LibreOffice's DOC, ODT and RTF of it.
Programs standing in for soffice check the time limit, the command line and the
missing-LibreOffice error without it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, require
from corpus.soffice import convert
from corpus.specs import SPECS as CORPUS_SPECS
from fixtures.make_office import render

from jixiao.evaluate import comparable, score_report
from jixiao.extract import from_tables
from jixiao.read import LoadError, load
from jixiao.read import convert as converting
from jixiao.structure import prepare

FIXTURES = ROOT / "tests" / "fixtures" / "office"
SOURCE = FIXTURES / "qinghe_edu.docx"
INSTALL = "apt-get install libreoffice-writer-nogui"
# Every corpus report, in one of the converted formats each (a conversion takes
# seconds, so each format is not run on every report).
SPECS = [spec.__name__ for spec in CORPUS_SPECS]
FORMATS = ("doc", "odt", "rtf")


def tables_record(path: Path) -> dict:
    """What the tables of a file give with no model: indicator rows, budget and
    project figures, each as a reader compares them."""
    prepared = prepare(path)
    record = from_tables(prepared).model_dump(mode="json")
    assert score_report({}, record).facts_not_in_source == 0
    fields = ("level1", "level2", "level3", "target", "actual", "weight", "score")
    return {
        "indicators": [
            tuple(comparable(row.get(key)) for key in fields) for row in record["indicators"]
        ],
        "budget": {name: comparable(fact) for name, fact in record["budget"].items()},
        "projects": [
            {key: comparable(value) for key, value in project.items() if key != "name"}
            | {"name": comparable(project["name"])}
            for project in record["projects"]
        ],
        "grids": [grid.from_file for grid in prepared.document.grids],
    }


@pytest.mark.parametrize("kind", FORMATS)
def test_a_converted_file_reads_like_the_docx_it_came_from(kind):
    require("soffice", INSTALL)
    path = FIXTURES / f"qinghe_edu.{kind}"
    loaded = load(path)
    assert loaded.format == kind
    assert any(cell.merged_above for grid in loaded.grids for row in grid.rows for cell in row)
    expected = tables_record(SOURCE)
    assert len(expected["indicators"]) >= 10
    assert sum(value is not None for value in expected["budget"].values()) >= 6
    assert tables_record(path) == expected


def test_every_corpus_report_converted_reads_like_its_docx(tmp_path):
    require("soffice", INSTALL)
    converted: dict[str, Path] = {}
    for n, kind in enumerate(FORMATS):
        names = SPECS[n :: len(FORMATS)]
        sources = [tmp_path / f"{name}.docx" for name in names]
        for name, source in zip(names, sources, strict=True):
            render(name, source)
        convert(sources, kind, tmp_path / kind)
        converted |= {name: tmp_path / kind / f"{name}.{kind}" for name in names}
    expected = {name: tables_record(tmp_path / f"{name}.docx") for name in converted}
    # Two at a time, as a batch's workers convert them: each waits on LibreOffice.
    with ThreadPoolExecutor(2) as pool:
        found = dict(zip(converted, pool.map(tables_record, converted.values()), strict=True))
    assert [converted[name].name for name in converted if found[name] != expected[name]] == []
    assert len(converted) == len(SPECS)


def test_the_text_and_its_offsets_are_the_converted_docx():
    require("soffice", INSTALL)
    loaded = load(FIXTURES / "qinghe_edu.doc")
    for grid in loaded.grids:
        for row in grid.rows:
            for cell in row:
                assert loaded.text[cell.start : cell.end] == cell.text
    assert loaded.sha256 != load(SOURCE).sha256  # the file's own digest, not the DOCX's


def test_a_file_under_a_name_no_command_line_likes_converts(tmp_path):
    require("soffice", INSTALL)
    odd = tmp_path / "报告 $(touch x) 'a;b' -rf.wps"
    shutil.copy(FIXTURES / "qinghe_edu.doc", odd)
    loaded = load(odd)
    assert (loaded.format, loaded.path) == ("doc", odd)
    assert not (tmp_path / "x").exists()
    assert len(loaded.grids) == len(load(SOURCE).grids)


def test_two_conversions_at_once_each_get_their_own_profile(tmp_path):
    require("soffice", INSTALL)
    paths = [FIXTURES / "qinghe_edu.doc", FIXTURES / "qinghe_edu.rtf"]
    with ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(lambda path: load(path).text, paths))
    assert texts[0] == texts[1] == load(SOURCE).text


def _projects_docx(path: Path, spans: bool) -> Path:
    """A department report's table of projects; with `spans`, the name and rate
    cells each span two columns of the table's grid, as in a table whose rows
    LibreOffice divides differently (its RTF of a corpus report)."""
    import docx

    rows = [
        ["序号", "项目名称", "预算数", "执行数", "执行率", "自评得分"],
        ["1", "法律援助经费", "386,500.00", "372,450.00", "96.36%", "95"],
        ["2", "普法宣传经费", "120,000.00", "113,600.00", "94.67%", "90"],
    ]
    spanned = (1, 4) if spans else ()
    document = docx.Document()
    document.add_paragraph("某县司法局2023年度部门整体支出绩效自评报告")
    document.add_paragraph("二、项目支出情况（单位：元）")
    table = document.add_table(rows=len(rows), cols=len(rows[0]) + len(spanned))
    for r, texts in enumerate(rows):
        column = 0
        for c, text in enumerate(texts):
            table.cell(r, column).text = text
            if c in spanned:
                table.cell(r, column).merge(table.cell(r, column + 1))
                column += 1
            column += 1
    document.save(path)
    return path


def test_cells_spanning_two_grid_columns_give_the_projects_single_cells_give(tmp_path):
    spanning = tables_record(_projects_docx(tmp_path / "spans.docx", spans=True))
    single = tables_record(_projects_docx(tmp_path / "single.docx", spans=False))
    assert len(single["projects"]) == 2
    assert spanning == single


# --- macros -----------------------------------------------------------------

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"'
    ' xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dom="http://www.w3.org/2001/xml-events"'
    # The event's name (dom:load) and its script's language (ooo:script) are
    # names in these namespaces: undeclared, the binding is dropped.
    ' xmlns:ooo="http://openoffice.org/2004/office"'
)
_LIBRARY = (
    '<library:libraries xmlns:library="http://openoffice.org/2000/library"'
    ' xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<library:library library:name="Standard" library:link="false"/></library:libraries>'
)
_MODULES = (
    '<library:library xmlns:library="http://openoffice.org/2000/library"'
    ' library:name="Standard" library:readonly="false" library:passwordprotected="false">'
    '<library:element library:name="Module1"/></library:library>'
)


def macro_odt(path: Path, marker: Path) -> Path:
    """An ODT whose Basic macro, bound to the document's opening, writes `marker`."""
    event = (
        '<script:event-listener script:language="ooo:script" script:event-name="dom:load"'
        ' xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"'
        ' xlink:type="simple"/>'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} office:version="1.2">'
        f"<office:scripts><office:event-listeners>{event}</office:event-listeners></office:scripts>"
        "<office:body><office:text><text:p>一、基本情况</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    module = (
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1"'
        f' script:language="StarBasic">Sub Main\nOpen "{marker}" For Output As #1\n'
        'Print #1, "ran"\nClose #1\nEnd Sub\n</script:module>'
    )
    parts = ["content.xml", "Basic/script-lc.xml", "Basic/Standard/script-lb.xml"]
    parts.append("Basic/Standard/Module1.xml")
    entries = "".join(
        f'<manifest:file-entry manifest:full-path="{part}" manifest:media-type="text/xml"/>'
        for part in parts
    )
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        f"{entries}</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        mimetype = zipfile.ZipInfo("mimetype")
        archive.writestr(mimetype, "application/vnd.oasis.opendocument.text")
        for name, text in zip(parts, [content, _LIBRARY, _MODULES, module], strict=True):
            archive.writestr(name, text)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def _open_with_macros_allowed(document: Path, marker: Path, profile: Path) -> bool:
    """Whether opening `document` in LibreOffice with macro security off writes
    `marker`: the check that the macro is live."""
    settings = profile / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Common/Security/Scripting">'
        '<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>0</value></prop></item></oor:items>',
        encoding="utf-8",
    )
    command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    command.append("--nolockcheck")
    process = subprocess.Popen([*command, str(document)], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        return marker.exists()
    finally:
        os.killpg(process.pid, 9)
        process.wait()


def test_a_macro_that_runs_on_opening_does_not_run_in_conversion(tmp_path):
    require("soffice", INSTALL)
    control = tmp_path / "control-ran"
    assert _open_with_macros_allowed(
        macro_odt(tmp_path / "control.odt", control), control, tmp_path / "profile"
    )
    marker = tmp_path / "macro-ran"
    loaded = load(macro_odt(tmp_path / "report.odt", marker))
    assert loaded.format == "odt" and "一、基本情况" in loaded.text
    assert not marker.exists()


# --- LibreOffice missing, failing or hanging ---------------------------------------


@pytest.fixture
def no_soffice(tmp_path, monkeypatch):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(converting.SOFFICE_ENV, raising=False)
    monkeypatch.setattr(converting, "_INSTALLED", ())


@pytest.mark.parametrize(("kind", "label"), [("doc", "DOC/WPS"), ("odt", "ODT"), ("rtf", "RTF")])
def test_without_libreoffice_the_error_says_how_to_install_it(tmp_path, no_soffice, kind, label):
    path = tmp_path / f"报告.{kind}"
    shutil.copy(FIXTURES / f"qinghe_edu.{kind}", path)
    with pytest.raises(LoadError) as raised:
        load(path)
    error = raised.value
    assert error.path == path
    assert error.problem == f"a {label} file is read with LibreOffice, which is not installed"
    for words in (INSTALL, "brew install --cask libreoffice", "choco install", "JIXIAO_SOFFICE"):
        assert words in error.hint


def test_a_soffice_named_by_the_variable_that_is_not_there_is_named(
    tmp_path, no_soffice, monkeypatch
):
    monkeypatch.setenv(converting.SOFFICE_ENV, str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(LoadError, match="JIXIAO_SOFFICE=.*nowhere/soffice is not a program"):
        load(FIXTURES / "qinghe_edu.doc")


def _program(path: Path, script: str) -> Path:
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)
    return path


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("found_by", ["variable", "PATH"])
def test_a_conversion_that_hangs_is_killed_with_all_it_started(
    tmp_path, no_soffice, monkeypatch, found_by
):
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see which processes still run")
    pids = tmp_path / "pids"
    sleep = shutil.which("sleep", path=os.defpath)  # PATH now holds only the stand-in
    # Like soffice, it leaves a child behind: both must die at the time limit.
    program = _program(
        tmp_path / "empty-path" / "soffice",
        f'{sleep} 300 &\necho $$ $! > "{pids}"\nwait\n',
    )
    if found_by == "variable":
        monkeypatch.setenv(converting.SOFFICE_ENV, str(program))
    monkeypatch.setenv(converting.TIMEOUT_ENV, "1.5")
    started = time.monotonic()
    with pytest.raises(LoadError) as raised:
        load(FIXTURES / "qinghe_edu.doc")
    assert time.monotonic() - started < 10
    assert raised.value.problem == "converting it with LibreOffice took over 1.5 s, and was stopped"
    assert converting.TIMEOUT_ENV in raised.value.hint
    launched = [int(pid) for pid in pids.read_text().split()]
    assert len(launched) == 2
    deadline = time.monotonic() + 5
    while any(map(_alive, launched)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, launched))


def test_a_conversion_stopped_by_ctrl_c_takes_libreoffice_with_it(tmp_path):
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see which processes still run")
    pids = tmp_path / "pids"
    program = _program(tmp_path / "soffice", f'sleep 300 &\necho $$ $! > "{pids}"\nwait\n')
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from jixiao.read import load; load({str(SOURCE.with_suffix('.doc'))!r})",
        ],
        env=os.environ | {converting.SOFFICE_ENV: str(program)},
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline and reader.poll() is None
        time.sleep(0.1)
    reader.send_signal(signal.SIGINT)
    _, errors = reader.communicate(timeout=30)
    assert b"KeyboardInterrupt" in errors
    launched = [int(pid) for pid in pids.read_text().split()]
    deadline = time.monotonic() + 5
    while any(map(_alive, launched)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, launched))


def test_ctrl_c_while_libreoffice_starts_is_raised_once_its_id_is_known():
    """The window the test above hits only on a busy machine: Ctrl-C between
    LibreOffice's start and `Popen` returning its id."""
    before = signal.getsignal(signal.SIGINT)
    went_on = []
    with pytest.raises(KeyboardInterrupt), converting._ctrl_c_held():
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.01)  # where Python would have raised it
        went_on.append(True)
    assert went_on == [True]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_conversion_that_makes_nothing_says_what_libreoffice_said(tmp_path, monkeypatch):
    program = _program(
        tmp_path / "soffice", "echo 'Error: source file could not be loaded' >&2\nexit 0\n"
    )
    monkeypatch.setenv(converting.SOFFICE_ENV, str(program))
    with pytest.raises(LoadError) as raised:
        load(FIXTURES / "qinghe_edu.rtf")
    assert raised.value.problem == (
        "LibreOffice could not read it (Error: source file could not be loaded)"
    )


def test_the_command_line_is_a_private_profile_and_a_plain_copy(tmp_path, monkeypatch):
    """Two conversions at once: each in a folder and profile of its own, on a
    copy under a plain name, and nothing left behind."""
    calls = tmp_path / "calls"
    calls.mkdir()
    program = _program(
        tmp_path / "soffice",
        f'printf "%s\\n" "$@" > "{calls}/$$"\n'
        'for a in "$@"; do [ "$prev" = --outdir ] && out="$a"; prev="$a"; done\n'
        'sleep 1\nmkdir -p "$out"\n'
        f'cp "{SOURCE}" "$out/report.docx"\n',
    )
    monkeypatch.setenv(converting.SOFFICE_ENV, str(program))
    odd = tmp_path / "a b;$(x) 报告.doc"
    shutil.copy(FIXTURES / "qinghe_edu.doc", odd)
    with ThreadPoolExecutor(2) as pool:
        loaded = list(pool.map(load, [odd, FIXTURES / "qinghe_edu.odt"]))
    assert [item.format for item in loaded] == ["doc", "odt"]
    commands = [path.read_text(encoding="utf-8").splitlines() for path in calls.iterdir()]
    assert len(commands) == 2
    profiles = set()
    for arguments in commands:
        profile = next(a for a in arguments if a.startswith("-env:UserInstallation=file:///"))
        profiles.add(profile)
        for flag in ("--headless", "--norestore", "--nologo"):
            assert flag in arguments
        assert arguments[arguments.index("--convert-to") + 1] == "docx"
        source = Path(arguments[-1])
        assert source.name in {"report.doc", "report.odt"}
        assert source.parent.name.startswith("jixiao-soffice-")
        assert not source.parent.exists()  # the throw-away folder is gone
        assert Path(tempfile.gettempdir()) == source.parent.parent
    assert len(profiles) == 2
