"""The ``portlab`` argument parser and :func:`main` (private; see :mod:`portlab.cli`)."""

from __future__ import annotations

import argparse
import enum
import sys
import warnings
from pathlib import Path
from typing import Any

from portlab.cli import _coordinate, _demo, _lab, _policy, _report, _serve, _sweep
from portlab.cli._common import ExitCode, Fatal, one_line, show_warning

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2 through :func:`main`)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise Fatal(f"{message} (see '{self.prog} --help')")


def _choice(enum_type: type[enum.Enum]) -> Any:
    """An argparse ``type`` taking an enum value in any letter case."""

    def parse(text: str) -> str:
        value = text.strip().upper().replace("-", "_")
        if value not in {m.value for m in enum_type}:
            names = ", ".join(m.value for m in enum_type)
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {names}")
        return value

    parse.__name__ = enum_type.__name__
    return parse


def _file(text: str) -> Path:
    """An argparse ``type`` for a file name: a ``Path``, never an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name")
    return Path(text)


_EXIT_HELP = (
    "exit status: 0 all coordinated; 1 some input lines invalid (the valid ones are still "
    "coordinated and written); 2 arguments or inputs unusable (one line on stderr, nothing "
    "written); 3 internal error (please report it); 130 interrupted"
)


def _parser() -> argparse.ArgumentParser:
    from portlab import __version__
    from portlab.engine.config import AllocationMode, Resolution

    resolution = {
        "type": _choice(Resolution),
        "help": "conflict resolution: one of "
        f"{', '.join(r.value for r in Resolution)} (default HIGHEST_PRIORITY)",
    }
    allocation = {
        "type": _choice(AllocationMode),
        "help": "capital allocation, OPTIMAL or "
        "GREEDY (default: the policy's sizing, else OPTIMAL)",
    }
    coordinate = {
        "--signals": {"required": True, "type": _file, "help": "JSON Lines of "
                      "TradingSignalEvent (gzip allowed)"},
        "--portfolio": {"required": True, "type": _file, "help": "portfolio JSON: {'positions': "
                        "{id: {'quantity', 'avg_price'}}, 'cash'}"},
        "--rebalance": {"type": _file, "help": "JSON Lines of RebalanceRequestEvent"},
        "--policy": {"type": _file, "help": "YAML with policy (and optional sizing, risk_loop, "
                     "execution) sections; 'portlab policy --example' prints a commented one"},
        "--strategy-map": {"type": _file, "help": "YAML per-instrument strategy map (the plan's "
                           "portfolio strategy configuration): a signal from a strategy not "
                           "mapped to its instrument is rejected; see "
                           "portlab.datasets.example_paths()['strategies']"},
        "--adaptive": {"type": _file, "help": "YAML adaptation settings (learning_rate, "
                       "adaptation_period, ...): with --journal, each strategy's calibration, "
                       "Kelly multiplier and priority learn from the journal's outcomes"},
        "--market": {"default": "sample", "metavar": "sample|FILE", "help": "'sample' (the "
                     "bundled data, default) or a prices CSV with a Date column"},
        "--sectors": {"type": _file, "help": "CSV of instrument sectors (columns ticker, "
                      "sector); only with a prices CSV"},
        "--resolution": resolution,
        "--allocation": allocation,
        "--as-of": {"metavar": "TIME", "help": "ISO 8601 time stamped on the decisions, e.g. "
                    "2022-12-28T15:00:00Z (default: the latest input timestamp)"},
        "--out": {"required": True, "type": _file, "help": "where to write the decision events "
                  "(JSON Lines); never one of the inputs"},
        "--rejections": {"type": _file, "help": "where to write the rejections (JSON Lines; "
                         "default: OUT with .rejections.jsonl)"},
        "--journal": {"metavar": "URL", "help": "also record the run in a decision journal: "
                      "a SQLite file (created if missing) or postgresql://user@host/db"},
        "--quiet": {"action": "store_true", "help": "print nothing on stdout on success "
                    "(errors and warnings still go to stderr)"},
    }  # fmt: skip
    p = _Parser(
        prog="portlab",
        description="portlab: coordinate trading signals and rebalance requests into "
        "sized, policy-compliant decisions.",
        epilog=_EXIT_HELP,
    )
    p.add_argument("--version", action="version", version=f"portlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    c = sub.add_parser(
        "coordinate",
        help="coordinate a batch of signal events into decision events",
        description="Coordinate signal events (and rebalance requests) into decision events. "
        "Outputs are checked before anything is read and written atomically.",
        epilog=_EXIT_HELP,
    )
    for flag, kwargs in coordinate.items():
        c.add_argument(
            flag, **({"metavar": "FILE"} if kwargs.get("type") is _file else {}), **kwargs
        )
    d = sub.add_parser("demo", help="coordinate the bundled example on the bundled market")
    d.add_argument("--resolution", **resolution)
    d.add_argument("--allocation", **allocation)
    d.add_argument("--json", action="store_true", help="print the decision events as JSON Lines")
    pol = sub.add_parser("policy", help="print the example policy, or check a policy file")
    what = pol.add_mutually_exclusive_group(required=True)
    what.add_argument("--example", action="store_true", help="print the commented example")
    what.add_argument("--check", type=_file, metavar="FILE", help="validate FILE and print the "
                      "effective configuration (defaults filled in) as YAML")  # fmt: skip
    lab = sub.add_parser("lab", help="open JupyterLab on a copy of the tutorial notebooks")
    _lab.configure(lab)
    srv = sub.add_parser(
        "serve",
        help="serve the PM dashboard and the coordination console (Panel)",
        description="Serve the PM dashboard and the coordination console on the bundled sample "
        "or your files; prints their URLs. Bound to this machine unless --address says "
        "otherwise.",
    )
    _serve.configure(srv)
    rep = sub.add_parser(
        "report",
        help="run a report template into a self-contained HTML page (papermill)",
        description="Execute a parameterized report notebook (templates/) with papermill and "
        "render it to one HTML file that works offline. Parameters are checked before any "
        "cell runs.",
    )
    _report.configure(rep)
    swp = sub.add_parser(
        "sweep",
        help="run a what-if sweep (coordinations, backtests, reports) on Dask into Parquet",
        description="Run every scenario of a sweep spec as a task on Dask distributed (a local "
        "cluster, or --scheduler) and write one row per scenario to a Parquet table, as the "
        "results come in; a second run resumes, skipping the finished scenarios.",
        epilog="exit status: 0 every scenario ok; 1 some scenarios failed (each is a row with "
        "its error; the others finished); 2 the spec, an input or an option is unusable (one "
        "line on stderr)",
    )
    _sweep.configure(swp)
    return p


_COMMANDS = {
    "coordinate": _coordinate.run,
    "demo": _demo.run,
    "lab": _lab.run,
    "policy": _policy.run,
    "report": _report.run,
    "serve": _serve.run,
    "sweep": _sweep.run,
}


def _run(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.OK
    return _COMMANDS[args.command](args)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (:class:`ExitCode`; see the :mod:`portlab.cli` docstring). ``--help`` and
        ``--version`` raise ``SystemExit(0)`` as argparse does.
    """
    from portlab.exceptions import PortlabError, PortlabWarning

    with warnings.catch_warnings():  # restores showwarning and the filters on the way out
        warnings.showwarning = show_warning
        warnings.filterwarnings("default", category=PortlabWarning)
        try:
            return int(_run(argv))
        except (Fatal, PortlabError) as exc:
            print(f"portlab: error: {one_line(exc)}", file=sys.stderr)
        except KeyboardInterrupt:
            print("portlab: interrupted", file=sys.stderr)
            return ExitCode.INTERRUPTED
        except OSError as exc:  # the environment (a file that vanished, a full disk)
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"portlab: error: {where}{one_line(exc.strerror or exc)}", file=sys.stderr)
        except Exception as exc:  # last resort: a bug; still one line, no traceback
            print(
                f"portlab: internal error: {type(exc).__name__}: {one_line(exc)} "
                "(please report this)",
                file=sys.stderr,
            )
            return ExitCode.INTERNAL
        return ExitCode.UNUSABLE
