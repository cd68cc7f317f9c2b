"""The command line as a user types it: exit codes, outputs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from portlab.cli import main
from portlab.datasets import example_paths
from portlab.events import CoordinatedTradingDecisionEvent, read_jsonl


@pytest.fixture
def files():
    return example_paths()


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "coordinate" in out and "demo" in out


def test_coordinate_writes_decision_events(tmp_path, files, capsys):
    out = tmp_path / "decisions.jsonl"
    code = main(
        [
            "coordinate",
            "--signals",
            str(files["signals"]),
            "--portfolio",
            str(files["portfolio"]),
            "--rebalance",
            str(files["rebalance"]),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    batch = read_jsonl(out, CoordinatedTradingDecisionEvent)
    assert batch.errors == [] and len(batch.events) >= 5
    rejections = [
        json.loads(line)
        for line in (tmp_path / "decisions.rejections.jsonl").read_text().splitlines()
    ]
    decided = {i for ev in batch.events if ev.signal_basis for i in [ev.signal_basis.signal_id]}
    rejected = {r["id"] for r in rejections if r["source"] == "SIGNAL"}
    assert not decided & rejected
    assert "wrote" in capsys.readouterr().out


def test_bad_lines_exit_1_and_keep_the_good_ones(tmp_path, files, capsys):
    signals = tmp_path / "signals.jsonl"
    lines = files["signals"].read_text().splitlines()
    lines.insert(2, '{"eventId": "bad", "signal": {"instrument_id": "AAPL", "action": "BUYY"}}')
    signals.write_text("\n".join(lines) + "\n")
    out = tmp_path / "d.jsonl"
    code = main(
        [
            "coordinate",
            "--signals",
            str(signals),
            "--portfolio",
            str(files["portfolio"]),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{signals}:3: ") and "signal.action" in err[0]
    assert len(read_jsonl(out, CoordinatedTradingDecisionEvent).events) > 0
    assert '"INVALID"' in (tmp_path / "d.rejections.jsonl").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--signals", "missing.jsonl"], "missing.jsonl: no such file"),
        (["--market", "nowhere.csv"], "nowhere.csv: no such file"),
        (["--policy", "nopolicy.yaml"], "nopolicy.yaml: no such file"),
    ],
)
def test_unusable_input_exits_2_with_one_line(tmp_path, files, capsys, args, message):
    base = {
        "--signals": str(files["signals"]),
        "--portfolio": str(files["portfolio"]),
        "--out": str(tmp_path / "o.jsonl"),
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = ["coordinate", *[x for kv in base.items() for x in kv]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("portlab: error:")


def test_bad_policy_file_names_the_field(tmp_path, files, capsys):
    policy = tmp_path / "p.yaml"
    policy.write_text("policy:\n  max_position_size: 2\n")
    code = main(
        [
            "coordinate",
            "--signals",
            str(files["signals"]),
            "--portfolio",
            str(files["portfolio"]),
            "--policy",
            str(policy),
            "--out",
            str(tmp_path / "o.jsonl"),
        ]
    )
    assert code == 2
    assert "max_position_size" in capsys.readouterr().err


def _coordinate(files, tmp_path, *extra: str) -> int:
    return main(
        [
            "coordinate",
            "--signals",
            str(files["signals"]),
            "--portfolio",
            str(files["portfolio"]),
            "--out",
            str(tmp_path / "o.jsonl"),
            *extra,
        ]
    )


def test_strategy_map_rejects_unmapped_signals_as_the_engine_does(tmp_path, files):
    from portlab import Coordinator, PortfolioState
    from portlab.datasets import example_batch, load_sample

    assert _coordinate(files, tmp_path, "--strategy-map", str(files["strategies"])) == 0
    got = read_jsonl(tmp_path / "o.jsonl", CoordinatedTradingDecisionEvent).events
    rejected = [
        json.loads(line) for line in (tmp_path / "o.rejections.jsonl").read_text().splitlines()
    ]
    # the example map: only trend speaks for RRC, only mean reversion for AMD
    unmapped = {r["id"]: r["instrument_id"] for r in rejected if r["reason"] == "UNMAPPED_STRATEGY"}
    assert unmapped == {"sig-006": "RRC", "sig-013": "AMD"}
    batch = example_batch()
    want = Coordinator(portfolio=files["strategies"]).coordinate(
        batch.signals, PortfolioState.from_json(files["portfolio"]), load_sample()
    )
    assert [e.to_json() for e in got] == [e.to_json() for e in want.events()]


def test_bad_strategy_map_or_adaptive_settings_exit_2_with_one_line(tmp_path, files, capsys):
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("name: x\ninstruments: [AAPL]\nstrategies:\n  AAPL: {momentum: -1}\n")
    assert _coordinate(files, tmp_path, "--strategy-map", str(bad_map)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "strategies.AAPL.momentum.weight" in err[0]
    bad_adaptive = tmp_path / "adaptive.yaml"
    bad_adaptive.write_text("learning_rate: 5\n")
    assert _coordinate(files, tmp_path, "--adaptive", str(bad_adaptive)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "adaptive.yaml:1: adaptive.learning_rate" in err[0]


def test_adaptive_run_is_journaled_with_its_state_and_replays(tmp_path, files):
    from portlab.journal import Journal

    settings = tmp_path / "adaptive.yaml"
    settings.write_text("learning_rate: 0.05\nadaptation_period: 2\n")
    journal = tmp_path / "decisions.db"
    assert _coordinate(files, tmp_path, "--adaptive", str(settings), "--journal", str(journal)) == 0
    with Journal(journal) as j:
        (run_id,) = j.runs()["run_id"]
        stored = j.runs()["adaptive"].iloc[0]
        assert stored["config"]["learning_rate"] == 0.05  # the state the run applied
        assert j.replay(run_id).identical


def test_demo_runs_as_installed_command():
    proc = subprocess.run(
        [sys.executable, "-m", "portlab.cli", "demo"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "Decisions" in proc.stdout and "Rejections" in proc.stdout and "AAPL" in proc.stdout


def test_import_is_light():
    code = "import sys, portlab; bad = [m for m in ('cvxpy', 'scipy', 'pandas', 'panel', 'dask') if m in sys.modules]; print(bad)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_wheel_ships_the_data_files(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("portlab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (
        "sp500_dataset.csv.gz",
        "sp500_index.csv.gz",
        "factors_dataset.csv.gz",
        "sectors.csv",
        "example_signals.jsonl",
        "example_portfolio.json",
        "example_rebalance.jsonl",
        "example_policy.yaml",
        "example_strategies.yaml",
        "README.md",
    ):
        assert f"portlab/datasets/data/{f}" in names
