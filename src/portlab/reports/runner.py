"""Running a report: parameters checked, the template executed by papermill, the page
rendered (:func:`portlab.reports.to_html`)."""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portlab.exceptions import ReportError, ValidationError
from portlab.reports.catalog import Template, find_template
from portlab.reports.render import to_html, to_pdf

__all__ = ["Parameter", "check_parameters", "run"]

#: seconds a cell may run before the report fails
CELL_TIMEOUT_S = 600

#: parameters named ``*_file`` name a file the report reads, ``*_files`` a list of them: each
#: is checked to exist before any cell runs (None, or "" where a template allows it, is none)
FILE_SUFFIXES = ("_file", "_files")

#: parameters whose value names an estimator, checked against the estimator's choices before
#: any cell runs: parameter -> the enumeration's import path (module, name)
CHOICES = {
    "return_method": ("portlab.analytics.estimators", "ReturnMethod"),
    "risk_model": ("portlab.market", "CovMethod"),
}


def _check_choice(name: str, value: Any) -> None:
    """ValidationError unless ``value`` is None or a value of the enumeration of
    :data:`CHOICES` ``[name]`` (the message lists them)."""
    import importlib

    module, enum_name = CHOICES[name]
    kind = getattr(importlib.import_module(module), enum_name)
    try:
        kind(value)
    except ValueError:
        choices = ", ".join(str(m) for m in kind)
        raise ValidationError(f"parameter {name}: {value!r} is not one of {choices}") from None


@dataclass(frozen=True)
class Parameter:
    """A template's parameter: its name, default value and help (from its ``parameters``
    cell)."""

    name: str
    default: Any
    help: str

    def check(self, value: Any) -> Any:
        """``value`` if it suits the default's type (an int for a float, anything for a
        None default); else ValidationError naming the parameter."""
        expected = type(self.default)
        if self.default is None or value is None or isinstance(value, expected):
            return value
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise ValidationError(
            f"parameter {self.name}: expected {expected.__name__} (default {self.default!r}), "
            f"got {type(value).__name__} {value!r}"
        )


def _parameters(template: Template) -> dict[str, Parameter]:
    found = {}
    for name, spec in template.parameters().items():
        try:
            default = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            default = None
        found[name] = Parameter(name, default, spec.get("help", ""))
    return found


def _input_files(values: Mapping[str, Any]) -> list[Path]:
    """The files named by ``*_file`` / ``*_files`` parameters (and a market CSV)."""
    found = []
    for name, value in values.items():
        if name.endswith(FILE_SUFFIXES) and value not in (None, ""):
            found += [Path(v) for v in (value if isinstance(value, list) else [value])]
    if values.get("market") not in (None, "sample"):
        found.append(Path(values["market"]))
    return found


def check_parameters(template: Template | str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` checked against the template's parameters, before any cell runs.

    Raises
    ------
    ValidationError
        An unknown parameter (the message lists the template's), a value of the wrong type,
        an estimator's name that is not one (:data:`CHOICES`; the message lists them).
    DataError
        A file parameter naming a file that does not exist.

    Examples
    --------
    >>> check_parameters("portfolio", {"return_method": "capm", "confidence": 0.95})
    {'return_method': 'capm', 'confidence': 0.95}
    >>> check_parameters("portfolio", {"risk_model": "median"})
    Traceback (most recent call last):
    ...
    portlab.exceptions.ValidationError: parameter risk_model: 'median' is not one of sample, ledoit_wolf, ewma, semicovariance, ledoit_wolf_single_factor, ledoit_wolf_constant_correlation, oracle_approximating
    """
    from portlab.exceptions import DataError

    template = find_template(template) if isinstance(template, str) else template
    known = _parameters(template)
    checked = {}
    for name, value in values.items():
        if name not in known:
            raise ValidationError(
                f"unknown parameter {name!r} for report {template.name}; parameters: "
                + ", ".join(known)
            )
        checked[name] = known[name].check(value)
        if name in CHOICES and value is not None:
            _check_choice(name, value)
    for name, value in checked.items():
        if name.endswith(FILE_SUFFIXES) or name == "market":
            for path in _input_files({name: value}):
                if not path.is_file():
                    raise DataError(f"{name}: {path}: no such file")
    return checked


def run(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    out: str | Path | None = None,
    *,
    keep_notebook: str | Path | None = None,
    timeout: float = CELL_TIMEOUT_S,
    progress: bool = True,
) -> Path:
    """Run the report ``name`` with ``parameters`` and write its page to ``out``.

    Parameters
    ----------
    name : str
        A template (:func:`~portlab.reports.templates`), e.g. "portfolio".
    parameters : mapping, optional
        Values for the template's parameters (the others keep their defaults).
    out : str or Path, optional
        The ``.html`` file to write (self-contained, works offline), or a ``.pdf`` (the page
        printed by Chromium: :func:`~portlab.reports.to_pdf`); default ``NAME.html`` in the
        working folder.
    keep_notebook : str or Path, optional
        Also keep the executed notebook there.
    timeout : float
        Seconds a cell may run.
    progress : bool
        Show papermill's progress bar (one tick per cell).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValidationError, DataError
        Bad parameters (before any cell runs), or an output that would overwrite an input.
    ReportError
        A cell failed: the message names it and its error; the partial notebook is kept
        next to ``out`` (``NAME.partial.ipynb``, :attr:`ReportError.partial`).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    template = find_template(name)
    values = check_parameters(template, dict(parameters or {}))
    target = Path(out) if out is not None else Path(f"{template.name}.html")
    if target.suffix.lower() not in (".html", ".pdf"):
        raise ValidationError(f"--out {target}: a report is written as .html or .pdf")
    inputs = {path.resolve() for path in _input_files(values)}
    inputs.add(template.path.resolve())
    if target.resolve() in inputs:
        raise ValidationError(f"--out {target}: that is one of the report's inputs")
    with tempfile.TemporaryDirectory(prefix="portlab-report-") as work:
        executed = Path(keep_notebook) if keep_notebook else Path(work) / f"{template.name}.ipynb"
        try:
            papermill.execute_notebook(
                str(template.path),
                str(executed),
                parameters=values,
                progress_bar=progress,
                execution_timeout=timeout,
                cwd=str(Path.cwd()),
                kernel_name="python3",
                log_output=False,
                # the kernel's own log (a TCP notice; the interrupt jupyter_client sends before
                # every shutdown) is not the report's: cell errors come back in the notebook
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except PapermillExecutionError as exc:
            partial = target.with_name(f"{target.stem}.partial.ipynb")
            partial.write_bytes(executed.read_bytes())
            raise ReportError(
                f"report {template.name}: cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}",
                partial,
            ) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        page = to_html(executed, title=str(values.get("title", template.name)))
        if target.suffix.lower() == ".pdf":  # the page printed by Chromium, charts drawn
            html_file = Path(work) / f"{template.name}.html"
            html_file.write_text(page, encoding="utf-8")
            to_pdf(html_file, target)
        else:
            target.write_text(page, encoding="utf-8")
    return target
