"""A throw-away PostgreSQL server for tests and benchmarks: :func:`temporary_postgres`.

It runs the server binaries of the machine (Debian's ``postgresql`` package puts them in
``/usr/lib/postgresql/<version>/bin``): ``initdb`` in a new temporary folder, ``pg_ctl start``
with its Unix socket in that folder and no TCP listener, one database created, and on exit
``pg_ctl stop`` and the folder removed. PostgreSQL refuses to run as root: when this process
is root, the server runs as the ``postgres`` system user (through ``runuser``).

Nothing is downloaded and no server of the machine is touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from portlab.exceptions import JournalError

__all__ = ["PostgresServer", "find_postgres", "temporary_postgres"]


@dataclass(frozen=True)
class PostgresServer:
    """A running temporary server.

    Attributes
    ----------
    url : str
        ``postgresql://`` URL of its database (user ``postgres``, no password, over the Unix
        socket): what :class:`~portlab.journal.Journal` takes.
    socket_dir : Path
        The folder of its Unix socket (and of its data, ``data/``, and log, ``server.log``).
    port : int
    """

    url: str
    socket_dir: Path
    port: int

    def database_url(self, name: str) -> str:
        """The URL of the database ``name`` on this server."""
        return f"postgresql://postgres@/{name}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        """Create the database ``name`` (empty) and return its URL."""
        import psycopg

        with psycopg.connect(self.database_url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)


def find_postgres() -> Path | None:
    """The folder of the PostgreSQL server binaries (``initdb``, ``pg_ctl``), or None.

    The environment variable ``PORTLAB_PG_BIN`` when it is set (and only it: None when that
    folder lacks them); otherwise Debian's ``/usr/lib/postgresql/<version>/bin`` (the newest
    version), then ``initdb`` on the ``PATH``.
    """
    given = os.environ.get("PORTLAB_PG_BIN")
    if given:
        folder = Path(given)
        return folder if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file() else None
    candidates = []
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda p: _version(Path(p).parent.parent.name), reverse=True)
    candidates += [Path(p).parent for p in found]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


@contextlib.contextmanager
def temporary_postgres(
    *,
    bin_dir: str | os.PathLike[str] | None = None,
    database: str = "portlab",
    settings: Mapping[str, str] | None = None,
) -> Iterator[PostgresServer]:
    """Start a PostgreSQL server in a temporary folder; stop it and remove the folder on exit.

    Parameters
    ----------
    bin_dir : path, optional
        The server binaries' folder; default :func:`find_postgres`.
    database : str, default "portlab"
        The database created (``server.url`` points to it).
    settings : mapping, optional
        Server settings (``{"fsync": "off"}``), as ``postgres -c name=value``. Default: the
        server's own (durable commits).

    Yields
    ------
    PostgresServer

    Raises
    ------
    JournalError
        No server binaries, or the server did not start (the message ends with its log).

    Examples
    --------
    >>> from portlab.journal import Journal
    >>> with temporary_postgres() as server, Journal(server.url) as journal:
    ...     journal.kind, journal.schema_version >= 1
    ('postgresql', True)
    """
    folder = Path(bin_dir) if bin_dir is not None else find_postgres()
    if folder is None:
        raise JournalError(
            "no PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL "
            "(Debian: apt-get install postgresql) or set PORTLAB_PG_BIN to their folder"
        )
    root = Path(
        tempfile.mkdtemp(prefix="portlab-pg-", dir="/tmp" if Path("/tmp").is_dir() else None)
    )
    as_user = _server_user(root)
    data, log = root / "data", root / "server.log"
    port = _free_port()
    started = False
    try:
        _run(
            [*as_user, str(folder / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--no-locale", "--no-sync"],
            root, log,
        )  # fmt: skip
        options = ["-p", str(port), "-k", str(root), "-c", "listen_addresses="]
        for key, value in (settings or {}).items():
            options += ["-c", f"{key}={value}"]
        _run(
            [*as_user, str(folder / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", shlex.join(options), "start"],
            root, log,
        )  # fmt: skip
        started = True
        server = PostgresServer(url="", socket_dir=root, port=port)
        url = server.create_database(database)
        yield PostgresServer(url=url, socket_dir=root, port=port)
    finally:
        if started:
            subprocess.run(
                [*as_user, str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                cwd=root,
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _server_user(root: Path) -> list[str]:
    """The command prefix that runs the server's binaries as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise JournalError(
            "PostgreSQL does not run as root and there is no 'postgres' user to run it as"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise JournalError("running as root: 'runuser' is needed to start PostgreSQL as postgres")
    os.chown(root, user.pw_uid, user.pw_gid)
    return [runuser, "-u", "postgres", "--"]


def _run(command: list[str], cwd: Path, log: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise JournalError(
            f"{shlex.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            f"{server_log}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())
