"""What every ``portlab`` command shares: exit statuses, the one-line error, stdout and
warnings (private; see :mod:`portlab.cli`).
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from typing import Any

__all__ = ["ExitCode", "Fatal", "emit", "one_line", "show_warning"]


class ExitCode(enum.IntEnum):
    """The exit statuses of ``portlab`` (see the :mod:`portlab.cli` docstring)."""

    OK = 0
    INVALID_LINES = 1
    UNUSABLE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class Fatal(Exception):
    """An input or argument that stops the command (exit status 2); the message is one line."""


def one_line(text: object) -> str:
    """``text`` on one line: its lines joined by "; ", runs of white space made one space."""
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "; ".join(line for line in lines if line)


def emit(text: str = "") -> None:
    """Print a line on stdout; when the reader has gone (closed pipe), drop the rest quietly."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not fail
            os.close(devnull)


def show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """``warnings.showwarning`` of the command line: one line, no source excerpt."""
    from portlab.exceptions import PortlabWarning

    text = one_line(message)
    if not issubclass(category, PortlabWarning):
        text = f"{category.__name__}: {text}"
    print(f"portlab: warning: {text}", file=sys.stderr)
