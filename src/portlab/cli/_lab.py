"""``portlab lab``: copy the tutorial notebooks into a working folder, open JupyterLab there
(private; see :mod:`portlab.cli`).

The tutorials ship inside the package (``portlab/notebooks`` in a wheel, the repository's
top-level ``notebooks/`` in a source tree installed with ``pip install -e .``); they are
copied, never opened in place, so nothing is ever written into the installed package. A file
already in the working folder is kept (one line says so) unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from portlab.cli._common import ExitCode, Fatal, emit
from portlab.cli._summary import plural

__all__ = [
    "DEFAULT_FOLDER",
    "INSTALL_HINT",
    "CopyReport",
    "configure",
    "copy_notebooks",
    "find_notebooks",
    "jupyterlab_installed",
    "lab_command",
    "notebook_dirs",
    "run",
]

#: the working folder when none is named
DEFAULT_FOLDER = "portlab-notebooks"

#: the one line printed when JupyterLab is missing
INSTALL_HINT = (
    "JupyterLab is not installed; install it with 'python -m pip install jupyterlab' "
    "(or use --copy-only to copy the notebooks without starting it)"
)

#: folder names never copied (editor and kernel leftovers)
_SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__"})


def notebook_dirs() -> tuple[Path, ...]:
    """Folders searched for the tutorial notebooks, in order.

    ``portlab/notebooks`` inside the installed package (where the wheel puts the repository's
    ``notebooks/``), then the repository's top-level ``notebooks/`` (a source tree,
    ``pip install -e .``).
    """
    package = Path(__file__).resolve().parents[1]
    return (package / "notebooks", package.parents[1] / "notebooks")


def find_notebooks(dirs: Sequence[Path] | None = None) -> Path:
    """The first folder of ``dirs`` (default :func:`notebook_dirs`) holding a ``.ipynb`` file.

    Raises
    ------
    DataError
        No folder holds a notebook (a broken installation), naming the folders searched.
    """
    from portlab.exceptions import DataError

    searched = tuple(dirs) if dirs is not None else notebook_dirs()
    for folder in searched:
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            return folder
    where = ", ".join(str(d) for d in searched)
    raise DataError(f"portlab's tutorial notebooks not found in {where}; reinstall portlab")


@dataclass(frozen=True)
class CopyReport:
    """What :func:`copy_notebooks` did: paths relative to the working folder."""

    copied: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def _files(source: Path) -> list[Path]:
    """The files under ``source`` (relative paths, sorted), leftovers excluded."""
    return sorted(
        p.relative_to(source)
        for p in source.rglob("*")
        if p.is_file() and not _SKIPPED_DIRS.intersection(p.relative_to(source).parts)
    )


def copy_notebooks(source: Path, folder: Path, *, force: bool = False) -> CopyReport:
    """Copy every file under ``source`` into ``folder`` (created if needed).

    Parameters
    ----------
    source : Path
        The shipped tutorials (:func:`find_notebooks`); only read.
    folder : Path
        The working folder; must not be ``source`` nor inside it.
    force : bool, default False
        Overwrite files already in ``folder``; by default they are kept and reported as skipped.

    Returns
    -------
    CopyReport

    Raises
    ------
    Fatal
        ``folder`` is the shipped folder (or inside it), or an existing file.
    """
    src = source.resolve()
    dest = folder.expanduser().resolve()
    if dest == src or src in dest.parents:
        raise Fatal(f"{folder}: is portlab's own notebook folder; name a working folder outside it")
    if dest.exists() and not dest.is_dir():
        raise Fatal(f"{folder}: exists and is not a folder")
    report = CopyReport()
    for rel in _files(src):
        target = dest / rel
        if target.exists() and not force:
            report.skipped.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, target)
        report.copied.append(rel)
    return report


def jupyterlab_installed() -> bool:
    """Whether ``jupyterlab`` can be imported by this Python."""
    return importlib.util.find_spec("jupyterlab") is not None


def lab_command(
    folder: Path,
    *,
    port: int | None = None,
    no_browser: bool = False,
    python: str | None = None,
    as_root: bool | None = None,
) -> list[str]:
    """The command starting JupyterLab on ``folder``: ``python -m jupyterlab --notebook-dir``.

    ``as_root`` (default: whether this process runs as root, e.g. in a container) adds
    ``--allow-root``, without which JupyterLab refuses to start for root.

    Examples
    --------
    >>> lab_command(Path("nb"), port=8890, no_browser=True, python="python", as_root=False)
    ['python', '-m', 'jupyterlab', '--notebook-dir=nb', '--port=8890', '--no-browser']
    """
    cmd = [python or sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}"]
    if port is not None:
        cmd.append(f"--port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if as_root if as_root is not None else _is_root():
        cmd.append("--allow-root")
    return cmd


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _port(text: str) -> int:
    """An argparse ``type``: a TCP port, 1-65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``portlab lab`` to its sub-parser."""
    parser.description = (
        "Copy portlab's tutorial notebooks into FOLDER (never writing into the installed "
        "package; files already there are kept unless --force) and start JupyterLab there."
    )
    parser.add_argument(
        "folder",
        nargs="?",
        default=DEFAULT_FOLDER,
        metavar="FOLDER",
        help=f"the working folder (default ./{DEFAULT_FOLDER}; created if needed)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite notebooks already in FOLDER"
    )
    parser.add_argument(
        "--copy-only", action="store_true", help="copy the notebooks, do not start JupyterLab"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="start JupyterLab without opening a browser"
    )
    parser.add_argument("--port", type=_port, help="JupyterLab's port (default: its own, 8888)")


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not str(args.folder).strip():
        raise Fatal("FOLDER: an empty folder name")
    if not args.copy_only and not jupyterlab_installed():
        raise Fatal(INSTALL_HINT)  # before anything is written
    report = copy_notebooks(find_notebooks(), folder, force=args.force)
    for rel in report.skipped:
        emit(f"portlab: kept {folder / rel} (already there; --force to overwrite)")
    emit(f"portlab: copied {plural(len(report.copied), 'file')} into {folder}")
    if args.copy_only:
        return ExitCode.OK
    cmd = lab_command(folder, port=args.port, no_browser=args.no_browser)
    emit("portlab: starting JupyterLab: " + " ".join(cmd))
    return subprocess.call(cmd)
