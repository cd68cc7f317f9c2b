"""``portlab sweep``: exit statuses, one-line errors, the results file and resuming.

The sweeps run on one LocalCluster shared by the module (``--scheduler``); one test runs the
command in a fresh process on its own local cluster (``--workers 1``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from portlab.cli import ExitCode, main
from portlab.sweep import read_results

GOOD = """\
    kind: coordination
    inputs:
      market: sample
      signals: {example: example}
    grid:
      policy.max_position_size: [0.03, 0.05]
      resolution: [HIGHEST_PRIORITY]
    """
# 0.3 is above the 0.25 sector limit: that one combination fails, the three others run
MIXED = """\
    kind: coordination
    grid:
      policy.max_position_size: [0.05, 0.3]
      policy.max_sector_exposure: [0.25, 0.4]
    """


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def _spec(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sweep", *args, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sweep_that_succeeds_exits_0(tmp_path, capsys, scheduler):
    spec = _spec(tmp_path, GOOD)
    out = tmp_path / "results" / "sweep.parquet"
    code, stdout, stderr = _run(capsys, str(spec), "--out", str(out), "--scheduler", scheduler)
    assert code == ExitCode.OK, stderr
    results = read_results(out)
    assert list(results["status"]) == ["ok", "ok"]
    assert list(results["decisions"]) == [8, 11]
    assert "portlab sweep: 2 ok, 0 failed" in stdout
    assert results["scenario"].iloc[0] in stdout and "policy.max_position_size" in stdout
    assert stderr == ""


def test_failed_scenarios_finish_the_sweep_and_exit_1(tmp_path, capsys, scheduler):
    spec = _spec(tmp_path, MIXED)
    out = tmp_path / "sweep.parquet"
    code, stdout, stderr = _run(capsys, str(spec), "--out", str(out), "--scheduler", scheduler)
    assert code == ExitCode.INVALID_LINES == 1
    assert "portlab sweep: 3 ok, 1 failed" in stdout
    results = read_results(out)
    failed = results[results["status"] == "failed"]
    assert len(failed) == 1
    assert f"failed {failed['scenario'].iloc[0]}: policy.max_position_size: 0.3 is above" in stdout
    assert stderr.startswith("portlab: warning: 1 of 4 scenarios combine values")
    assert len(stderr.splitlines()) == 1
    # again: the three finished ones are kept, the failed one runs again (and fails again)
    before = results.set_index("scenario")["seconds"]
    code, stdout, _ = _run(capsys, str(spec), "--out", str(out), "--scheduler", scheduler)
    assert code == 1
    after = read_results(out).set_index("scenario")["seconds"]
    ok = results.loc[results["status"] == "ok", "scenario"]
    pd.testing.assert_series_equal(after[ok], before[ok])


@pytest.mark.parametrize(
    ("text", "extra", "expected"),
    [
        ("kind: coordination\ngrid:\n  policy.max_position_size: [0.03, 5]\n", [],
         "spec.yaml:3: policy.max_position_size = 5: 5 looks like a percentage; limits are "
         "fractions of NAV: write 0.05 for 5%"),
        ("kind: coordination\ngrid:\n  sizing.kely_multiplier: [0.5]\n", [],
         "spec.yaml:3: sizing.kely_multiplier: unknown axis; did you mean sizing.kelly_multiplier?"),
        ("kind: backtest\ngrid:\n  strategy: [momentum, trend]\n", [],
         "spec.yaml:3: strategy = 'trend': unknown strategy 'trend'"),
        (GOOD, ["--workers", "0"], "argument --workers: 0 workers: at least 1"),
        (GOOD, ["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed with argument"),
    ],
)  # fmt: skip
def test_unusable_input_is_one_line_and_exit_2(tmp_path, capsys, text, extra, expected):
    spec = _spec(tmp_path, text)
    out = tmp_path / "out.parquet"
    code, stdout, stderr = _run(capsys, str(spec), "--out", str(out), *extra)
    assert code == ExitCode.UNUSABLE == 2
    assert stderr.startswith("portlab: error: ") and len(stderr.splitlines()) == 1
    assert expected in stderr
    assert stdout == "" and not out.exists()


def test_the_output_may_not_be_an_input(tmp_path, capsys):
    spec = _spec(tmp_path, GOOD)
    before = spec.read_bytes()
    code, _, stderr = _run(capsys, str(spec), "--out", str(tmp_path / "." / "spec.yaml"))
    assert code == 2 and "is an input file" in stderr and spec.read_bytes() == before
    portfolio = tmp_path / "portfolio.json"
    from portlab.datasets import example_paths

    portfolio.write_text(example_paths()["portfolio"].read_text())
    spec = _spec(tmp_path, GOOD.replace("market: sample", "portfolio: portfolio.json"), "s2.yaml")
    code, _, stderr = _run(capsys, str(spec), "--out", str(portfolio))
    assert code == 2 and f"--out {portfolio} is an input file" in stderr
    assert portfolio.read_text() == example_paths()["portfolio"].read_text()


def test_a_missing_spec_and_an_unreachable_scheduler(tmp_path, capsys, monkeypatch):
    code, _, stderr = _run(
        capsys, str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o.parquet")
    )
    assert (code, stderr) == (2, f"portlab: error: {tmp_path / 'nope.yaml'}: no such file\n")
    from portlab.sweep import _cluster

    monkeypatch.setattr(_cluster, "CONNECT_TIMEOUT_S", 1)
    spec = _spec(tmp_path, GOOD)
    code, _, stderr = _run(
        capsys, str(spec), "--out", str(tmp_path / "o.parquet"), "--scheduler", "tcp://127.0.0.1:9"
    )
    assert code == 2
    assert stderr.startswith("portlab: error: scheduler tcp://127.0.0.1:9: cannot connect")
    assert len(stderr.splitlines()) == 1


def test_the_command_on_its_own_local_cluster(tmp_path):
    spec = _spec(tmp_path, GOOD)
    out = tmp_path / "sweep.parquet"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "portlab.cli",
            "sweep",
            str(spec),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "portlab sweep: 2 ok, 0 failed" in done.stdout
    # the dashboard's address is printed once, with the progress bar, on stderr
    assert done.stderr.count("dashboard http") == 1
    assert list(read_results(out)["status"]) == ["ok", "ok"]
