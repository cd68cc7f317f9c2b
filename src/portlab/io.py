"""Files by portlab's rules: how inputs are read and how outputs are written.

Reading
    Text is UTF-8; a byte-order mark is dropped; a file that starts with gzip's magic bytes
    (``.gz``, however named) is decompressed transparently. A file that is not UTF-8 is a
    :class:`~portlab.exceptions.DataError` naming the file, the line and the offending byte
    (:func:`read_text`); :func:`iter_lines` decodes line by line instead, so one bad line of a
    JSON Lines file is reported for that line and the others are kept.

Writing
    :func:`check_outputs` refuses, before anything is written, an output that is an input, two
    outputs that are the same file, and an output whose folder cannot be created;
    :func:`atomic_write` writes to a temporary file in the target's folder and renames it over
    the target only when the whole content was written, so an interrupted run leaves the old
    file or the new one, never part of one.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from portlab.exceptions import DataError, ValidationError

__all__ = [
    "PathLike",
    "atomic_write",
    "check_outputs",
    "iter_lines",
    "open_binary",
    "read_text",
]

PathLike = str | os.PathLike[str]
"""A file name: ``str`` or ``pathlib.Path``."""

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


@contextlib.contextmanager
def open_binary(path: PathLike) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading bytes, decompressing gzip transparently.

    Raises
    ------
    DataError
        ``path`` is missing, a folder, unreadable, or a corrupt gzip file (the message
        names the file).
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise DataError(f"{name}: no such file")
    if os.path.isdir(name):
        raise DataError(f"{name}: is a folder, not a file")
    try:
        raw = open(name, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    # peek, not re-open: a pipe (``<(zcat x)``) can be read once only
    fh: IO[bytes] = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == _GZIP_MAGIC else raw
    try:
        yield fh
    except (OSError, EOFError, zlib.error) as exc:  # bad header, truncation, corrupt deflate
        raise DataError(f"{name}: cannot be read ({exc})") from None
    finally:
        fh.close()
        raw.close()


def _decode(raw: bytes, name: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"line {line}, " if line is not None else ""
        raise DataError(
            f"{name}: {where}byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8; "
            "save the file as UTF-8"
        ) from None


def read_text(path: PathLike) -> str:
    """The whole text of ``path`` (UTF-8, BOM dropped, gzip decompressed).

    Returns
    -------
    str
        The text with universal newlines (``\\r\\n`` becomes ``\\n``).

    Raises
    ------
    DataError
        The file is missing, unreadable or not UTF-8; the message names the file and the
        first line holding a byte that is not UTF-8.
    """
    name = os.fspath(path)
    with open_binary(name) as fh:
        raw = fh.read()
    raw = raw.removeprefix(_BOM)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{name}: line {line}, byte 0x{raw[exc.start]:02x} at column {exc.start - start + 1} "
            "is not UTF-8; save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def iter_lines(path: PathLike) -> Iterator[tuple[int, str | DataError]]:
    """Non-blank lines of ``path`` with their 1-based numbers, decoded one by one.

    Yields
    ------
    line : int
        1-based line number.
    text : str or DataError
        The line without its end-of-line characters, or the error of a line that is not
        UTF-8 (so that the caller can report it and go on with the next line).

    Raises
    ------
    DataError
        The file is missing, unreadable or a corrupt gzip file.
    """
    name = os.fspath(path)
    with open_binary(name) as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(_BOM)
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                yield number, _decode(raw, name, number)
            except DataError as exc:
                yield number, exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def check_outputs(outputs: Mapping[str, PathLike], inputs: Iterable[PathLike] = ()) -> None:
    """Check output paths before anything is written.

    Parameters
    ----------
    outputs : mapping of str to path
        What each output is (``"--out"``) → where it goes.
    inputs : iterable of path
        Files the run reads; no output may be one of them.

    Raises
    ------
    ValidationError
        An output is an input, two outputs are the same file, an output is a folder, or its
        folder cannot be created (a file stands where a folder is needed, or no permission).
        Nothing has been written then.
    """
    ins = [Path(p) for p in inputs]
    seen: dict[str, Path] = {}
    for label, raw in outputs.items():
        out = Path(raw)
        for src in ins:
            if _same_file(out, src):
                raise ValidationError(
                    f"{label} {out} is an input file; choose another path (outputs never "
                    "replace inputs)"
                )
        for other_label, other in seen.items():
            if _same_file(out, other):
                raise ValidationError(f"{label} and {other_label} are the same file: {out}")
        if out.is_dir():
            raise ValidationError(f"{label} {out} is a folder; give a file name")
        parent = out.parent
        for ancestor in [parent, *parent.parents]:
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise ValidationError(
                        f"{label} {out}: {ancestor} is a file, so the folder cannot be created"
                    )
                if not os.access(ancestor, os.W_OK | os.X_OK):
                    raise ValidationError(f"{label} {out}: no permission to write in {ancestor}")
                break
        seen[label] = out


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w") -> Iterator[IO]:
    """Write ``path`` all at once: a temporary file in its folder, renamed over it at the end.

    The folder is created when missing; a symlink is followed (the file it points to is
    replaced, the link kept). If the block raises, the temporary file is removed
    and ``path`` keeps its old content (or stays absent).

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace.
    mode : {"w", "wb"}
        Text (UTF-8, ``\\n`` line ends) or binary.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as fh:
    ...     _ = fh.write("done\\n")
    >>> target.read_text()
    'done\\n'
    """
    if mode not in ("w", "wb"):
        raise ValidationError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    target = Path(os.path.realpath(path))  # through a symlink: replace its target, keep the link
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would outlive the rename
        if mode == "w":
            fh: IO = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        else:
            fh = os.fdopen(fd, "wb")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
