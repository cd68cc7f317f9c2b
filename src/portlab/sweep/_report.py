"""Report scenarios: a report template rendered with a parameter set."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portlab.exceptions import ConfigError, ValidationError

if TYPE_CHECKING:
    from portlab.sweep._inputs import SweepInputs

__all__ = ["METRICS", "REPORT", "axes", "check", "digest", "execute", "measure"]

#: the axis (or shared parameter) naming the template
REPORT = "report"

#: the metrics of a report scenario: name -> dtype
METRICS: dict[str, str] = {
    "page": "str",  # the page written
    "page_bytes": "Int64",  # its size
}


def axes() -> None:
    """Any parameter of the template (checked against it), and ``report``."""
    return None


def _values(parameters: Mapping[str, Any], inputs: SweepInputs) -> tuple[str, dict[str, Any]]:
    shared = dict(inputs.report_parameters)
    name = parameters.get(REPORT, shared.pop(REPORT, None))
    if name is None:
        raise ConfigError("report: no template named; add a report axis (e.g. report: [portfolio])")
    values = shared | {k: v for k, v in parameters.items() if k != REPORT}
    return str(name), values


def check(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, Any]:
    """The parameters checked against the template's (:func:`portlab.reports.check_parameters`)."""
    from portlab.reports import check_parameters, find_template

    name, values = _values(parameters, inputs)
    try:
        template = find_template(name)
    except ValidationError as exc:
        raise ConfigError(f"report: {exc}") from None
    checked = check_parameters(template, values)
    return {k: (name if k == REPORT else checked[k]) for k in parameters}


def digest(parameters: Mapping[str, Any], inputs: SweepInputs) -> dict[str, str]:
    """Digests of the template's file and the shared report parameters."""
    from portlab.reports import find_template

    name, _ = _values(parameters, inputs)
    text = find_template(name).path.read_bytes()
    return {"template": hashlib.sha256(text).hexdigest()[:12], "shared": inputs.digest("report")}


def page(parameters: Mapping[str, Any], inputs: SweepInputs, scenario: str) -> Path:
    """Where the scenario's page goes: ``<report_folder>/<report>-<scenario id>.html``."""
    name, _ = _values(parameters, inputs)
    folder = inputs.report_folder if inputs.report_folder is not None else Path("reports")
    return Path(folder).absolute() / f"{name}-{scenario}.html"


def execute(parameters: Mapping[str, Any], inputs: SweepInputs, scenario: str) -> Path:
    """Render the report; returns its page."""
    from portlab.reports import run

    name, values = _values(parameters, inputs)
    return run(name, values, page(parameters, inputs, scenario), progress=False)


def measure(result: Path) -> dict[str, Any]:
    """The metrics (:data:`METRICS`) of a rendered page."""
    return {"page": str(result), "page_bytes": result.stat().st_size}
