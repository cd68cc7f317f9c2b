"""What reads a decision journal: the newest decisions (``latest``), a journal that must exist
(``open_existing``), the PM dashboard's Book tab and ``portlab serve --journal``."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from portlab import Coordinator
from portlab.datasets import example_batch, load_sample
from portlab.exceptions import JournalError
from portlab.journal import Journal, journal_file, open_existing

DAYS = ("2022-03-31", "2022-06-30", "2022-09-30")


@pytest.fixture(scope="module")
def journal_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("journal") / "decisions.db"
    batch = example_batch()
    with Journal(path) as journal:
        for day in DAYS:
            Coordinator().coordinate(batch.signals, batch.state, load_sample().truncate(day),
                                     journal=journal, as_of=day)  # fmt: skip
    return path


def test_latest_is_the_tail_of_the_whole_table(journal_path):
    with open_existing(journal_path) as journal:
        every = journal.decisions()
        for n in (1, 5, len(every), len(every) + 3):
            pd.testing.assert_frame_equal(
                journal.decisions(latest=n), every.tail(n).reset_index(drop=True)
            )
        until = journal.decisions(end="2022-06-30")
        pd.testing.assert_frame_equal(
            journal.decisions(end="2022-06-30", latest=4), until.tail(4).reset_index(drop=True)
        )
        assert until["timestamp"].max() <= pd.Timestamp("2022-07-01", tz="UTC")
        with pytest.raises(JournalError, match="not both"):
            journal.decisions(limit=2, latest=2)


def test_open_existing_refuses_a_missing_file(tmp_path):
    with pytest.raises(JournalError, match="no such journal"):
        open_existing(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()
    assert journal_file("sqlite:////abs/d.db").as_posix() == "/abs/d.db"


def test_the_dashboards_book_tab_shows_the_journals_latest_decisions(journal_path):
    from portlab.apps import PMDashboard
    from portlab.apps.sections import JOURNAL_ROWS, journal_decisions

    dash = PMDashboard(journal=str(journal_path), as_of="2022-06-30")
    parts = journal_decisions(dash.journal, dash.outcome.as_of)
    assert "up to 2022-06-30" in parts[0].object
    shown = parts[1].objects[0].object  # the static table's frame
    with Journal(journal_path) as journal:
        expected = journal.decisions(end="2022-06-30").tail(JOURNAL_ROWS)
    assert shown["Instrument"].tolist() == expected["instrument_id"].tolist()
    assert shown["Run"].tolist() == expected["run_id"].tolist()


def test_portlab_serve_refuses_a_missing_journal(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "portlab.cli", "serve", "--journal", "missing.db"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "portlab: error: --journal missing.db: missing.db: no such journal "
        "(portlab coordinate --journal makes one)"
    ]
    assert not (tmp_path / "missing.db").exists()


def test_without_a_date_the_dashboard_shows_the_newest_decisions(journal_path):
    from portlab.apps.sections import JOURNAL_ROWS, journal_decisions

    parts = journal_decisions(str(journal_path), None)
    assert parts[0].object.endswith("Latest decisions in the journal")
    shown = parts[1].objects[0].object
    with Journal(journal_path) as journal:
        expected = journal.decisions().tail(JOURNAL_ROWS)
    assert shown["Run"].tolist() == expected["run_id"].tolist()
    assert expected["timestamp"].max() >= pd.Timestamp("2022-09-30", tz="UTC")
