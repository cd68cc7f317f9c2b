"""Fixtures shared by test modules: the browser (browser tests) and a PostgreSQL server and
journal databases (journal tests)."""

from __future__ import annotations

import os
import uuid

import pytest

#: set (CI does) to make a PostgreSQL test fail instead of skipping when no server can be run
REQUIRE_POSTGRES = "PORTLAB_REQUIRE_POSTGRES"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (one per test module; no browser download)."""
    from playwright.sync_api import sync_playwright

    from _jupyterlab import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of the test session's own (``portlab.journal.temporary_postgres``:
    initdb in a temporary folder, its socket there, stopped and removed at the end).

    Skipped when the machine has no server binaries, unless ``PORTLAB_REQUIRE_POSTGRES`` is
    set: then that is a failure. A server that does not start is always an error.
    """
    from portlab.journal import find_postgres, temporary_postgres

    if find_postgres() is None:
        where = os.environ.get("PORTLAB_PG_BIN")
        message = (
            f"no PostgreSQL server binaries (initdb, pg_ctl) in PORTLAB_PG_BIN={where}"
            if where
            else "no PostgreSQL server binaries (initdb, pg_ctl) on this machine: install "
            "PostgreSQL (Debian: apt-get install postgresql) or set PORTLAB_PG_BIN"
        )
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(f"{REQUIRE_POSTGRES} is set and {message}")
        pytest.skip(message)
    # fsync off: the tests kill clients, never the server, and commit faster
    with temporary_postgres(settings={"fsync": "off"}) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request, tmp_path):
    """A new, empty journal database: an SQLite file, or a database of its own on the
    session's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.db")
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{uuid.uuid4().hex[:12]}")
