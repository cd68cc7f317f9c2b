"""Bad input at the command line: exit codes, one stderr line, and the files on disk afterwards.

Every case checks the exit status, that stderr is exactly one ``portlab: error:`` line (exit 2)
or one ``file:line:`` line per bad input line (exit 1), that no traceback is printed, that the
inputs are byte-identical afterwards, and that no partial, stray or temporary file was left.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import portlab.cli as cli
from portlab.cli import ExitCode, main
from portlab.cli._common import show_warning
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.engine import Coordinator, load_settings
from portlab.events import CoordinatedTradingDecisionEvent, read_jsonl

BASE = ["--signals", "signals.jsonl", "--portfolio", "portfolio.json"]
OUT = ["--out", "out/d.jsonl"]


@functools.cache
def _prices_csv() -> str:
    prices = load_sample().prices.iloc[-300:]
    return prices.rename_axis("Date").to_csv(float_format="%.4f")


@functools.cache
def _sectors_csv() -> str:
    return load_sample().sectors.rename("sector").rename_axis("ticker").to_frame().to_csv()


def _replace_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def _setup(d: Path) -> None:
    """The example batch, a small prices/sectors CSV pair and a catalogue of broken files."""
    paths = example_paths()
    for name in ("signals", "rebalance", "portfolio"):
        shutil.copy(paths[name], d / f"{name}{paths[name].suffix}")
    signals = (d / "signals.jsonl").read_bytes()
    prices = _prices_csv()
    (d / "prices.csv").write_text(prices)
    (d / "sectors.csv").write_text(_sectors_csv())
    (d / "policy.yaml").write_text("policy:\n  max_position_size: 0.04\n")
    (d / "policy.txt").write_text("policy:\n  max_position_size: 0.04\n")
    (d / "bad_value.yaml").write_text("policy:\n  max_position_size: 2\n")
    (d / "bad_value.txt").write_text("policy:\n  max_position_size: 2\n")
    (d / "two_bad.yaml").write_text("policy:\n  max_position_size: 2\n  max_leverage: -1\n")
    (d / "bad_yaml.yaml").write_text("policy: [unclosed\n")
    (d / "latin1.yaml").write_bytes(b"policy:\n  max_position_size: 0.04  # \xe9t\xe9\n")
    (d / "latin1.json").write_bytes(
        (d / "portfolio.json").read_bytes().replace(b"main_portfolio", b"main\xe9portfolio")
    )
    (d / "notjson.json").write_text("{cash: 1}")
    (d / "list.json").write_text("[1, 2]")
    (d / "lines.jsonl").write_text("hello\nworld\n")
    (d / "signals.jsonl.gz").write_bytes(gzip.compress(signals))
    (d / "empty.csv").write_text("")
    (d / "header_only.csv").write_text(prices.splitlines()[0] + "\n")
    row = prices.splitlines()[5]
    (d / "ragged.csv").write_text(_replace_line(prices, 6, row + ",1.0"))
    (d / "short.csv").write_text(_replace_line(prices, 6, ",".join(row.split(",")[:3])))
    (d / "text.csv").write_text("Date,AAPL\n2022-12-27,abc\n2022-12-28,130.0\n")
    (d / "nodate.csv").write_text("X,AAPL\n1,2\n")
    (d / "sectors_ragged.csv").write_text("ticker,sector\nAAPL,IT,extra\n")
    (d / "afile").write_text("not a folder\n")
    (d / "afolder").mkdir()
    (d / "link.jsonl").symlink_to("signals.jsonl")
    os.link(d / "signals.jsonl", d / "hard.jsonl")
    shutil.copy(d / "rebalance.jsonl", d / "d.rejections.jsonl")


def _snapshot(d: Path) -> dict[str, bytes | str]:
    """Every entry under ``d`` (hidden ones too): file bytes, link targets, folders."""
    snap: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            p = Path(root, name)
            key = str(p.relative_to(d))
            if p.is_symlink():
                snap[key] = "-> " + os.readlink(p)
            elif p.is_dir():
                snap[key] = "<dir>"
            else:
                snap[key] = p.read_bytes()
    return snap


@pytest.fixture
def work(tmp_path, monkeypatch):
    _setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(argv: list[str], capsys) -> tuple[int, list[str], str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


# (id, arguments after "coordinate", expected exit status, pattern the stderr line must match)
CATALOGUE = [
    # outputs that would overwrite an input or each other
    ("out-is-signals", [*BASE, "--out", "signals.jsonl"], 2, r"--out signals\.jsonl is an input"),
    ("out-dot-slash", [*BASE, "--out", "./signals.jsonl"], 2, r"is an input file"),
    ("out-dotdot", [*BASE, "--out", "out/../signals.jsonl"], 2, r"is an input file"),
    ("out-symlink", [*BASE, "--out", "link.jsonl"], 2, r"--out link\.jsonl is an input"),
    ("out-hard-link", [*BASE, "--out", "hard.jsonl"], 2, r"--out hard\.jsonl is an input"),
    ("out-absolute", [*BASE, "--out", "{dir}/signals.jsonl"], 2, r"is an input file"),
    ("out-is-portfolio", [*BASE, "--out", "portfolio.json"], 2, r"is an input file"),
    ("out-is-rebalance", [*BASE, "--rebalance", "rebalance.jsonl", "--out", "rebalance.jsonl"],
     2, r"is an input file"),
    ("out-is-policy", [*BASE, "--policy", "policy.yaml", "--out", "policy.yaml"], 2,
     r"is an input file"),
    ("out-is-prices", [*BASE, "--market", "prices.csv", "--out", "prices.csv"], 2,
     r"is an input file"),
    ("out-is-sectors", [*BASE, "--market", "prices.csv", "--sectors", "sectors.csv",
                        "--out", "sectors.csv"], 2, r"is an input file"),
    ("rejections-is-input", [*BASE, *OUT, "--rejections", "portfolio.json"], 2,
     r"--rejections portfolio\.json is an input"),
    ("rejections-is-out", [*BASE, *OUT, "--rejections", "./out/d.jsonl"], 2,
     r"are the same file"),
    ("default-rejections-is-input", [*BASE, "--rebalance", "d.rejections.jsonl",
                                     "--out", "d.jsonl"], 2, r"rejections file .* is an input"),
    # outputs that cannot be written
    ("out-under-a-file", [*BASE, "--out", "afile/d.jsonl"], 2, r"afile is a file"),
    ("rejections-under-a-file", [*BASE, *OUT, "--rejections", "afile/r.jsonl"], 2,
     r"afile is a file"),
    ("out-is-a-folder", [*BASE, "--out", "afolder"], 2, r"is a folder; give a file name"),
    ("out-is-a-device", [*BASE, "--out", "/dev/null"], 2, r"not a regular file"),
    # arguments
    ("as-of-word", [*BASE, *OUT, "--as-of", "yesterday"], 2, r"--as-of: 'yesterday' is not a date"),
    ("as-of-month-13", [*BASE, *OUT, "--as-of", "2022-13-01"], 2, r"--as-of: .* not a date"),
    ("as-of-out-of-range", [*BASE, *OUT, "--as-of", "2300-01-01"], 2, r"--as-of: .*range"),
    ("resolution", [*BASE, *OUT, "--resolution", "LOUDEST"], 2, r"argument --resolution"),
    ("allocation", [*BASE, *OUT, "--allocation", "fastest"], 2, r"argument --allocation"),
    ("no-out", BASE, 2, r"required: --out"),
    ("out-empty-name", [*BASE, "--out", ""], 2, r"argument --out: an empty file name"),
    ("unknown-option", [*BASE, *OUT, "--frobnicate"], 2, r"unrecognized arguments"),
    ("sectors-with-sample", [*BASE, *OUT, "--sectors", "sectors.csv"], 2,
     r"--sectors goes with a prices CSV"),
    # input files that are missing, folders or unreadable
    ("signals-missing", ["--signals", "nope.jsonl", "--portfolio", "portfolio.json", *OUT], 2,
     r"nope\.jsonl: no such file \(--signals\)"),
    ("signals-folder", ["--signals", "afolder", "--portfolio", "portfolio.json", *OUT], 2,
     r"afolder: is a folder"),
    ("portfolio-missing", ["--signals", "signals.jsonl", "--portfolio", "nope.json", *OUT], 2,
     r"nope\.json: no such file"),
    ("market-missing", [*BASE, *OUT, "--market", "nope.csv"], 2, r"nope\.csv: no such file"),
    ("policy-missing", [*BASE, *OUT, "--policy", "nope.yaml"], 2, r"nope\.yaml: no such file"),
    ("policy-folder", [*BASE, *OUT, "--policy", "afolder"], 2, r"afolder: is a folder"),
    # input files with unusable content
    ("signals-no-valid-line", ["--signals", "lines.jsonl", "--portfolio", "portfolio.json", *OUT],
     2, r"lines\.jsonl: none of its 2 lines is a valid TradingSignalEvent"),
    ("signals-given-rebalance", ["--signals", "rebalance.jsonl", "--portfolio", "portfolio.json",
                                 *OUT], 2,
     r"rebalance\.jsonl: its only line is not a valid TradingSignalEvent \(--signals; line 1"),
    ("portfolio-given-signals", ["--signals", "signals.jsonl", "--portfolio", "signals.jsonl",
                                 *OUT], 2, r"signals\.jsonl: .*JSON"),
    ("portfolio-empty", ["--signals", "signals.jsonl", "--portfolio", "empty.csv", *OUT], 2,
     r"empty\.csv: .*empty"),
    ("policy-given-portfolio", [*BASE, *OUT, "--policy", "portfolio.json"], 2,
     r"portfolio\.json:\d+: policy\.\w+: unknown setting"),
    ("sectors-given-prices", [*BASE, *OUT, "--market", "prices.csv", "--sectors", "prices.csv"],
     2, r"prices\.csv: no 'sector' column"),
    ("portfolio-not-utf8", ["--signals", "signals.jsonl", "--portfolio", "latin1.json", *OUT], 2,
     r"latin1\.json: .*UTF-8"),
    ("portfolio-not-json", ["--signals", "signals.jsonl", "--portfolio", "notjson.json", *OUT], 2,
     r"notjson\.json: "),
    ("portfolio-a-list", ["--signals", "signals.jsonl", "--portfolio", "list.json", *OUT], 2,
     r"list\.json: "),
    ("policy-bad-value", [*BASE, *OUT, "--policy", "bad_value.yaml"], 2,
     r"bad_value\.yaml:.*max_position_size"),
    ("policy-txt-bad-value", [*BASE, *OUT, "--policy", "bad_value.txt"], 2,
     r"^portlab: error: bad_value\.txt:.*max_position_size"),
    ("policy-two-problems", [*BASE, *OUT, "--policy", "two_bad.yaml"], 2,
     r"two_bad\.yaml:2: .*max_position_size.*; .*max_leverage"),
    ("policy-bad-yaml", [*BASE, *OUT, "--policy", "bad_yaml.yaml"], 2, r"bad_yaml\.yaml:.*YAML"),
    ("policy-not-utf8", [*BASE, *OUT, "--policy", "latin1.yaml"], 2, r"latin1\.yaml: .*UTF-8"),
    ("prices-empty", [*BASE, *OUT, "--market", "empty.csv"], 2, r"empty\.csv: .*empty"),
    ("prices-header-only", [*BASE, *OUT, "--market", "header_only.csv"], 2, r"header_only\.csv"),
    ("prices-ragged", [*BASE, *OUT, "--market", "ragged.csv"], 2, r"ragged\.csv: line 6"),
    ("prices-short-row", [*BASE, *OUT, "--market", "short.csv"], 2, r"short\.csv: line 6"),
    ("prices-text", [*BASE, *OUT, "--market", "text.csv"], 2, r"text\.csv: .*AAPL"),
    ("prices-no-date", [*BASE, *OUT, "--market", "nodate.csv"], 2, r"nodate\.csv: .*Date"),
    ("sectors-ragged", [*BASE, *OUT, "--market", "prices.csv", "--sectors", "sectors_ragged.csv"],
     2, r"^portlab: error: sectors_ragged\.csv: line 2"),
    # bad lines among good ones: exit 1, the good ones coordinated
    ("signal-bad-action", ["--signals", "bad_action.jsonl", "--portfolio", "portfolio.json", *OUT],
     1, r"^bad_action\.jsonl:3: signal\.action: "),
    ("signal-not-json", ["--signals", "broken.jsonl", "--portfolio", "portfolio.json", *OUT], 1,
     r"^broken\.jsonl:2: \(line\): not valid JSON"),
    ("signal-duplicate-id", ["--signals", "dup.jsonl", "--portfolio", "portfolio.json", *OUT], 1,
     r"^dup\.jsonl:15: eventId: duplicate eventId 'sig-001'"),
    ("signal-not-utf8", ["--signals", "latin1.jsonl", "--portfolio", "portfolio.json", *OUT], 1,
     r"^latin1\.jsonl:4: .*UTF-8"),
    ("rebalance-bad-line", [*BASE, "--rebalance", "bad_rebalance.jsonl", *OUT], 1,
     r"^bad_rebalance\.jsonl:2: "),
]  # fmt: skip


def _bad_line_files(d: Path) -> None:
    lines = (d / "signals.jsonl").read_text().splitlines()
    bad = '{"eventId": "bad", "signal": {"instrument_id": "AAPL", "action": "BUYY"}}'
    (d / "bad_action.jsonl").write_text("\n".join([*lines[:2], bad, *lines[2:]]) + "\n")
    (d / "broken.jsonl").write_text("\n".join([lines[0], "{oops", *lines[1:]]) + "\n")
    (d / "dup.jsonl").write_text("\n".join([*lines, lines[0]]) + "\n")
    raw = (d / "signals.jsonl").read_bytes().split(b"\n")
    raw[3] = raw[3].replace(b'"sig-004"', b'"sig-\xe9004"')
    (d / "latin1.jsonl").write_bytes(b"\n".join(raw))
    request = (d / "rebalance.jsonl").read_text().strip()
    (d / "bad_rebalance.jsonl").write_text(request + '\n{"eventId": "r2"}\n')


@pytest.mark.parametrize(
    "args, code, pattern", [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE]
)
def test_bad_invocation_catalogue(work, capsys, args, code, pattern):
    _bad_line_files(work)
    args = [a.replace("{dir}", str(work)) for a in args]
    before = _snapshot(work)
    status, err, out = _run(["coordinate", *args], capsys)
    after = _snapshot(work)
    assert status == code, err
    assert not any("Traceback" in line for line in err)
    assert all(line.strip() for line in err)
    if code == ExitCode.UNUSABLE:
        assert len(err) == 1, err
        assert err[0].startswith("portlab: error: ") and re.search(pattern, err[0]), err[0]
        assert after == before  # inputs byte-identical, nothing created, no temp file
    else:
        assert len(err) == 1 and re.search(pattern, err[0]), err
        new = set(after) - set(before)
        assert new == {"out", "out/d.jsonl", "out/d.rejections.jsonl"}
        assert {k: after[k] for k in before} == before
        decisions = read_jsonl(work / "out/d.jsonl", CoordinatedTradingDecisionEvent)
        assert decisions.errors == [] and len(decisions.events) > 0
        rejections = [json.loads(x) for x in (work / "out/d.rejections.jsonl").open()]
        invalid = [r for r in rejections if r["reason"] == "INVALID"]
        assert len(invalid) == 1 and invalid[0]["detail"] == err[0]
        assert invalid[0]["source"] == ("REBALANCE" if "rebalance" in err[0] else "SIGNAL")
        assert "and 1 invalid input line, not coordinated" in out
        assert f"wrote {len(decisions.events)} decisions to out/d.jsonl, {len(rejections)}" in out


SUBPROCESS_CASES = [c for c in CATALOGUE if c[0] in {
    "out-is-signals", "out-symlink", "out-under-a-file", "as-of-word", "signals-missing",
    "policy-not-utf8", "prices-ragged", "unknown-option", "signal-bad-action",
}]  # fmt: skip


@pytest.mark.parametrize(
    "args, code, pattern",
    [c[1:] for c in SUBPROCESS_CASES],
    ids=[c[0] for c in SUBPROCESS_CASES],
)
def test_bad_invocation_as_a_process(work, args, code, pattern):
    """The real stderr of ``python -m portlab.cli``: one line, no traceback."""
    _bad_line_files(work)
    before = _snapshot(work)
    proc = subprocess.run(
        [sys.executable, "-m", "portlab.cli", "coordinate", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=work,
    )
    err = proc.stderr.splitlines()
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and len(err) == 1, proc.stderr
    assert re.search(pattern, err[0]), err[0]
    if code == ExitCode.UNUSABLE:
        assert _snapshot(work) == before


@pytest.mark.parametrize(
    "argv, pattern",
    [
        (["bogus"], r"invalid choice: 'bogus'"),
        (["demo", "--resolution", "loudest"], r"argument --resolution: 'loudest' is not one of"),
        (["demo", "--extra"], r"unrecognized arguments: --extra"),
    ],
)
def test_usage_errors_are_one_line(capsys, argv, pattern):
    code, err, out = _run(argv, capsys)
    assert code == 2 and out == "" and len(err) == 1
    assert err[0].startswith("portlab: error: ") and re.search(pattern, err[0])
    assert err[0].endswith("--help')")  # says where to look


def test_many_bad_lines_are_listed_up_to_20(work, capsys):
    lines = (work / "signals.jsonl").read_text().splitlines()
    bad = [json.dumps({"eventId": f"bad-{i}", "signal": {"action": "BUY"}}) for i in range(25)]
    (work / "many.jsonl").write_text("\n".join(lines + bad) + "\n")
    args = ["coordinate", "--signals", "many.jsonl", "--portfolio", "portfolio.json", *OUT]
    code, err, out = _run([*args, "--quiet"], capsys)
    assert code == 1 and out == ""
    assert len(err) == 21 and all(e.startswith("many.jsonl:") for e in err[:20])
    assert err[20] == "portlab: 5 more invalid lines, all listed in out/d.rejections.jsonl"
    rejections = [json.loads(x) for x in (work / "out/d.rejections.jsonl").open()]
    invalid = [r["detail"] for r in rejections if r["reason"] == "INVALID"]
    assert len(invalid) == 25 and invalid[:20] == err[:20]
    assert [int(d.split(":")[1]) for d in invalid] == list(range(15, 40))


# ----------------------------------------------------------------------------- outputs
def test_existing_outputs_survive_a_refused_run(work, capsys):
    """--out fine but --rejections unusable: the old decisions file is not touched."""
    (work / "out").mkdir()
    (work / "out/d.jsonl").write_text("old decisions\n")
    before = _snapshot(work)
    code, err, _ = _run(["coordinate", *BASE, *OUT, "--rejections", "afile/r.jsonl"], capsys)
    assert code == 2 and len(err) == 1 and "afile is a file" in err[0]
    assert _snapshot(work) == before


def test_outputs_are_replaced_whole(work, capsys):
    (work / "out").mkdir()
    (work / "out/d.jsonl").write_text("OLD CONTENT\n" * 1000)
    code, err, _ = _run(["coordinate", *BASE, *OUT, "--quiet"], capsys)
    assert code == 0 and err == []
    assert "OLD CONTENT" not in (work / "out/d.jsonl").read_text()
    events = read_jsonl(work / "out/d.jsonl", CoordinatedTradingDecisionEvent)
    assert events.errors == [] and len(events.events) == 9
    assert not [p for p in work.rglob(".*") if p.is_file()]  # no temporary file left


@pytest.mark.parametrize("failure", ["disk-full", "interrupted"])
@pytest.mark.parametrize("existing", [True, False], ids=["old-files", "new-folder"])
def test_a_failed_write_leaves_the_old_files(work, capsys, monkeypatch, failure, existing):
    """Both outputs are complete before either replaces its target: all or nothing; a folder
    made for them is removed again."""
    if existing:
        (work / "out").mkdir()
        (work / "out/d.jsonl").write_text("old decisions\n")
        (work / "out/d.rejections.jsonl").write_text("old rejections\n")
    before = _snapshot(work)
    real_replace = os.replace

    def fail_once(src, dst):
        if failure == "interrupted":
            raise KeyboardInterrupt
        monkeypatch.setattr(os, "replace", real_replace)
        raise OSError(28, "No space left on device", src)

    monkeypatch.setattr(os, "replace", fail_once)
    code, err, _ = _run(["coordinate", *BASE, *OUT], capsys)
    if failure == "interrupted":
        assert code == ExitCode.INTERRUPTED and err == ["portlab: interrupted"]
    else:
        assert code == 2 and len(err) == 1
        assert err[0] == (
            "portlab: error: rejections file out/d.rejections.jsonl: cannot be written "
            "(No space left on device)"
        )
    assert _snapshot(work) == before  # old content, no temporary file


def test_writing_through_a_symlink_keeps_the_link(work, capsys):
    (work / "real").mkdir()
    (work / "real/d.jsonl").write_text("old\n")
    (work / "d.jsonl").symlink_to("real/d.jsonl")
    code, err, _ = _run(["coordinate", *BASE, "--out", "d.jsonl", "--quiet"], capsys)
    assert code == 0 and err == []
    assert (work / "d.jsonl").is_symlink()
    assert len((work / "real/d.jsonl").read_text().splitlines()) == 9


def test_an_unwritable_folder_is_one_line(work, capsys):
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc (a folder nobody can create files in)")
    before = _snapshot(work)
    code, err, _ = _run(["coordinate", *BASE, "--out", "/proc/portlab-test/d.jsonl"], capsys)
    assert code == 2 and len(err) == 1
    assert err[0].startswith("portlab: error: --out /proc/portlab-test/d.jsonl")
    assert _snapshot(work) == before


def test_missing_permissions_are_one_line(work, capsys, monkeypatch):
    (work / "locked").mkdir()
    if os.geteuid() == 0:  # root may write anywhere: make the check see what a user would
        real = os.access

        def access(path, mode, **kw):
            return False if Path(path).name in {"locked", "signals.jsonl"} else real(path, mode)

        monkeypatch.setattr(os, "access", access)
    else:
        (work / "locked").chmod(0o500)
        (work / "signals.jsonl").chmod(0o000)
    try:
        code, err, _ = _run(["coordinate", *BASE, *OUT], capsys)
    finally:
        (work / "signals.jsonl").chmod(0o644)
    assert code == 2 and len(err) == 1
    assert re.match(r"portlab: error: signals\.jsonl: no permission to read", err[0])
    args = ["coordinate", "--signals", "link.jsonl", "--portfolio", "portfolio.json"]
    try:
        code, err, _ = _run([*args, "--out", "locked/d.jsonl"], capsys)
    finally:
        (work / "locked").chmod(0o755)
    assert code == 2 and len(err) == 1
    assert re.match(r"portlab: error: --out locked/d\.jsonl: no permission to write", err[0])


# ----------------------------------------------------------------------------- inputs that work
def test_gzipped_signals_are_read_transparently(work, capsys):
    code, err, _ = _run(["coordinate", "--signals", "signals.jsonl.gz", *BASE[2:], *OUT], capsys)
    assert code == 0, err
    code_plain, _, _ = _run(["coordinate", *BASE, "--out", "plain.jsonl"], capsys)
    assert code_plain == 0
    assert (work / "out/d.jsonl").read_bytes() == (work / "plain.jsonl").read_bytes()


def test_policy_file_of_any_suffix(work, capsys):
    code, err, _ = _run(["coordinate", *BASE, *OUT, "--policy", "policy.txt", "--quiet"], capsys)
    assert code == 0, err
    code, err, _ = _run(
        ["coordinate", *BASE, "--out", "y.jsonl", "--policy", "policy.yaml"], capsys
    )
    assert code == 0, err
    assert (work / "out/d.jsonl").read_bytes() == (work / "y.jsonl").read_bytes()


def test_as_of_is_stamped_in_utc(work, capsys):
    argv = ["coordinate", *BASE, *OUT, "--quiet", "--as-of", "2022-12-28T16:30:00+05:00"]
    assert main(argv) == 0
    events = read_jsonl(work / "out/d.jsonl", CoordinatedTradingDecisionEvent).events
    assert {ev.timestamp.isoformat() for ev in events} == {"2022-12-28T11:30:00+00:00"}


# ----------------------------------------------------------------------------- warnings
def test_warnings_print_as_one_line_each(work, capsys):
    lines = _prices_csv().splitlines()
    cells = lines[100].split(",")
    cells[1] = ""  # a one-day gap in AAPL: forward-filled with a DataRepairWarning
    lines[100] = ",".join(cells)
    (work / "gappy.csv").write_text("\n".join(lines) + "\n")
    shown = warnings.showwarning
    code, err, _ = _run(["coordinate", *BASE, *OUT, "--market", "gappy.csv", "--quiet"], capsys)
    assert code == 0
    assert warnings.showwarning is shown  # restored
    assert err and all(line.startswith("portlab: warning: ") for line in err), err
    assert any("gappy.csv" in line and "forward-filled" in line for line in err), err
    assert not any(re.search(r"\.py:\d+: \w+Warning", line) for line in err)


def test_warnings_as_a_process(work):
    proc = subprocess.run(
        [sys.executable, "-m", "portlab.cli", "coordinate", *BASE, *OUT, "--market",
         "prices.csv", "--quiet"],
        capture_output=True, text=True, timeout=180, cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.splitlines()
    assert err and all(line.startswith("portlab: warning: ") for line in err), err
    assert any("sector" in line for line in err)  # no sectors given for a prices CSV


def test_show_warning_formats_other_categories():
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        shown = []
        real_stderr = sys.stderr

        class Sink:
            def write(self, text):
                shown.append(text)

        sys.stderr = Sink()
        try:
            show_warning(RuntimeWarning("divide\nby zero"), RuntimeWarning, "x.py", 3)
        finally:
            sys.stderr = real_stderr
    assert "".join(shown) == "portlab: warning: RuntimeWarning: divide; by zero\n"


# ----------------------------------------------------------------------------- last resort
def test_an_unforeseen_error_is_one_line_exit_3(work, capsys, monkeypatch):
    from portlab.engine import Coordinator as Engine

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(Engine, "coordinate", broken)
    before = _snapshot(work)
    code, err, _ = _run(["coordinate", *BASE, *OUT], capsys)
    assert code == ExitCode.INTERNAL == 3
    assert err == [
        "portlab: internal error: ZeroDivisionError: float division by zero (please report this)"
    ]
    assert _snapshot(work) == before


def test_a_closed_pipe_is_quiet():
    proc = subprocess.Popen(
        [sys.executable, "-m", "portlab.cli", "demo", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, like `| head -1`
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=180) == 0
    assert json.loads(first)["decision"]["instrument_id"] == "AAPL"
    assert stderr == ""


# ----------------------------------------------------------------------------- policy
def test_policy_example_prints_the_shipped_file(capsys):
    path = example_paths()["policy"]
    code, err, out = _run(["policy", "--example"], capsys)
    assert code == 0 and err == []
    assert out == path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    assert out.lstrip().startswith("#")  # commented


def test_policy_example_passes_its_own_check(capsys):
    code, err, _ = _run(["policy", "--check", str(example_paths()["policy"])], capsys)
    assert code == 0 and err == []


@pytest.mark.parametrize("name", ["policy.yaml", "policy.txt"])
def test_policy_check_prints_the_effective_configuration(work, capsys, name):
    code, err, out = _run(["policy", "--check", name], capsys)
    assert code == 0 and err == []
    assert out.startswith(f"# {name}: valid")
    (work / "effective.yaml").write_text(out)
    effective = load_settings(work / "effective.yaml")
    policy, sizing = effective["policy"], effective["sizing"]
    assert policy.max_position_size.limit == 0.04  # from the file
    assert policy.max_sector_exposure.limit == 0.25 and sizing.max_kelly_fraction == 0.25
    assert list(effective) == ["policy", "sizing", "risk_loop", "execution"]  # all of them
    assert effective == load_settings(work / "policy.yaml")


@pytest.mark.parametrize(
    "argv, pattern",
    [
        (["policy", "--check", "bad_value.yaml"], r"bad_value\.yaml:.*max_position_size"),
        (["policy", "--check", "bad_value.txt"], r"bad_value\.txt:.*max_position_size"),
        (["policy", "--check", "nope.yaml"], r"nope\.yaml: no such file"),
        (["policy", "--check", "afolder"], r"afolder: is a folder"),
        (["policy", "--check", "latin1.yaml"], r"latin1\.yaml: .*UTF-8"),
        (["policy"], r"one of the arguments --example --check is required"),
        (["policy", "--example", "--check", "policy.yaml"], r"not allowed with"),
    ],
)
def test_policy_command_errors(work, capsys, argv, pattern):
    code, err, out = _run(argv, capsys)
    assert code == 2 and out == "" and len(err) == 1
    assert err[0].startswith("portlab: error: ") and re.search(pattern, err[0]), err[0]


# ----------------------------------------------------------------------------- demo output
SUMMARY = re.compile(
    r"^(?P<signals>\d+) signals and (?P<requests>\d+) rebalance requests? \((?P<adj>\d+) "
    r"adjustments?\) -> (?P<decisions>\d+) decisions?, (?P<rejections>\d+) rejections?"
)
DECISIONS = re.compile(
    r"^  decisions: +(?P<total>\d+) = (?P<sig>\d+) from signals \+ (?P<adj>\d+) from "
    r"rebalance adjustments \+ (?P<both>\d+) from both$"
)
FATE = re.compile(
    r"^  (?P<what>signals|adjustments): +(?P<total>\d+) = (?P<used>\d+) in (?P<in_dec>\d+) "
    r"decisions?(?: \((?P<resized>\d+) resized by a limit\))? \+ (?P<rejected>\d+) rejected"
    r"(?: \((?P<reasons>.*)\))?$"
)


def _parse_summary(out: str) -> dict:
    lines = out.splitlines()
    (start,) = [i for i, line in enumerate(lines) if SUMMARY.match(line)]
    head = SUMMARY.match(lines[start]).groupdict()
    dec = DECISIONS.match(lines[start + 1]).groupdict()
    fates = {m["what"]: m.groupdict() for m in map(FATE.match, lines[start + 2 : start + 4])}
    return {"head": head, "decisions": dec, **fates}


@pytest.mark.parametrize(
    "options",
    [[], ["--resolution", "net"], ["--resolution", "FIRST_IN_FIRST_OUT"],
     ["--resolution", "weighted_average", "--allocation", "greedy"]],
)  # fmt: skip
def test_demo_summary_reconciles(capsys, options):
    code, err, out = _run(["demo", *options], capsys)
    assert code == 0 and err == []
    s = _parse_summary(out)
    n = {k: int(v) for k, v in s["head"].items()}
    # the same batch coordinated here, counted from the tables by another route
    batch = example_batch()
    kwargs = {"resolution": options[1].upper()} if options else {}
    if "--allocation" in options:
        kwargs["sizing"] = {"allocation": "GREEDY"}
    result = Coordinator(**kwargs).coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )
    d, rej = result.decisions, result.rejections
    n_lines = len(example_paths()["signals"].read_text().splitlines())
    n_adjust = sum(len(r.target_adjustments) for r in batch.rebalance_requests)
    assert n == {"signals": n_lines, "requests": 1, "adj": n_adjust,
                 "decisions": len(d), "rejections": len(rej)}  # fmt: skip
    origin = d["origin"].value_counts().to_dict()
    dec = {k: int(v) for k, v in s["decisions"].items()}
    assert dec == {"total": len(d), "sig": origin.get("SIGNAL", 0),
                   "adj": origin.get("REBALANCE", 0), "both": origin.get("BOTH", 0)}  # fmt: skip
    assert dec["sig"] + dec["adj"] + dec["both"] == dec["total"]
    for what, source, ids in (("signals", "SIGNAL", "signal_ids"),
                              ("adjustments", "REBALANCE", "rebalance_ids")):  # fmt: skip
        fate = s[what]
        rejected = rej[rej["source"] == source]
        assert int(fate["used"]) + int(fate["rejected"]) == int(fate["total"])
        assert int(fate["used"]) == len({i for x in d[ids] for i in x})
        assert int(fate["rejected"]) == len(rejected)
        reasons = re.findall(r"(\d+) ", fate["reasons"] or "")
        assert sum(map(int, reasons)) == len(rejected)
        assert len(reasons) == rejected["reason"].nunique()
    assert int(s["signals"]["total"]) == n_lines
    assert int(s["adjustments"]["total"]) == n_adjust
    assert int(s["signals"]["in_dec"]) == origin.get("SIGNAL", 0) + origin.get("BOTH", 0)
    assert int(s["adjustments"]["in_dec"]) == origin.get("REBALANCE", 0) + origin.get("BOTH", 0)
    final, asked = d["final_size"].to_numpy(), d["signal_trade"].to_numpy()
    assert int(s["signals"]["resized"]) == sum(
        f < a - 1e-12 for f, a in zip(final, asked, strict=True)
    )


def test_demo_tables_are_formatted_for_people(capsys):
    code, err, out = _run(["demo"], capsys)
    assert code == 0 and err == []
    lines = out.splitlines()
    assert re.search(r"against a \$1,000,00\d portfolio", lines[0])
    start = lines.index("Decisions (sizes and weights in % of the portfolio's value)") + 1
    header, rows = lines[start], lines[start + 1 : start + 12]
    assert "kelly_fraction" not in out and "Kelly trade" in header and "size" in header
    result = Coordinator().coordinate(
        example_batch().signals, example_batch().state, load_sample(),
        example_batch().rebalance_requests,
    )  # fmt: skip
    d = result.decisions
    assert len(rows) == len(d) and lines[start + 12].startswith("  (Kelly trade:")
    for row, (_, want) in zip(rows, d.iterrows(), strict=True):
        cells = row.split()
        assert cells[0] == want["instrument_id"] and cells[1] == want["action"]
        assert cells[2] == f"{int(want['share_quantity']):,}"  # integer share counts
        money = re.findall(r"\$[\d,]+\.\d\d\b", row)
        assert len(money) == 2 and money[1] == f"${want['trade_amount']:,.2f}"
        percents = re.findall(r"-?\d+\.\d\d%", row)
        assert f"{want['final_size']:.2%}" in percents
        assert not re.search(r"\d\.\d{3,}", row)  # nowhere more than 2 decimals
    assert "$" in rows[0] and "%" in rows[0]


# ----------------------------------------------------------------------------- help texts
def test_help_and_docstring_document_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for code in ExitCode:
        assert f"{code.value} " in out.replace("\n", " ")
        assert re.search(rf"^{code.value}\n", cli.__doc__, flags=re.MULTILINE)
    assert "policy" in out and "coordinate" in out and "demo" in out


def test_coordinate_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["coordinate", "--help"])
    out = capsys.readouterr().out
    for option in ("--signals", "--portfolio", "--rebalance", "--policy", "--market",
                   "--sectors", "--resolution", "--allocation", "--as-of", "--out",
                   "--rejections", "--quiet", "NET", "GREEDY"):  # fmt: skip
        assert option in out
