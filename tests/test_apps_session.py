"""Tests of portlab.apps.session.FirstViews: a server's visitors see their first views before
anyone's hidden tabs are built.

The served session is stood in for by a fake Bokeh document whose timeout callbacks the test
runs itself, so the order of events is the test's, not the clock's.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from portlab.apps import session
from portlab.apps.session import FirstViews


class FakeDoc:
    """The one method of a Bokeh document FirstViews uses; callbacks run when the test says."""

    def __init__(self) -> None:
        self.pending: list[tuple[object, int]] = []

    def add_timeout_callback(self, callback, ms: int) -> None:
        self.pending.append((callback, ms))

    def tick(self) -> None:
        callback, _ = self.pending.pop(0)
        callback()


@pytest.fixture
def doc(monkeypatch):
    """A served session's document (session.served() true, pn.state.curdoc the fake)."""
    fake = FakeDoc()
    monkeypatch.setattr(session, "served", lambda: True)
    monkeypatch.setattr(session, "pn", SimpleNamespace(state=SimpleNamespace(curdoc=fake)))
    return fake


def test_others_waiting_counts_the_other_sessions_until_shown():
    views = FirstViews()
    for key in "abc":
        views.opened(key)
    assert [views.others_waiting(k) for k in "abcz"] == [2, 2, 2, 3]
    views.shown("b")
    views.shown("b")  # twice (the page up, then the session destroyed) is harmless
    assert views.others_waiting("a") == 1
    views.shown("c")
    assert views.others_waiting("a") == 0


def test_a_session_opened_longer_ago_than_the_patience_no_longer_counts():
    views = FirstViews(patience=0.05)
    views.opened("gone")  # its browser never connected
    time.sleep(0.1)
    views.opened("new")
    assert views.others_waiting("me") == 1  # only "new"


def test_not_served_runs_at_once():
    views = FirstViews()
    views.opened("other")
    ran = []
    views.after_first_views("me", lambda: ran.append(1))  # a notebook: no session to wait in
    assert ran == [1]


def test_runs_at_once_when_no_one_else_waits(doc):
    views = FirstViews()
    views.opened("me")
    ran = []
    views.after_first_views("me", lambda: ran.append(1))
    assert ran == [1] and doc.pending == []


def test_waits_until_the_others_first_views_are_up(doc):
    views = FirstViews(patience=60, poll_ms=20)
    for key in ("me", "b", "c"):
        views.opened(key)
    views.shown("me")
    ran = []
    views.after_first_views("me", lambda: ran.append(1))
    assert ran == [] and doc.pending[0][1] == 20
    doc.tick()  # still two waiting: looks again later
    views.shown("b")
    doc.tick()  # one waiting
    assert ran == [] and len(doc.pending) == 1
    views.shown("c")
    doc.tick()
    assert ran == [1] and doc.pending == []


def test_gives_up_waiting_after_the_patience(doc):
    views = FirstViews(patience=0.05)
    views.opened("slow")
    ran = []
    views.after_first_views("me", lambda: ran.append(1))
    views.opened("slow")  # reopened: would count forever without the deadline
    time.sleep(0.06)
    views.opened("slow")
    doc.tick()
    assert ran == [1] and doc.pending == []
