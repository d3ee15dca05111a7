import json

import pytest
from conftest import SAMPLES
from typer.testing import CliRunner

from jixiao.cli import app

runner = CliRunner()


def test_inspect_json_prints_one_object_per_file():
    result = runner.invoke(app, ["inspect", "--json", *map(str, SAMPLES[:2])])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["encoding"] == "utf-8"
    assert [s["number"] for s in first["sections"]] == list("一二三四五六七八九")
    (table,) = [t for t in first["tables"] if t["kind"] == "indicators"]
    assert len(table["records"]) == 11
    assert table["records"][0]["target"] == "≤611.34万元"
    assert all(chunk["tokens"] <= 700 for chunk in first["chunks"])


def test_inspect_shows_tree_and_tables():
    result = runner.invoke(app, ["inspect", str(SAMPLES[0])])
    assert result.exit_code == 0
    assert "九、其他需要说明的情况" in result.stdout
    assert "table 1: indicators" in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("report.xyz", bytes(range(256)) * 8, "no report format"),
        ("truncated.docx", b"PK\x03\x04\x14\x00\x00\x00", "DOCX"),
    ],
)
def test_a_bad_file_gets_one_clear_line_and_a_failing_exit(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1
    assert str(path) in lines[0] and problem.lower() in lines[0].lower()
    assert "Traceback" not in result.output


def test_missing_file_and_good_file_together(tmp_path):
    missing = tmp_path / "nowhere.txt"
    result = runner.invoke(app, ["inspect", "--json", str(missing), str(SAMPLES[0])])
    assert result.exit_code == 1
    assert str(missing) in result.stderr
    assert json.loads(result.stdout)["chars"] > 0


def test_ingest_goes_on_past_a_bad_report(tmp_path):
    from conftest import ROOT

    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"not a zip")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "ingest",
            str(bad),
            str(SAMPLES[0]),
            "--out",
            str(out),
            "--replay",
            str(ROOT / "cassettes"),
        ],
    )
    assert result.exit_code == 1
    assert str(bad) in result.stderr and "not a valid DOCX" in result.stderr
    record = json.loads((out / f"{SAMPLES[0].stem}.json").read_text(encoding="utf-8"))
    assert record["schema_version"] == "2" and record["indicators"]
    assert "1 ingested, 0 skipped, 1 failed" in result.stdout
    # Not a terminal: progress comes as plain lines, for a log.
    assert "reports 2/2: 1 done 1 failed 0 skipped" in " ".join(result.stderr.split())


def test_replay_and_record_together_are_refused(tmp_path):
    result = runner.invoke(
        app, ["extract", str(SAMPLES[0]), "--replay", str(tmp_path), "--record", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "not both" in result.output


def test_ingest_takes_folders_globs_and_files_and_skips_on_a_second_run(tmp_path):
    from conftest import ROOT

    folder = tmp_path / "archive" / "2023"
    folder.mkdir(parents=True)
    for sample in SAMPLES[:2]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / ".hidden.txt").write_text("not a report", encoding="utf-8")
    (folder / "notes.md").write_text("not a report either", encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'jixiao.db'}"
    replay = ["--replay", str(ROOT / "cassettes"), "--db", database]

    result = runner.invoke(app, ["ingest", str(tmp_path / "archive" / "**" / "000_*.txt"), *replay])
    assert result.exit_code == 0, result.output
    assert "1 ingested, 0 skipped, 0 failed" in " ".join(result.stdout.split())

    result = runner.invoke(app, ["ingest", str(tmp_path / "archive"), str(SAMPLES[2]), *replay])
    assert result.exit_code == 0, result.output
    assert "2 ingested, 1 skipped, 0 failed" in " ".join(result.stdout.split())


def test_ingest_with_nothing_to_ingest_says_so(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert str(tmp_path) in result.stderr and "no report files" in result.stderr


@pytest.mark.parametrize("command", [["export", "--out", "r.json"], ["review"]])
def test_a_reading_command_on_a_missing_database_is_an_error_not_a_new_database(
    tmp_path, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JIXIAO_DB_URL")
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert "jixiao.db: no such database" in result.stderr and "--db" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_path_is_an_error_and_what_the_walk_leaves_out_is_named(tmp_path):
    from conftest import ROOT

    from jixiao.store import Store

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / SAMPLES[0].name).write_bytes(SAMPLES[0].read_bytes())
    (folder / "notes.xyz").write_text("备忘", encoding="utf-8")
    (folder / "~$budget.xlsx").write_bytes(b"lock")
    (folder / ".draft.txt").write_text("草稿", encoding="utf-8")
    missing = tmp_path / "reprots"
    db = tmp_path / "jixiao.db"
    arguments = ["ingest", str(folder), str(missing), "--db", str(db), "--verbose"]
    result = runner.invoke(app, [*arguments, "--replay", str(ROOT / "cassettes")])
    assert result.exit_code == 1
    assert f"{missing}: no such file" in result.stderr
    assert "left out 3 files: " in " ".join(result.stderr.split())
    for name, reason in [
        ("notes.xyz", "not a report format"),
        ("~$budget.xlsx", "an Office lock file"),
        (".draft.txt", "hidden"),
    ]:
        assert f"{folder / name}: {reason}" in result.stderr
    assert "1 ingested, 0 skipped, 0 failed" in result.stdout
    store = Store(str(db))
    try:
        from sqlalchemy import text

        with store.engine.connect() as connection:
            paths = connection.execute(text("SELECT path FROM documents")).scalars().all()
    finally:
        store.close()
    assert paths == [str(folder / SAMPLES[0].name)]  # the mistyped path is no stored report


def test_a_second_ingest_still_writes_every_record_to_out(tmp_path):
    from conftest import ROOT

    db = str(tmp_path / "jixiao.db")
    written = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        result = runner.invoke(
            app,
            ["ingest", str(SAMPLES[0]), "--db", db, "--out", str(out)]
            + ["--replay", str(ROOT / "cassettes")],
        )
        assert result.exit_code == 0, result.output
        written.append((out / f"{SAMPLES[0].stem}.json").read_text(encoding="utf-8"))
    assert "0 ingested, 1 skipped" in result.stdout
    assert "checks: none run (no report was read this time)" in result.stdout
    assert json.loads(written[1]) == json.loads(written[0])


def test_the_summary_never_cuts_a_long_file_name(tmp_path):
    from conftest import ROOT

    name = "某某县某某局2024年度部门整体支出绩效自评报告（公开版）_final_v2.txt"
    (tmp_path / name).write_bytes(SAMPLES[0].read_bytes())
    result = runner.invoke(
        app,
        ["ingest", str(tmp_path / name), "--db", str(tmp_path / "j.db")]
        + ["--replay", str(ROOT / "cassettes")],
    )
    assert result.exit_code == 0, result.output
    # The report column, line by line: the name folds over lines, whole.
    column = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line]
    assert name in "".join(column)


def test_eval_with_its_folders_swapped_or_unrelated_is_an_error(tmp_path):
    from conftest import GOLD

    records = tmp_path / "out"
    records.mkdir()
    record = {"schema_version": "2", "document": {"path": "x"}, "indicators": []}
    (records / "000_x.json").write_text(json.dumps(record), encoding="utf-8")
    swapped = runner.invoke(app, ["eval", str(records), str(GOLD)])
    assert swapped.exit_code == 1 and "an exported record, not a gold file" in swapped.stderr
    unrelated = runner.invoke(app, ["eval", str(GOLD), str(records)])
    assert unrelated.exit_code == 1 and "no record for any gold file" in unrelated.stderr


def test_replay_finds_a_recording_by_the_reports_text_not_its_name(tmp_path):
    from conftest import ROOT

    copy = tmp_path / "renamed-copy.txt"
    copy.write_bytes(SAMPLES[0].read_text(encoding="utf-8").encode("gb18030"))
    other = tmp_path / "another-report.txt"
    other.write_text(
        "柳塘县文化馆2024年度部门整体支出绩效自评报告\n年初预算120.50万元。\n", "utf-8"
    )
    result = runner.invoke(
        app,
        ["ingest", str(copy), str(other), "--db", str(tmp_path / "j.db")]
        + ["--replay", str(ROOT / "cassettes")],
    )
    assert "1 ingested, 0 skipped, 1 failed" in result.stdout, result.output
    assert f"{other}: " in result.stderr and "holds no recording of this report" in result.stderr


def test_review_refuses_an_open_address_without_a_token_before_loading_the_server():
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner; from jixiao.cli import app;"
        " result = CliRunner().invoke(app, ['review', '--host', '0.0.0.0']);"
        " print(result.exit_code, 'fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert shown.stdout.split() == ["2", "False", "False"], shown.stderr
