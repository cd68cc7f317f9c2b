"""Bad input to the event readers (issue #8): every problem is a per-event error or a typed
PortlabError, never a traceback; valid events are never lost; outputs are reproducible."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlab.datasets import example_paths
from portlab.events import (
    ADJUSTMENT_TOLERANCE,
    MAX_ERRORS_PER_EVENT,
    MAX_INT_DIGITS,
    MAX_NESTING,
    RebalanceRequestEvent,
    TradingSignalEvent,
    parse_events,
    parse_rebalance_requests,
    parse_signals,
    read_jsonl,
    write_jsonl,
)
from portlab.exceptions import (
    DataError,
    EventValidationError,
    InputRepairWarning,
    ValidationError,
)

SIGNAL_LINES = Path(example_paths()["signals"]).read_text(encoding="utf-8").splitlines()
REBALANCE_LINE = Path(example_paths()["rebalance"]).read_text(encoding="utf-8").strip()
SIGNALS = [json.loads(line) for line in SIGNAL_LINES]
IDS = [s["eventId"] for s in SIGNALS]
ARRAY_HINT = "this looks like a JSON array; portlab reads JSON Lines: one event per line"
OBJECT_HINT = "this looks like a JSON object spread over several lines"


def _write(path: Path, lines: list[str | bytes]) -> Path:
    data = b"\n".join(x if isinstance(x, bytes) else x.encode("utf-8") for x in lines)
    path.write_bytes(data + b"\n")
    return path


def _signal(i: int = 0, **changes: Any) -> dict[str, Any]:
    data = json.loads(SIGNAL_LINES[i])
    for dotted, value in changes.items():
        *blocks, name = dotted.split("__")
        target = data
        for block in blocks:
            target = target[block]
        target[name] = value
    return data


def _ids(batch) -> list[str]:
    return [e.event_id for e in batch.events]


def _where(batch) -> list[tuple[int | None, int, str]]:
    return [(e.line, e.index, e.field) for e in batch.errors]


# --------------------------------------------------------------------------- files via io


def test_a_line_that_is_not_utf8_is_an_error_for_that_line_only(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl",
        [SIGNAL_LINES[0], b'{"eventId": "caf\xe9"}', SIGNAL_LINES[1], b"\xff\xfe", SIGNAL_LINES[2]],
    )
    batch = read_jsonl(path, TradingSignalEvent)
    assert _ids(batch) == IDS[:3]
    assert _where(batch) == [(2, 1, ""), (4, 3, "")]
    # offset of the 0xe9 byte in '{"eventId": "caf\xe9"}' is 16
    assert batch.errors[0].message == (
        "byte 0xe9 at column 17 is not UTF-8; save the file as UTF-8"
    )
    assert str(batch.errors[1]) == (
        "line 4: event 3: byte 0xff at column 1 is not UTF-8; save the file as UTF-8"
    )


@pytest.mark.parametrize("name", ["signals.jsonl.gz", "signals.jsonl", "signals.txt"])
def test_gzip_is_read_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(("\n".join(SIGNAL_LINES) + "\n").encode()))
    batch = read_jsonl(path, TradingSignalEvent)
    assert batch.ok and _ids(batch) == IDS


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(SIGNAL_LINES).encode())
    batch = read_jsonl(path, TradingSignalEvent)
    assert batch.ok and _ids(batch) == IDS


def test_missing_file_folder_and_bad_path_are_typed_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DataError, match=f"^{re.escape(str(missing))}: no such file$"):
        read_jsonl(missing, TradingSignalEvent)
    with pytest.raises(DataError, match="is a folder"):
        read_jsonl(tmp_path, TradingSignalEvent)
    with pytest.raises(ValidationError, match="^path: expected a file name .*got int"):
        read_jsonl(42, TradingSignalEvent)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="^model: expected an event class .*got str"):
        read_jsonl(missing, "TradingSignalEvent")  # type: ignore[arg-type]


def test_a_compressed_file_cut_short_keeps_the_lines_before(tmp_path: Path) -> None:
    many = [json.dumps({**SIGNALS[0], "eventId": f"s{i}"}) for i in range(400)]
    full = gzip.compress(("\n".join(many) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    batch = read_jsonl(path, TradingSignalEvent)
    got = _ids(batch)
    assert 0 < len(got) < 400 and got == [f"s{i}" for i in range(len(got))]
    # the last line read may be a partial one: it is an error of its own, never dropped quietly
    whole = [e for e in batch.errors if e.index == -1]
    assert len(whole) == 1 and len(batch.errors) <= 2
    assert re.fullmatch(r"cannot be read \(.*\); lines 1-\d+ were read", whole[0].message)
    assert str(whole[0]).startswith(f"line {whole[0].line}: cannot be read")


def test_a_corrupt_gzip_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 4)
    with pytest.raises(DataError, match=f"^{re.escape(str(path))}: cannot be read"):
        read_jsonl(path, TradingSignalEvent)


# --------------------------------------------------------------------------- nesting

DEEP_TEXTS = {
    "arrays 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "objects 100,000 deep": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "unclosed arrays": "[" * 50_000,
    "just past the limit": "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
}


@pytest.mark.parametrize("text", DEEP_TEXTS.values(), ids=DEEP_TEXTS.keys())
def test_deep_nesting_is_an_error_for_its_line(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path / "deep.jsonl", [SIGNAL_LINES[0], text, SIGNAL_LINES[1]])
    batch = read_jsonl(path, TradingSignalEvent)
    assert _ids(batch) == IDS[:2]
    assert _where(batch) == [(2, 1, "")]
    column = MAX_NESTING * (5 if text.startswith("{") else 1) + 1  # of the 33rd bracket
    assert batch.errors[0].message == (
        f"nested deeper than {MAX_NESTING} levels (at column {column}); an event is at most "
        "4 levels deep"
    )


@pytest.mark.parametrize("text", DEEP_TEXTS.values(), ids=DEEP_TEXTS.keys())
def test_deep_nesting_in_parse_events_and_from_json(text: str) -> None:
    batch = parse_signals([SIGNAL_LINES[0], text, text.encode(), SIGNAL_LINES[1]])
    assert _ids(batch) == IDS[:2]
    assert [(e.index, e.field) for e in batch.errors] == [(1, ""), (2, "")]
    assert all(e.message.startswith("nested deeper than 32 levels") for e in batch.errors)
    with pytest.raises(EventValidationError, match="nested deeper than 32 levels"):
        TradingSignalEvent.from_json(text)


def test_nesting_at_the_limit_is_decoded_and_brackets_in_strings_do_not_count() -> None:
    at_limit = {
        **SIGNALS[0],
        "signal": json.loads("[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)),
    }
    batch = parse_signals([json.dumps(at_limit)])
    assert [(e.field, e.message) for e in batch.errors] == [
        ("signal", "Input should be a valid dictionary or instance of Signal")
    ]
    brackets = _signal(0, signal__strategy_id="[{" * 500)
    assert parse_signals([json.dumps(brackets)]).events[0].strategy == "[{" * 500


def test_deep_python_objects_go_through_pydantic_without_crashing() -> None:
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(100_000):
        cursor["a"] = {}
        cursor = cursor["a"]
    in_field = _signal(0, signal__instrument_id=deep)
    extra = {**SIGNALS[1], "extra": deep}
    batch = parse_signals([in_field, extra, SIGNALS[2]])
    assert _ids(batch) == [IDS[2]]
    assert [(e.index, e.field, e.message) for e in batch.errors] == [
        (0, "signal.instrument_id", "Input should be a valid string"),
        (1, "extra", "Extra inputs are not permitted"),
    ]
    with pytest.raises(EventValidationError, match="field extra: Extra inputs"):
        TradingSignalEvent.from_dict(extra)


# --------------------------------------------------------------------------- documents


def _starts(text: str) -> list[int]:
    """Lines (1-based) where json.dumps(..., indent=2) of a list starts each element."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line == "  {"]


def test_a_pretty_printed_array_is_read_with_element_lines(tmp_path: Path) -> None:
    text = json.dumps(SIGNALS[:5], indent=2)
    (tmp_path / "a.json").write_text(text)
    batch = read_jsonl(tmp_path / "a.json", TradingSignalEvent)
    assert batch.ok and _ids(batch) == IDS[:5]
    bad = [{**SIGNALS[0], "eventId": "x"}, _signal(1, signal__confidence=2.0), SIGNALS[2]]
    text = json.dumps(bad, indent=2)
    (tmp_path / "b.json").write_text(text)
    batch = read_jsonl(tmp_path / "b.json", TradingSignalEvent)
    assert _ids(batch) == ["x", IDS[2]]
    assert _where(batch) == [(_starts(text)[1], 1, "signal.confidence")]


def test_one_broken_element_of_an_array_is_one_error(tmp_path: Path) -> None:
    text = json.dumps(SIGNALS[:4], indent=2)
    broken = text.replace('"confidence": 0.62,', '"confidence": 0.62', 1)  # element 1
    assert broken != text
    (tmp_path / "a.json").write_text(broken)
    batch = read_jsonl(tmp_path / "a.json", TradingSignalEvent)
    assert _ids(batch) == [IDS[0], IDS[2], IDS[3]]
    [error] = batch.errors
    lines = broken.splitlines()
    at = next(n for n, x in enumerate(lines) if x.endswith('"confidence": 0.62'))
    column = len(lines[at + 1]) - len(lines[at + 1].lstrip()) + 1  # the next field's quote
    assert (error.line, error.index) == (_starts(broken)[1], 1)
    assert error.message == (
        f"not valid JSON at line {at + 2}, column {column}: Expecting ',' delimiter"
    )


def test_a_truncated_pretty_array_is_one_error_with_the_hint(tmp_path: Path) -> None:
    text = json.dumps(SIGNALS, indent=2)
    cut = text[: text.index('"sig-006"')]  # inside element 5
    (tmp_path / "a.json").write_text(cut)
    batch = read_jsonl(tmp_path / "a.json", TradingSignalEvent)
    assert _ids(batch) == IDS[:5]  # the complete elements are kept
    [error] = batch.errors
    assert error.index == -1 and error.line == cut.count("\n") + 1
    assert error.message == (
        f"{ARRAY_HINT} (or one complete JSON array of events); the array opened on line 1 is "
        "never closed"
    )
    assert str(error) == f"line {error.line}: {error.message}"


def test_a_broken_array_never_gives_one_error_per_line(tmp_path: Path) -> None:
    text = json.dumps(SIGNALS, indent=2)
    for broken in (text[:-2], text + "\n]", text.replace("}\n]", "},\n]"), "[" + text):
        (tmp_path / "a.json").write_text(broken)
        batch = read_jsonl(tmp_path / "a.json", TradingSignalEvent)
        assert len(batch.errors) <= 2, [str(e) for e in batch.errors]
        assert any(ARRAY_HINT in e.message for e in batch.errors)


def test_pretty_printed_objects(tmp_path: Path) -> None:
    one = json.dumps(SIGNALS[0], indent=2)
    (tmp_path / "one.json").write_text(one)
    assert _ids(read_jsonl(tmp_path / "one.json", TradingSignalEvent)) == IDS[:1]
    jq = "\n".join(json.dumps(s, indent=2) for s in SIGNALS[:3])  # what `jq .` writes
    (tmp_path / "jq.json").write_text(jq)
    batch = read_jsonl(tmp_path / "jq.json", TradingSignalEvent)
    assert batch.ok and _ids(batch) == IDS[:3]
    (tmp_path / "cut.json").write_text(one[:-2])
    batch = read_jsonl(tmp_path / "cut.json", TradingSignalEvent)
    assert batch.events == []
    [error] = batch.errors
    assert error.message.startswith(OBJECT_HINT + "; portlab reads JSON Lines: one event per line")
    assert error.message.endswith("the object opened on line 1 is never closed")


def test_json_lines_whose_first_line_is_cut_keeps_the_other_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.jsonl", [SIGNAL_LINES[0][:60], *SIGNAL_LINES[1:4]])
    batch = read_jsonl(path, TradingSignalEvent)
    assert _ids(batch) == IDS[1:4]
    assert _where(batch) == [(1, 0, "")]
    assert batch.errors[0].message.startswith("not valid JSON at column")


def test_a_one_line_array_is_read_as_a_document(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.jsonl", [json.dumps(SIGNALS[:2]), SIGNAL_LINES[2]])
    batch = read_jsonl(path, TradingSignalEvent)
    assert batch.ok and _ids(batch) == IDS[:3]


# --------------------------------------------------------------------------- derived ids


def _expected_id(prefix: str, record: dict[str, Any]) -> str:
    content = {k: v for k, v in record.items() if k != "eventId"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return prefix + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _no_id(i: int) -> dict[str, Any]:
    record = dict(SIGNALS[i])
    del record["eventId"]
    return record


def test_a_signal_without_event_id_gets_an_id_from_its_content(tmp_path: Path) -> None:
    lines = [SIGNAL_LINES[0], json.dumps(_no_id(1)), SIGNAL_LINES[2], json.dumps(_no_id(3))]
    path = _write(tmp_path / "s.jsonl", [*lines, json.dumps(_no_id(4))])
    with pytest.warns(InputRepairWarning) as record:
        batch = read_jsonl(path, TradingSignalEvent)
    expected = [IDS[0], *(_expected_id("sig-", _no_id(i)) for i in (1,)), IDS[2]]
    expected += [_expected_id("sig-", _no_id(i)) for i in (3, 4)]
    assert batch.ok and _ids(batch) == expected
    assert len(record) == 1  # one warning for the batch, not one per event
    assert str(record[0].message) == (
        f"{path}: 3 events without eventId (lines 2, 4, 5): each was given an id derived "
        "from its content, 'sig-' + the first 16 hex digits of the SHA-256 of its canonical "
        "JSON; give each event an eventId to choose your own"
    )
    assert record[0].filename == __file__  # attributed to the caller's line
    with pytest.warns(InputRepairWarning):
        again = read_jsonl(path, TradingSignalEvent)
    assert _ids(again) == expected  # reproducible


def test_the_same_content_twice_is_a_duplicate() -> None:
    with pytest.warns(InputRepairWarning, match=r"3 events without eventId \(events 0, 1, 3\)"):
        batch = parse_signals([_no_id(0), _no_id(1), SIGNALS[2], _no_id(0)])
    first = _expected_id("sig-", _no_id(0))
    assert _ids(batch) == [first, _expected_id("sig-", _no_id(1)), IDS[2]]
    assert [(e.index, e.event_id, e.field) for e in batch.errors] == [(3, first, "eventId")]
    assert batch.errors[0].message == (
        f"duplicate of the event at event 0: same content and no eventId, so the same "
        f"derived id '{first}'"
    )


def test_without_timestamp_the_id_still_does_not_change() -> None:
    record = _no_id(0)
    del record["timestamp"]
    with pytest.warns(InputRepairWarning):
        a = parse_signals([record]).events[0]
    with pytest.warns(InputRepairWarning):
        b = parse_signals([json.dumps(record)]).events[0]
    assert a.event_id == b.event_id == _expected_id("sig-", record)
    other = {**record, "timestamp": "2022-12-28T15:00:00.000Z"}
    with pytest.warns(InputRepairWarning):
        c = parse_signals([other]).events[0]
    assert c.event_id == _expected_id("sig-", other) != a.event_id


def test_a_rebalance_request_without_id_gets_a_rebal_id() -> None:
    record = json.loads(REBALANCE_LINE)
    del record["eventId"]
    with pytest.warns(InputRepairWarning, match="1 event without eventId \\(event 0\\).*'rebal-'"):
        batch = parse_rebalance_requests([record])
    # the id hashes the event as validated: min_trade_size 1000 is a float, 1000.0
    record["constraints"]["min_trade_size"] = 1000.0
    assert _ids(batch) == [_expected_id("rebal-", record)]


def test_many_missing_ids_are_listed_briefly() -> None:
    records = [{**_no_id(0), "timestamp": f"2022-12-28T15:{m:02d}:00.000Z"} for m in range(25)]
    with pytest.warns(InputRepairWarning, match=r"25 events .*\(events 0, 1, .*, 9 and 15 more\)"):
        batch = parse_signals(records)
    assert batch.ok and len(set(_ids(batch))) == 25


def test_no_warning_when_every_event_has_an_id() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputRepairWarning)
        assert parse_signals(SIGNALS).ok


# --------------------------------------------------------------------------- adjustment_needed


def _request(*adjustments: dict[str, Any]) -> dict[str, Any]:
    record = json.loads(REBALANCE_LINE)
    record["target_adjustments"] = list(adjustments)
    return record


def test_the_bundled_rebalance_example_stays_valid() -> None:
    batch = read_jsonl(example_paths()["rebalance"], RebalanceRequestEvent)
    assert batch.ok and len(batch.events) == 1


def test_a_contradicting_adjustment_is_an_error_naming_both_numbers() -> None:
    adj = {"instrument_id": "MSFT", "current_weight": 0.0607, "target_weight": 0.045}
    good = _request({**adj, "adjustment_needed": -0.0157})
    bad = _request(
        {
            "instrument_id": "LLY",
            "current_weight": 0,
            "target_weight": 0.03,
            "adjustment_needed": 0.03,
        },
        {**adj, "adjustment_needed": 0.0157},
    )
    bad["eventId"] = "wrong-sign"
    batch = parse_rebalance_requests([good, bad])
    assert len(batch.events) == 1
    [error] = batch.errors
    assert (error.index, error.field) == (1, "target_adjustments.1.adjustment_needed")
    # 0.045 - 0.0607 = -0.0157; 0.0157 - (-0.0157) = 0.0314
    assert error.message == (
        "0.0157 contradicts target_weight - current_weight = 0.045 - 0.0607 = -0.0157 "
        "(off by 0.0314, more than the tolerance 0.002)"
    )


@pytest.mark.parametrize(
    ("adjustment", "names"),
    [
        ({"strategy_id": "mom", "priority": "HIGH"}, ("current_weight", "target_weight")),
        ({"sector": "tech", "affected_instruments": []}, ("current_exposure", "target_exposure")),
        ({"instrument_id": "A"}, ("current_weight", "target_weight")),
    ],
)
def test_the_tolerance_applies_to_every_kind_of_adjustment(
    adjustment: dict[str, Any], names: tuple[str, str]
) -> None:
    current, target = names
    base = {**adjustment, current: 0.35, target: 0.30}
    inside = ADJUSTMENT_TOLERANCE * 0.9
    outside = ADJUSTMENT_TOLERANCE * 1.1
    records = [
        _request({**base, "adjustment_needed": -0.05 + inside}),
        _request({**base, "adjustment_needed": -0.05 - inside}),
        _request({**base, "adjustment_needed": -0.05 + outside}),
        _request({**base, "adjustment_needed": 0.05}),
    ]
    for i, r in enumerate(records):
        r["eventId"] = f"r{i}"
    batch = parse_rebalance_requests(records)
    assert _ids(batch) == ["r0", "r1"]
    assert [(e.index, e.field) for e in batch.errors] == [
        (2, "target_adjustments.0.adjustment_needed"),
        (3, "target_adjustments.0.adjustment_needed"),
    ]
    assert f"{target} - {current} = 0.3 - 0.35 = -0.05" in batch.errors[1].message


def test_values_rounded_to_three_decimals_pass() -> None:
    # true weights 0.06049 -> 0.060 and 0.04451 -> 0.045; true change -0.01598 -> -0.016:
    # the rounded numbers disagree by 0.001, rounding noise, not a contradiction
    adj = {
        "instrument_id": "A",
        "current_weight": 0.060,
        "target_weight": 0.045,
        "adjustment_needed": -0.016,
    }
    assert parse_rebalance_requests([_request(adj)]).ok


def test_a_bad_weight_is_reported_alone() -> None:
    adj = {
        "instrument_id": "A",
        "current_weight": "0.06",
        "target_weight": 0.045,
        "adjustment_needed": 0.9,
    }
    batch = parse_rebalance_requests([_request(adj)])
    assert [(e.field, e.message) for e in batch.errors] == [
        ("target_adjustments.0.current_weight", "Input should be a number, not a string")
    ]


@settings(max_examples=60, deadline=None)
@given(
    current=st.floats(-1, 1, allow_nan=False),
    target=st.floats(-1, 1, allow_nan=False),
    gap=st.floats(-0.01, 0.01, allow_nan=False),
)
def test_adjustment_rule_property(current: float, target: float, gap: float) -> None:
    needed = (target - current) + gap
    actual_gap = abs(needed - (target - current))
    if abs(actual_gap - ADJUSTMENT_TOLERANCE) < 1e-12:
        return  # the boundary itself: float rounding decides
    adj = {
        "instrument_id": "A",
        "current_weight": current,
        "target_weight": target,
        "adjustment_needed": needed,
    }
    batch = parse_rebalance_requests([_request(adj)])
    assert batch.ok == (actual_gap <= ADJUSTMENT_TOLERANCE)


# --------------------------------------------------------------------------- writing


class _Exploding(TradingSignalEvent):
    def to_json(self, *, indent: int | None = None) -> str:
        raise RuntimeError("disk full")


def test_write_jsonl_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    events = [TradingSignalEvent.from_dict(s) for s in SIGNALS[:3]]
    assert write_jsonl(path, events) == 3
    before = path.read_bytes()
    assert before.decode().splitlines() == [e.to_json() for e in events]
    boom = _Exploding.model_validate(SIGNALS[5])
    with pytest.raises(RuntimeError, match="disk full"):
        write_jsonl(path, [*events, boom])
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]  # no temporary file left
    with pytest.raises(ValidationError, match=r"^events\[1\]: expected an event .*got dict"):
        write_jsonl(path, [events[0], SIGNALS[1]])  # type: ignore[list-item]
    assert path.read_bytes() == before
    with pytest.raises(ValidationError, match="put a single event in a list"):
        write_jsonl(path, events[0])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="is a folder"):
        write_jsonl(tmp_path, events)
    assert read_jsonl(path, TradingSignalEvent).events == events


# --------------------------------------------------------------------------- other ways to crash

ONE_LINE_PROBLEMS = {
    "a number": ("42", "", "expected a JSON object (one event), got a number"),
    "a string": ('"AAPL"', "", "expected a JSON object (one event), got a string"),
    "null": ("null", "", "expected a JSON object (one event), got null"),
    "true": ("true", "", "expected a JSON object (one event), got true or false"),
    "an array": ("[1, 2]", "", "expected a JSON object (one event), got an array"),
    "huge integer": (
        '{"eventId": ' + "9" * 5000 + "}",
        "",
        f"a number with 5,000 digits is too long (at most {MAX_INT_DIGITS})",
    ),
    "two events on a line": (
        SIGNAL_LINES[3] + " " + SIGNAL_LINES[4],
        "",
        f"not valid JSON at column {len(SIGNAL_LINES[3]) + 2}: more text after the end of the "
        "JSON value (two events on one line?)",
    ),
    "unclosed string": (
        '{"eventId": "abc',
        "",
        "not valid JSON at column 13: this string is never closed (no closing quote)",
    ),
    "NUL byte": ("\x00", "", "not valid JSON at column 1: expected a JSON value"),
    "NaN literal": (
        SIGNAL_LINES[3].replace('"confidence": 0.69', '"confidence": NaN'),
        "signal.confidence",
        "Input should be a finite number",
    ),
    "Infinity literal": (
        SIGNAL_LINES[3].replace('"price_target": 110.04', '"price_target": -Infinity'),
        "expected_outcomes.price_target",
        "Input should be a finite number",
    ),
    "1e999": (
        SIGNAL_LINES[3].replace('"confidence": 0.69', '"confidence": 1e999'),
        "signal.confidence",
        "Input should be a finite number",
    ),
    "lot size of 40 digits": (
        SIGNAL_LINES[3].replace('"strategy_id"', '"lot_size": ' + "1" * 40 + ', "strategy_id"'),
        "signal.lot_size",
        "Input should be at most 2^53 (about 9.0e15) in magnitude, got a 40-digit integer",
    ),
    "eventId a number": (
        SIGNAL_LINES[3].replace('"sig-004"', "4"),
        "eventId",
        "Input should be a valid string",
    ),
    "eventId null": (
        SIGNAL_LINES[3].replace('"sig-004"', "null"),
        "eventId",
        "Input should be a valid string",
    ),
    "eventId empty": (
        SIGNAL_LINES[3].replace('"sig-004"', '""'),
        "eventId",
        "String should have at least 1 character",
    ),
    "time past year 9999 in UTC": (
        SIGNAL_LINES[3].replace("2022-12-28T15:03:00.000Z", "9999-12-31T23:00:00-05:00"),
        "timestamp",
        "Input should be a time between the years 1 and 9999 in UTC",
    ),
    "lone surrogate": (
        SIGNAL_LINES[3].replace('"XOM"', '"\\ud800"'),
        "signal.instrument_id",
        "Input should be valid Unicode text (it holds a lone surrogate such as \\ud800)",
    ),
}


def test_the_problem_lines_are_what_they_claim_to_be() -> None:
    assert json.loads(SIGNAL_LINES[3])["eventId"] == "sig-004"
    for label, (text, _, _) in ONE_LINE_PROBLEMS.items():
        if label not in {"a number", "a string", "null", "true", "an array", "NUL byte"}:
            assert text not in SIGNAL_LINES, label  # each replacement took effect


@pytest.mark.parametrize(
    ("text", "field", "message"), ONE_LINE_PROBLEMS.values(), ids=ONE_LINE_PROBLEMS.keys()
)
def test_each_crash_candidate_is_an_error_for_its_line(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    path = _write(tmp_path / "s.jsonl", [SIGNAL_LINES[0], text, SIGNAL_LINES[1]])
    batch = read_jsonl(path, TradingSignalEvent)
    assert _ids(batch) == IDS[:2]
    assert [(e.line, e.index, e.field, e.message) for e in batch.errors] == [(2, 1, field, message)]
    same = parse_signals([SIGNALS[0], text, SIGNALS[1]])
    assert [(e.index, e.field, e.message) for e in same.errors] == [(1, field, message)]


def test_an_event_with_ten_thousand_fields_lists_ten_problems() -> None:
    record = dict(SIGNALS[0])
    record.update({f"f{i}": i for i in range(10_000)})
    batch = parse_signals([record, SIGNALS[1]])
    assert _ids(batch) == [IDS[1]]
    assert len(batch.errors) == MAX_ERRORS_PER_EVENT + 1
    assert [e.field for e in batch.errors[:3]] == ["f0", "f1", "f2"]
    assert str(batch.errors[-1]) == (
        "event 0 (eventId 'sig-001'): and 9,990 more problems in this event "
        "(only the first 10 are listed)"
    )


def test_keys_and_ids_are_shown_on_one_short_line() -> None:
    weird = {**SIGNALS[0], "eventId": "x\n" * 500, "bad\nkey" * 30: 1, 7: "seven"}
    [*errors] = parse_signals([weird]).errors
    assert [e.field for e in errors] == [repr(("bad\nkey" * 30)[:37]) + "...", "7"]
    assert [e.message for e in errors] == [
        "Extra inputs are not permitted",
        "Keys should be strings",
    ]
    for e in errors:
        text = str(e)
        assert "\n" not in text and len(text) < 200
        assert text.startswith("event 0 (eventId 'x\\nx\\n")


def test_bytes_records_with_bom_and_bad_bytes() -> None:
    batch = parse_signals(
        [
            b"\xef\xbb\xbf" + SIGNAL_LINES[0].encode(),
            "\ufeff" + SIGNAL_LINES[1],
            b"\x80" + SIGNAL_LINES[2].encode(),
        ]
    )
    assert _ids(batch) == IDS[:2]
    assert [e.message for e in batch.errors] == [
        "not UTF-8: byte 0x80 at offset 0; save the text as UTF-8"
    ]


@pytest.mark.parametrize(
    ("records", "match"),
    [
        ("\n".join(SIGNAL_LINES), r"got str \(to read a JSON Lines file use read_jsonl"),
        (SIGNAL_LINES[0].encode(), r"got bytes \(to read a JSON Lines file"),
        (SIGNALS[0], r"got dict \(put a single event in a list\)"),
        (42, r"got int$"),
        (Path("signals.jsonl"), r"got PosixPath \(to read a file use read_jsonl"),
        (pd.DataFrame({"a": [1]}), r"got DataFrame \(use signals_from_frame"),
    ],
)
def test_parse_events_wants_a_collection_of_records(records: Any, match: str) -> None:
    if isinstance(records, Path) and os.name == "nt":
        pytest.skip("path class name differs on Windows")
    with pytest.raises(ValidationError, match=r"^records: expected a list of events .*" + match):
        parse_signals(records)


def test_parse_events_wants_an_event_class() -> None:
    with pytest.raises(ValidationError, match="^model: expected an event class .*got dict"):
        parse_events([SIGNALS[0]], dict)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("[1, 2]", "expected a JSON object, got an array"),
        ("{not json", "not valid JSON at column 2"),
        (b"\xff", "not UTF-8: byte 0xff"),
        (42, "expected JSON text \\(str or bytes\\), got int"),
    ],
)
def test_from_json_raises_event_validation_errors(data: Any, match: str) -> None:
    with pytest.raises(EventValidationError, match="^TradingSignalEvent: event 0: " + match):
        TradingSignalEvent.from_json(data)


def test_the_coordinator_warns_once_and_its_output_is_reproducible() -> None:
    import portlab
    from portlab.datasets import example_batch, load_sample

    market, state = load_sample(), example_batch().state
    signals = [_no_id(i) for i in range(len(SIGNALS))]
    runs = []
    for _ in range(2):
        with pytest.warns(InputRepairWarning) as record:
            runs.append(portlab.Coordinator().coordinate(signals, state, market))
        assert len(record) == 1
        assert str(record[0].message).startswith("14 events without eventId (events 0, 1, 2,")
    first, second = ([e.to_json() for e in r.events()] for r in runs)
    assert first == second and len(first) > 0
    expected = {_expected_id("sig-", s) for s in signals}
    assert {i for ids in runs[0].decisions["signal_ids"] for i in ids} <= expected


# --------------------------------------------------------------------------- fuzzing

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_special = st.sampled_from(
    [
        b"\xef\xbb\xbf",
        b"\x00",
        b"\x1f\x8b\x08\x00",
        b"[" * 5000,
        b'{"a":' * 3000,
        b"]" * 40,
        b"\xff\xfe{}",
        b"{",
        b"[",
        b",",
        b"NaN",
        b"-Infinity",
        b"1" * 5000,
        b"\xed\xa0\x80",  # a UTF-8 encoded surrogate: not UTF-8
    ]
)
_junk_bytes = st.one_of(
    st.binary(max_size=40),
    _special,
    _json_values.map(lambda v: json.dumps(v).encode()),
    # a valid line cut short (never the whole line)
    st.tuples(st.integers(0, len(SIGNAL_LINES) - 1), st.integers(1, 400)).map(
        lambda t: SIGNAL_LINES[t[0]].encode()[: min(t[1], len(SIGNAL_LINES[t[0]]) - 1)]
    ),
)
_valid = st.tuples(st.just("valid"), st.integers(0, len(SIGNAL_LINES) - 1), st.booleans())


def _expected(items: list[tuple]) -> list[str]:
    """Ids of the valid items in order, each once (a repeated id is a duplicate)."""
    seen: list[str] = []
    for item in items:
        if item[0] == "valid" and IDS[item[1]] not in seen:
            seen.append(IDS[item[1]])
    return seen


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    items=st.lists(_valid | st.tuples(st.just("junk"), _junk_bytes), min_size=1, max_size=12),
    compress=st.booleans(),
)
def test_fuzz_read_jsonl_keeps_every_valid_line(items: list[tuple], compress: bool) -> None:
    raw = b"\n".join(SIGNAL_LINES[i[1]].encode() if i[0] == "valid" else i[1] for i in items)
    data = gzip.compress(raw) if compress else raw
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.jsonl"
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputRepairWarning)
            try:
                batch = read_jsonl(path, TradingSignalEvent)
            except DataError as exc:  # any other exception fails the test
                assert not compress and raw.startswith(b"\x1f\x8b"), str(exc)  # not gzip
                return
    assert _ids(batch) == _expected(items)
    assert all("\n" not in str(e) for e in batch.errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(
        _valid
        | st.tuples(
            st.just("junk"),
            _junk_bytes | _junk_bytes.map(lambda b: b.decode("utf-8", "replace")) | _json_values,
        ),
        max_size=12,
    )
)
def test_fuzz_parse_signals_keeps_every_valid_record(items: list[tuple]) -> None:
    records = [
        (SIGNALS[i[1]] if i[2] else SIGNAL_LINES[i[1]]) if i[0] == "valid" else i[1] for i in items
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputRepairWarning)
        batch = parse_signals(records)  # any exception fails the test
    assert _ids(batch) == _expected(items)
    assert all("\n" not in str(e) for e in batch.errors)
