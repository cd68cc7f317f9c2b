"""The common behaviour of portlab's view-models: inputs, recomputation, errors, busy flag.

A view-model is a :class:`param.Parameterized` holding what a person manipulates (its
*settings*: policy limits, sizing inputs, an objective ...) and the result derived from them
by calling :class:`portlab.Coordinator` or :mod:`portlab.analytics`. It imports no user
interface library: notebook widgets and Panel apps sit on top of it and only read and set
parameters (the HoloViz "attractors" pattern).

Life cycle
    The constructor fills the inputs (bundled sample for those not given, see
    :func:`~portlab.ui.inputs.sample_inputs`), reads the settings' starting values from the
    ``coordinator`` (default ``portlab.Coordinator()``), applies the settings given as
    keyword arguments, and computes the first result.

Recomputation
    Setting any setting or input recomputes the result at once (a param watcher). Several
    changes made through one ``model.param.update(a=..., b=...)`` (or :meth:`ViewModel.set`,
    or inside ``with model.batched():``) recompute **once**. Front ends set a parameter when a
    slider is released, never while it moves.

Errors
    A value outside a parameter's bounds or choices (``max_position_size = 5``) is refused
    by the parameter itself (``ValueError``) and changes nothing. A change that cannot be
    computed (an infeasible policy, a solver failure, any
    :class:`~portlab.exceptions.PortlabError`) sets :attr:`ViewModel.error` to a readable
    one-line message and leaves :attr:`ViewModel.result` at the last good result; the next
    good change clears ``error``. An unexpected exception is reported the same way (prefixed with its type
    and "please report it") and kept in :attr:`ViewModel.last_exception`.

Threads
    A computation runs with BLAS held to one thread: on a shared two-core machine the
    latency of a change is then steadier (a 500 x 500 covariance's eigenvalues, which every
    optimization checks: median 10 ms and worst 23 ms with one thread, 17 ms and 450 ms with
    two, in ``benchmarks/bench_ui.py``'s setting).

Outputs (read-only parameters, hidden from generated widgets by a negative precedence)
    ``result`` (the last good result, a frozen dataclass per model), ``error`` (None or a
    message), ``busy`` (True while computing) and ``warnings`` (the messages of the
    warnings the last good computation issued, e.g. an ``InputRepairWarning``; they are
    collected here rather than printed).
"""

from __future__ import annotations

import contextlib
import warnings as _warnings
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import param
from threadpoolctl import threadpool_limits

from portlab.engine import Coordinator
from portlab.exceptions import PortlabError
from portlab.market import Market
from portlab.state import PortfolioState
from portlab.types import RequestsLike, SignalsLike
from portlab.ui.cache import CachedOutcome, OutcomeCache
from portlab.ui.codegen import inputs_code
from portlab.ui.inputs import INPUT_NAMES, sample_inputs

__all__ = ["OUTPUT_NAMES", "ViewModel", "one_line"]

#: the read-only result parameters every view-model has
OUTPUT_NAMES = ("result", "error", "busy", "warnings")

_HIDDEN = -1  # precedence of parameters that generated widgets leave out (data, outputs)


def one_line(exc: BaseException) -> str:
    """An exception as one readable line: its message, lines joined by ``"; "``.

    PortlabErrors are already written for people; any other exception is prefixed with its
    type and asks to be reported.

    Examples
    --------
    >>> from portlab.exceptions import ConfigError
    >>> one_line(ConfigError("policy.max_position_size: too large\\npolicy.max_leverage: too small"))
    'policy.max_position_size: too large; policy.max_leverage: too small'
    >>> one_line(KeyError("x"))
    "unexpected error (KeyError: 'x'); please report it"
    """
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, PortlabError):
        return text or type(exc).__name__
    return f"unexpected error ({type(exc).__name__}: {text}); please report it"


class ViewModel(param.Parameterized):
    """Base class of the view-models: inputs, outputs and the recompute cycle.

    Subclasses declare their settings as parameters and implement :meth:`_compute` (the
    result from the current settings, by engine or analytics calls only) and :meth:`_code`
    (the script of :meth:`to_code`).
    They may override :meth:`_load_settings` to take settings' starting values from the
    coordinator.

    Parameters
    ----------
    market : Market, optional
        Default: the bundled sample.
    state : PortfolioState or mapping, optional
        Default: the example portfolio.
    signals : list of TradingSignalEvent (or dicts), or DataFrame, optional
        Default: the example's 14 signals.
    rebalance_requests : list of RebalanceRequestEvent (or dicts), optional
        Default: the example's request when the signals are the example's.
    coordinator : Coordinator, optional
        Gives the policy, sizing, resolution, risk loop and strategies that the model's
        settings start from. Default ``portlab.Coordinator()``. Never modified.
    cache : OutcomeCache, optional
        Shared with other view-models on the same input objects (a server's sessions): a
        result already computed for the same class, inputs and settings is taken from it
        (see :mod:`portlab.ui.cache`). Default: none, every change computes.
    **settings
        Starting values of the model's settings (its parameters).
    """

    market = param.ClassSelector(
        class_=Market, precedence=_HIDDEN, doc="Prices, sectors and the risk model."
    )
    state = param.ClassSelector(
        class_=PortfolioState, precedence=_HIDDEN, doc="The current portfolio."
    )
    signals = param.Parameter(
        precedence=_HIDDEN, doc="Trading signals: a list of events (or dicts) or a DataFrame."
    )
    rebalance_requests = param.Parameter(
        precedence=_HIDDEN, doc="Rebalance requests (list of events or dicts), or None."
    )
    coordinator = param.ClassSelector(
        class_=Coordinator,
        precedence=_HIDDEN,
        doc="Where the settings start from (policy, sizing, resolution, risk loop, strategies).",
    )

    result = param.Parameter(
        default=None, constant=True, precedence=_HIDDEN, doc="The last good result."
    )
    error = param.String(
        default=None,
        allow_None=True,
        constant=True,
        precedence=_HIDDEN,
        doc="Why the last change could not be computed (one line), or None.",
    )
    busy = param.Boolean(
        default=False, constant=True, precedence=_HIDDEN, doc="True while computing."
    )
    warnings = param.Parameter(
        default=(),
        constant=True,
        precedence=_HIDDEN,
        doc="Messages of the warnings of the last good computation (a tuple of str).",
    )

    #: the inputs this model's computation uses (for ``to_code``)
    USES: ClassVar[tuple[str, ...]] = INPUT_NAMES
    #: the parameters a person sets (the controls of a front end), in display order
    SETTINGS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        market: Market | None = None,
        state: PortfolioState | Mapping[str, Any] | None = None,
        signals: SignalsLike = None,
        rebalance_requests: RequestsLike = None,
        coordinator: Coordinator | None = None,
        cache: OutcomeCache | None = None,
        **settings: Any,
    ) -> None:
        inputs = sample_inputs(market, state, signals, rebalance_requests)
        super().__init__(
            market=inputs.market,
            state=inputs.state,
            signals=inputs.signals,
            rebalance_requests=inputs.rebalance_requests,
            coordinator=Coordinator() if coordinator is None else coordinator,
        )
        self._sample = {n: getattr(inputs, n) for n in inputs.from_sample}
        self._outcomes = cache
        #: the exception behind the current :attr:`error` (None when there is none)
        self.last_exception: BaseException | None = None
        self._syncing = False
        self._last_code: str | None = None
        self._load_settings()
        self.param.update(**self._prepare(dict(settings)))
        watched = [n for n in self.param if n not in OUTPUT_NAMES and n != "name"]
        self.param.watch(self._changed, watched)
        self.update()

    @property
    def cache(self) -> OutcomeCache | None:
        """The :class:`~portlab.ui.OutcomeCache` this model shares results through, if any."""
        return self._outcomes

    # -- the recompute cycle ----------------------------------------------------------------

    def _changed(self, *events: param.parameterized.Event) -> None:
        if self._syncing:  # a setting changed by _sync itself: the outer call recomputes
            return
        self._syncing = True
        try:
            self._sync({e.name for e in events})
        except Exception as err:  # e.g. a selected signal whose fields cannot be shown
            self._fail(err)
            return
        finally:
            self._syncing = False
        self.update()

    def _fail(self, err: Exception) -> None:
        self.last_exception = err
        with param.edit_constant(self):
            self.param.update(error=one_line(err), busy=False)

    def update(self) -> None:
        """Recompute the result from the current settings and inputs.

        Called automatically whenever a parameter changes; call it yourself only after
        changing an input object in place (portlab's inputs are immutable, so this should not
        be needed). On failure :attr:`error` says why and :attr:`result` is kept.
        """
        with param.edit_constant(self):
            self.busy = True
        try:
            with threadpool_limits(1, user_api="blas"):
                done = self._computed()
        except Exception as err:  # every failure becomes a message, never a traceback
            self._fail(err)
            return
        self.last_exception = None
        self._last_code = done.code
        with param.edit_constant(self):
            self.param.update(result=done.result, error=None, warnings=done.warnings, busy=False)

    def _computed(self) -> CachedOutcome:
        """The result of the current settings: from the cache, or computed (and cached)."""
        if self._outcomes is not None:
            inputs = self._input_objects()
            key = (type(self).__qualname__, *map(id, inputs), *self._settings_key())
            hit = self._outcomes.get(key, inputs)
            if hit is not None:
                return hit
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            outcome = self._compute()
            code = self._code()  # from the same settings as the result
        issued = tuple(dict.fromkeys(str(w.message) for w in caught))
        done = CachedOutcome(outcome, code, issued)
        if self._outcomes is not None:
            self._outcomes.put(key, inputs, done)
        return done

    def _input_objects(self) -> tuple[Any, ...]:
        """Every parameter that is neither a setting nor an output (the inputs, the
        coordinator, a subclass's optional inputs) that holds something: an empty one (None,
        an empty list) is left out, whichever object it is."""
        names = [
            n
            for n in self.param
            if n not in OUTPUT_NAMES and n != "name" and n not in self.SETTINGS
        ]
        values = (getattr(self, n) for n in names)
        return tuple(
            v for v in values if not (v is None or (isinstance(v, list | tuple) and not v))
        )

    def _settings_key(self) -> tuple[Any, ...]:
        """The settings' values, hashable (a value that is not is given by its repr)."""
        out = []
        for name in self.SETTINGS:
            value = getattr(self, name)
            try:
                hash(value)
            except TypeError:
                value = repr(value)
            out.append((name, value))
        return tuple(out)

    def set(self, **changes: Any) -> None:
        """Change several settings at once: one recomputation (``model.param.update``)."""
        self.param.update(**changes)

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Within the block, parameter changes are collected; one recomputation follows it."""
        with param.parameterized.batch_call_watchers(self):
            yield

    # -- what subclasses provide --------------------------------------------------------------

    def _load_settings(self) -> None:
        """Set the settings' values from :attr:`coordinator`."""

    def _prepare(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Called once by the constructor with the settings given to it, after
        :meth:`_load_settings`; returns the settings still to apply."""
        return settings

    def _sync(self, changed: set[str]) -> None:
        """Bring settings that depend on the ``changed`` parameters in line (their change
        events reach front ends but cause no extra recomputation). By default a new
        ``coordinator`` reloads the settings."""
        if "coordinator" in changed:
            self._load_settings()

    def _compute(self) -> Any:
        """The result for the current settings; raises on failure."""
        raise NotImplementedError

    def _code(self) -> str:
        """The script of :meth:`to_code` for the current settings."""
        raise NotImplementedError

    def to_code(self) -> str:
        """Python code (a script) that reproduces the current result with portlab calls.

        Written from the settings of the last good result (so while :attr:`error` is set, it
        reproduces the result still shown). Inputs taken from the bundled sample are loaded;
        inputs given to the model are expected as variables of the same name (``market``,
        ``state``, ``signals``, ``rebalance_requests``). Run it with ``exec`` or paste it in a
        cell: the variable ``result`` holds the engine's or the analytics' result.
        """
        return self._last_code if self._last_code is not None else self._code()

    # -- helpers ------------------------------------------------------------------------------

    def from_sample(self, name: str) -> bool:
        """Whether input ``name`` is (still) the bundled sample's object."""
        return name in self._sample and getattr(self, name) is self._sample[name]

    def _inputs_code(self, uses: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Imports and definitions of the inputs ``uses`` (see :func:`~portlab.ui.codegen.inputs_code`)."""
        return inputs_code(
            uses,
            [n for n in uses if self.from_sample(n)],
            type(self).__name__,
            empty=[n for n in uses if getattr(self, n) is None],
        )
