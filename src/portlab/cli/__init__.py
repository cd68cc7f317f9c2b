"""The ``portlab`` command line.

Commands
--------
``portlab coordinate``
    Reads signal events (JSON Lines), a portfolio (JSON), optionally rebalance requests (JSON
    Lines), a policy (YAML) and a market (the bundled sample or a prices CSV), and writes the
    decision events and the rejections (JSON Lines). Input files may be gzipped (read
    transparently) and may start with a UTF-8 byte-order mark.
``portlab demo``
    Coordinates the bundled example batch against the bundled sample market and prints the
    decisions, the rejections and a summary whose counts add up.
``portlab policy --example | --check FILE``
    Prints the commented example policy file, or validates a policy file and prints the
    effective configuration (every default filled in) as YAML.
``portlab lab [FOLDER] [--copy-only] [--force] [--no-browser] [--port N]``
    Copies the tutorial notebooks into FOLDER (default ``./portlab-notebooks``; existing files
    are kept unless ``--force``; never writes into the installed package) and starts JupyterLab
    there.
``portlab report NAME [-p KEY VALUE ...] [--out FILE.html] | --batch FILE | --list``
    Runs a report template (papermill) into a self-contained HTML page (or PDF); ``--batch``
    runs a list of parameter sets concurrently and prints a status table (exit 1 when some
    failed).
``portlab serve``
    Serves the PM dashboard and the coordination console (Panel) on this machine.
``portlab sweep SPEC.yaml --out FILE.parquet [--scheduler tcp://HOST:8786] [--workers N] [--no-resume]``
    Runs every scenario of a sweep spec (coordinations, backtests or reports; see
    :mod:`portlab.sweep`) as a task on Dask distributed, a local cluster by default, and
    writes one row per scenario to a Parquet table as results come in; a second run skips
    the finished scenarios. Prints the results; a failed scenario is a row with its error
    (exit 1), never the end of the sweep.

Exit status
-----------
0
    Everything was coordinated (or printed).
1
    Some scenarios of a sweep (or reports of a batch) failed: each is a row with its error;
    the others finished. Or some input lines were invalid: each is reported on stderr as
    ``file:line: field: message`` (the first 20; all of them in the rejections file, one row per line with reason
    ``INVALID`` and source ``SIGNAL`` or ``REBALANCE``); the valid lines are still coordinated
    and written. A file none of whose lines is valid is unusable (exit 2).
2
    The arguments or the inputs cannot be used (a missing or unreadable file, a file with no
    valid event, an unusable output path, a bad option value): one line on stderr,
    ``portlab: error: <file or option>: <what>``. No output file was created or changed.
3
    Internal error, a bug in portlab: one line, ``portlab: internal error: <type>: <message>
    (please report this)``. No output file was created or changed.
130
    Interrupted (Ctrl-C): ``portlab: interrupted``; outputs keep their old content.

Guarantees (issue #8)
---------------------
- Output paths are checked before any input is read (:func:`portlab.io.check_outputs`): an
  output that is an input (also through a symlink or another spelling such as ``./a``), two
  outputs that are one file, an output that is a folder or an existing device or pipe, and an
  output whose folder cannot be created are refused (exit 2) and nothing is written.
- ``--as-of`` and the other options are validated before any work; every input file is checked
  (exists, is a file, readable) before the first one is read.
- Outputs are written atomically (:func:`portlab.io.atomic_write`), decisions and rejections
  together: both are complete in temporary files before either replaces its target, so a
  failed or interrupted run leaves the old files (or none), never part of one, and no
  temporary file. Writing through a symlink replaces the file it points to, not the link.
- A warning prints as one line, ``portlab: warning: <message>`` (installed inside
  :func:`main` only; the previous ``warnings.showwarning`` is restored afterwards).
- Output cut short by a closed pipe (``portlab demo --json | head -1``) stops quietly.
"""

# The implementation, by job: _app (parser, main), _common (exit codes, one-line errors,
# stdout, warnings), _inputs (reading inputs), _coordinate, _demo, _policy, _lab, _serve,
# _report, _sweep (the commands), _summary (the counts that add up).
from portlab.cli._app import main
from portlab.cli._common import ExitCode

__all__ = ["ExitCode", "main"]
