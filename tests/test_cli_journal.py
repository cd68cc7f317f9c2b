"""``portlab coordinate --journal``: the run recorded once however often it is repeated; a
journal that is an input or cannot be opened is one line, exit 2, and nothing written."""

from __future__ import annotations

import subprocess
import sys

from portlab import Coordinator
from portlab.datasets import example_batch, example_paths, load_sample
from portlab.journal import Journal


def _coordinate(*args: str, cwd) -> subprocess.CompletedProcess:
    paths = example_paths()
    return subprocess.run(
        [sys.executable, "-m", "portlab.cli", "coordinate", "--signals", str(paths["signals"]),
         "--portfolio", str(paths["portfolio"]), "--rebalance", str(paths["rebalance"]), *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )  # fmt: skip


def test_a_run_is_recorded_once_and_equals_the_engines(tmp_path):
    for _ in range(2):  # the same batch again adds nothing
        done = _coordinate("--out", "d.jsonl", "--journal", "decisions.db", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    batch = example_batch()
    direct = Coordinator().coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )
    with Journal(tmp_path / "decisions.db") as journal:
        runs = journal.runs()
        decisions = journal.decisions()
        assert len(runs) == 1 and runs["n_decisions"].iloc[0] == len(direct.decisions)
        assert f"recorded run {runs['run_id'].iloc[0]} in the journal decisions.db" in done.stdout
        assert sorted(decisions["instrument_id"]) == sorted(direct.decisions["instrument_id"])
        assert journal.replay(runs["run_id"].iloc[0]).identical


def test_a_journal_that_is_an_input_or_cannot_open_is_one_line(tmp_path):
    paths = example_paths()
    cases = {
        str(paths["signals"]): "is an input file",
        "postgresql://nobody@127.0.0.1:1/none": "cannot open the journal",
    }
    for url, message in cases.items():
        done = _coordinate("--out", "d.jsonl", "--journal", url, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("portlab: error: --journal")
        assert message in lines[0]
        assert not (tmp_path / "d.jsonl").exists()
