"""A sweep spec: one YAML file naming the kind, the shared inputs and the scenarios (a grid, a
list, or both). The examples shipped in ``portlab/sweep/examples/`` document every key."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from portlab.exceptions import ConfigError, PortlabError
from portlab.sweep._inputs import SweepInputs, load_inputs
from portlab.sweep._kinds import SweepKind
from portlab.sweep._scenarios import Scenario, expand

__all__ = ["INPUT_KEYS", "SPEC_KEYS", "Sweep", "example_specs", "load_spec"]

#: the top-level keys of a spec
SPEC_KEYS = ("kind", "inputs", "grid", "scenarios")
#: the keys of its ``inputs`` section (:func:`load_inputs`'s arguments)
INPUT_KEYS = (
    "market", "sectors", "portfolio", "policy", "signals", "strategies", "configurations",
    "start", "end", "splits", "gap", "periods", "frequency", "cost", "initial_cash", "report",
    "report_folder",
)  # fmt: skip


class Sweep(NamedTuple):
    """A sweep read from a spec: ``scenarios, inputs = load_spec(path)``."""

    scenarios: list[Scenario]
    inputs: SweepInputs


def example_specs() -> dict[str, Path]:
    """The example specs shipped in the package, by name.

    Examples
    --------
    >>> sorted(example_specs())
    ['backtest', 'coordination']
    """
    root = resources.files("portlab.sweep") / "examples"
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if str(p).endswith(".yaml")}


def _unknown(where: str, key: Any, known: tuple[str, ...]) -> ConfigError:
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"the keys are {', '.join(known)}"
    return ConfigError(f"{where}{key}: unknown key; {hint}")


def _plain(value: Any) -> Any:
    """YAML's dates as ISO text (an axis value is text, a number or a boolean)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line(lines: list[str], message: str) -> str:
    """``:N`` of the first line of the spec that holds the key the message starts with."""
    key = message.split(" ", 1)[0].rstrip(":")
    # an axis is found by its whole name (it holds dots), an input key by its last part
    for name in dict.fromkeys([key, key.rsplit(".", 1)[-1]]):
        if not name:
            continue
        pattern = re.compile(rf"^\s*-?\s*[{{,]?\s*['\"]?{re.escape(name)}['\"]?\s*:")
        for n, line in enumerate(lines, start=1):
            if pattern.search(line):
                return f":{n}"
    return ""


def load_spec(path: str | Path) -> Sweep:
    """Read a sweep spec.

    Parameters
    ----------
    path : str or Path
        A YAML file with ``kind`` (coordination, backtest or report), ``inputs`` (the keys of
        :func:`load_inputs`; file names relative to the spec's folder; ``report`` holds the
        parameters every report gets), and ``grid`` (axis -> list of values) and/or
        ``scenarios`` (a list of mappings axis -> value).

    Returns
    -------
    Sweep
        ``(scenarios, inputs)``; the spec file is among ``inputs.files``.

    Raises
    ------
    ConfigError, DataError
        Not YAML or not a mapping; an unknown key (the closest is named); a missing input
        file; an unknown axis or a bad value (named with its axis:
        ``spec.yaml:7: policy.max_position_size = 5: 5 looks like a percentage ...``).

    Examples
    --------
    >>> scenarios, inputs = load_spec(example_specs()["coordination"])
    >>> len(scenarios), dict(scenarios[0].parameters)["resolution"]
    (12, 'HIGHEST_PRIORITY')
    """
    import yaml

    spec = Path(path)
    if not spec.is_file():
        raise ConfigError(f"{spec}: no such file")
    try:
        text = spec.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{spec}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{spec}{where}: not valid YAML") from None
    lines = text.splitlines()
    try:
        return _read(spec, data)
    except PortlabError as exc:
        message = " ".join(str(exc).split())
        raise type(exc)(f"{spec}{_line(lines, message)}: {message}") from None


def _read(spec: Path, data: Any) -> Sweep:
    if not isinstance(data, Mapping):
        raise ConfigError("expected a mapping with kind, inputs, grid and/or scenarios")
    for key in data:
        if key not in SPEC_KEYS:
            raise _unknown("", key, SPEC_KEYS)
    if "kind" not in data:
        raise ConfigError(f"kind: missing; one of {', '.join(k.value for k in SweepKind)}")
    given = data.get("inputs") or {}
    if not isinstance(given, Mapping):
        raise ConfigError("inputs: expected a mapping")
    for key in given:
        if key not in INPUT_KEYS:
            raise _unknown("inputs.", key, INPUT_KEYS)
    options = {str(k): _plain(v) for k, v in given.items()}
    report = options.pop("report", None)
    if report is not None and not isinstance(report, Mapping):
        raise ConfigError("inputs.report: expected a mapping of report parameters")
    if "splits" in options and options["splits"] is not None:
        options["splits"] = tuple(options["splits"])
    inputs = load_inputs(**options, report_parameters=report, base=spec.parent)
    inputs = _with_file(inputs, spec)
    grid = data.get("grid")
    if grid is not None and not isinstance(grid, Mapping):
        raise ConfigError("grid: expected a mapping of axis -> list of values")
    listed = data.get("scenarios") or []
    if not isinstance(listed, list):
        raise ConfigError("scenarios: expected a list of mappings of axis -> value")
    grid = {str(k): _plain(v) for k, v in (grid or {}).items()}
    listed = [
        {str(k): _plain(v) for k, v in item.items()} if isinstance(item, Mapping) else item
        for item in listed
    ]
    return Sweep(expand(data["kind"], inputs, grid=grid, scenarios=listed), inputs)


def _with_file(inputs: SweepInputs, spec: Path) -> SweepInputs:
    import dataclasses

    return dataclasses.replace(inputs, files=(*inputs.files, spec))
