"""Tests of portlab.apps.uploads: the console's inputs read from bytes or pasted text.

Each upload is compared with what portlab's own readers give for the same file on disk
(``read_jsonl``, ``PortfolioState.from_json``, ``load_settings``); a malformed line is
reported as ``name:line: field: message`` with the line counted by hand, and the other lines
still load; an upload over the limit is refused.
"""

from __future__ import annotations

import gzip

import pytest

from portlab.apps.uploads import (
    MAX_UPLOAD_BYTES,
    PASTED,
    SignalFormat,
    read_policy,
    read_portfolio,
    read_signals,
    signal_format,
)
from portlab.datasets import example_paths
from portlab.engine import load_settings
from portlab.events import TradingSignalEvent, read_jsonl, signals_to_frame
from portlab.state import PortfolioState

PATHS = example_paths()
SIGNALS = read_jsonl(PATHS["signals"], TradingSignalEvent).events


def _json_lines() -> list[str]:
    return PATHS["signals"].read_text(encoding="utf-8").splitlines()


def test_example_signals_upload_equals_the_reader():
    loaded = read_signals(PATHS["signals"].read_bytes(), "example_signals.jsonl")
    assert loaded.ok and loaded.source == "example_signals.jsonl"
    assert list(loaded.value) == SIGNALS
    assert len(SIGNALS) == 14


def test_pasted_text_and_gzip_read_as_the_file():
    text = PATHS["signals"].read_text(encoding="utf-8")
    assert list(read_signals(text).value) == SIGNALS
    packed = gzip.compress(text.encode())
    assert list(read_signals(packed, "signals.jsonl.gz").value) == SIGNALS


def test_csv_upload_gives_the_same_signals():
    csv_text = signals_to_frame(SIGNALS).to_csv(index=False)
    assert signal_format(csv_text, PASTED) is SignalFormat.CSV
    loaded = read_signals(csv_text.encode(), "signals.csv")
    assert loaded.errors == ()
    assert list(loaded.value) == SIGNALS


def test_one_malformed_line_is_reported_and_the_rest_load():
    lines = _json_lines()
    assert '"confidence": 0.62' in lines[1]
    lines[1] = lines[1].replace('"confidence": 0.62', '"confidence": 7')  # line 2
    lines.insert(5, "{not json")  # line 6
    loaded = read_signals("\n".join(lines).encode(), "batch.jsonl")
    assert len(loaded.errors) == 2
    assert loaded.errors[0] == (
        "batch.jsonl:2: signal.confidence: Input should be less than or equal to 1"
    )
    assert loaded.errors[1].startswith("batch.jsonl:6: (line): not valid JSON")
    expected = [s for s in SIGNALS if s.event_id != "sig-002"]
    assert list(loaded.value) == expected


def test_csv_error_names_the_file_line():
    rows = signals_to_frame(SIGNALS).to_csv(index=False).splitlines()
    assert ",BUY," in rows[3]  # the third signal, on line 4 (after the header)
    rows[3] = rows[3].replace(",BUY,", ",BYU,")
    loaded = read_signals("\n".join(rows), "signals.csv")
    assert len(loaded.errors) == 1
    assert loaded.errors[0].startswith("signals.csv:4: signal.action: ")
    assert len(loaded.value) == 13


def test_over_size_is_refused():
    data = b" " * (MAX_UPLOAD_BYTES + 1)
    loaded = read_signals(data, "huge.jsonl")
    assert loaded.value is None and not loaded.ok
    assert loaded.errors[0].startswith("huge.jsonl: ")
    assert "upload limit" in loaded.errors[0]
    small = read_signals(PATHS["signals"].read_bytes(), "s.jsonl", max_bytes=100)
    assert small.value is None and "upload limit" in small.errors[0]
    assert read_portfolio(b"{}" * 60, "p.json", max_bytes=100).value is None
    assert read_policy(b"#" * 101, "p.yaml", max_bytes=100).value is None


def test_portfolio_upload_equals_from_json():
    loaded = read_portfolio(PATHS["portfolio"].read_bytes(), "example_portfolio.json")
    expected = PortfolioState.from_json(PATHS["portfolio"])
    assert loaded.ok
    assert loaded.value.to_dict() == expected.to_dict()
    bad = read_portfolio(b'{"cash": "x"}', "mine.json")
    assert bad.value is None
    assert bad.errors[0].startswith("mine.json: ") and "cash" in bad.errors[0]


def test_policy_upload_equals_load_settings():
    loaded = read_policy(PATHS["policy"].read_bytes(), "example_policy.yaml")
    assert loaded.ok
    assert list(loaded.value) == ["policy", "sizing", "risk_loop", "execution"]
    assert {k: m.model_dump() for k, m in loaded.value.items()} == {
        k: m.model_dump() for k, m in load_settings(PATHS["policy"]).items()
    }
    bad = read_policy(b"policy:\n  max_position_size: 5\n", "limits.yaml")
    assert bad.value is None
    assert bad.errors[0].startswith("limits.yaml:2: policy.max_position_size: ")


@pytest.mark.parametrize("data", [b"", b"\xff\xfe garbage", b"[1, 2", b"a,b\n1,2\n"])
def test_bad_signal_files_never_raise(data):
    for name in ("x.jsonl", "x.csv", PASTED):
        loaded = read_signals(data, name)
        assert not loaded.ok or loaded.value == ()
        assert all(e.startswith(loaded.source) for e in loaded.errors)
