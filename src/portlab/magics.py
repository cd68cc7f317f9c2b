"""The IPython extension: ``%load_ext portlab`` and the ``%portlab`` line magic.

``%portlab WIDGET [name=value ...]`` opens a workbench widget and returns it, so it displays
below the cell. The widget works on the notebook's own variables when they exist: the names
in :data:`NOTEBOOK_NAMES` (``market``, ``state``, ``signals``, ``coordinator``) are looked up
in the user namespace, each one present (and not None) is passed to the widget, the others
come from the bundled sample. ``name=value`` pairs set the widget's settings (Python literals,
e.g. ``%portlab policy max_position_size=0.04``).

==================  =============================================================
``%portlab policy``        :class:`portlab.widgets.PolicyTuner`
``%portlab sizing``        :class:`portlab.widgets.SizingWhatIf`
``%portlab conflicts``     :class:`portlab.widgets.ConflictExplorer`
``%portlab attribution``   :class:`portlab.widgets.AttributionExplorer`
``%portlab optimizer``     :class:`portlab.widgets.OptimizerExplorer`
``%portlab editor``        :class:`portlab.widgets.AllocationEditor`
``%portlab demo [ARGS]``   prints what ``portlab demo [ARGS]`` prints
``%portlab help``          this list
==================  =============================================================

A bad command, setting or notebook variable is reported as one line (IPython's
``UsageError``), never a traceback.

Examples
--------
>>> from IPython.core.interactiveshell import InteractiveShell
>>> shell = InteractiveShell.instance()
>>> import portlab
>>> portlab.load_ipython_extension(shell)         # what ``%load_ext portlab`` calls
>>> shell.run_line_magic("portlab", "policy").result.counts["decisions"]
11
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import shlex
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from portlab.exceptions import PortlabError

__all__ = [
    "NOTEBOOK_NAMES",
    "Command",
    "PortlabMagics",
    "help_text",
    "load_ipython_extension",
    "notebook_inputs",
    "open_widget",
    "parse_settings",
]

#: the notebook variables a widget is opened on, when they exist
NOTEBOOK_NAMES = ("market", "state", "signals", "coordinator")


class Command(enum.Enum):
    """The sub-commands of ``%portlab``."""

    POLICY = "policy"
    SIZING = "sizing"
    CONFLICTS = "conflicts"
    ATTRIBUTION = "attribution"
    OPTIMIZER = "optimizer"
    EDITOR = "editor"
    DEMO = "demo"
    HELP = "help"


#: the widget class (in :mod:`portlab.widgets`) each widget command opens, and what it shows
WIDGETS: dict[Command, tuple[str, str]] = {
    Command.POLICY: ("PolicyTuner", "policy limits (hard/soft) -> decisions, rejections"),
    Command.SIZING: ("SizingWhatIf", "one signal's sizing waterfall, shares and dollars"),
    Command.CONFLICTS: ("ConflictExplorer", "resolution and allocation -> winners, losers"),
    Command.ATTRIBUTION: ("AttributionExplorer", "Brinson effects, waterfall, linking"),
    Command.OPTIMIZER: ("OptimizerExplorer", "objective and caps -> the efficient frontier"),
    Command.EDITOR: ("AllocationEditor", "drag target weights, see the engine's decisions"),
}


def help_text() -> str:
    """The lines ``%portlab help`` prints."""
    lines = ["usage: %portlab COMMAND [name=value ...]", ""]
    for command, (cls, what) in WIDGETS.items():
        lines.append(f"  %portlab {command.value:<12} {cls}: {what}")
    lines += [
        f"  %portlab {'demo':<12} print 'portlab demo' (arguments passed through)",
        f"  %portlab {'help':<12} this list",
        "",
        "Widgets use the notebook's variables " + ", ".join(NOTEBOOK_NAMES) + " when they",
        "exist, the bundled sample otherwise; name=value pairs set the widget's settings",
        "(Python literals), e.g. %portlab policy max_position_size=0.04",
    ]
    return "\n".join(lines)


def notebook_inputs(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs found in ``namespace``: each of :data:`NOTEBOOK_NAMES` present and not None.

    Examples
    --------
    >>> notebook_inputs({"market": "M", "state": None, "x": 1})
    {'market': 'M'}
    """
    return {name: namespace[name] for name in NOTEBOOK_NAMES if namespace.get(name) is not None}


def parse_settings(words: list[str]) -> dict[str, Any]:
    """``["name=value", ...]`` as a dict, each value a Python literal (else its text).

    Raises
    ------
    UsageError
        A word is not ``name=value`` with a valid Python name.

    Examples
    --------
    >>> parse_settings(["max_position_size=0.04", "hard=True", "mode=GREEDY"])
    {'max_position_size': 0.04, 'hard': True, 'mode': 'GREEDY'}
    """
    settings: dict[str, Any] = {}
    for word in words:
        name, sep, text = word.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"%portlab: {word!r} is not name=value (see '%portlab help')")
        try:
            settings[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            settings[name] = text
    return settings


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def open_widget(
    command: Command, namespace: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> Any:
    """The widget of ``command`` on the notebook's inputs (:func:`notebook_inputs`).

    Only the inputs the widget takes are passed (the allocation editor takes no signals).

    Raises
    ------
    UsageError
        The widget cannot be built on these inputs or settings (one line).
    """
    from portlab.engine import Coordinator
    from portlab.market import Market

    cls_name, _ = WIDGETS[command]
    found = notebook_inputs(namespace)
    for name, expected in (("market", Market), ("coordinator", Coordinator)):
        if name in found and not isinstance(found[name], expected):
            raise UsageError(
                f"%portlab {command.value}: the notebook's {name!r} is a "
                f"{type(found[name]).__name__}, not a portlab.{expected.__name__} "
                f"(rename it or set it to None to use the bundled sample)"
            )
    cls = getattr(importlib.import_module("portlab.widgets"), cls_name)
    accepted = inspect.signature(cls).parameters
    kwargs = {k: v for k, v in found.items() if k in accepted}
    try:
        return cls(**kwargs, **dict(settings or {}))
    except (PortlabError, ValueError, TypeError, KeyError, AttributeError) as exc:
        used = ", ".join(sorted(kwargs)) or "none, the bundled sample"
        raise UsageError(
            f"%portlab {command.value}: {_one_line(exc)} (notebook variables used: {used})"
        ) from None


def _demo(args: list[str]) -> None:
    """Print what ``portlab demo ARGS`` prints (run as ``python -m portlab.cli``)."""
    done = subprocess.run(
        [sys.executable, "-m", "portlab.cli", "demo", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout, end="")
    if done.returncode:
        raise UsageError(done.stderr.strip() or f"portlab demo exited with {done.returncode}")


@magics_class
class PortlabMagics(Magics):
    """The ``%portlab`` line magic (registered by :func:`load_ipython_extension`)."""

    @line_magic
    def portlab(self, line: str) -> Any:
        """Open a portlab workbench widget on the notebook's variables; '%portlab help' lists
        the commands."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%portlab: {exc}") from None
        if not words:
            print(help_text())
            return None
        try:
            command = Command(words[0].lower())
        except ValueError:
            names = ", ".join(c.value for c in Command)
            raise UsageError(f"%portlab: unknown command {words[0]!r}; one of {names}") from None
        if command is Command.HELP:
            print(help_text())
            return None
        if command is Command.DEMO:
            _demo(words[1:])
            return None
        return open_widget(command, self.shell.user_ns, parse_settings(words[1:]))


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%portlab`` in ``ipython`` (what ``%load_ext portlab`` calls)."""
    ipython.register_magics(PortlabMagics)
