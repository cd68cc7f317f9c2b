"""Re-run the tutorial notebooks and store the reference outputs nbval compares against.

Only the cells marked ``# NBVAL_CHECK_OUTPUT`` keep an output (their printed text, with an
execution count, which nbval requires of a cell with reference outputs); every other cell is
saved without outputs, and the widget state nbclient records in the notebook's metadata is
dropped, so widget views (whose model ids vary) and charts never enter the file.
Run it after changing a notebook or the engine's numbers, and review the diff::

    python notebooks/refresh_outputs.py                 # every notebook in this folder
    python notebooks/refresh_outputs.py notebooks/02_policy_tuning.ipynb
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

CHECK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path, timeout_s: int = 120) -> float:
    """Execute one notebook in a fresh ``python3`` kernel and keep the checked outputs.

    Parameters
    ----------
    path : Path
        The ``.ipynb`` file, rewritten in place.
    timeout_s : int, default 120
        Timeout of each cell, in seconds.

    Returns
    -------
    float
        Wall time of the run, in seconds.
    """
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        book,
        timeout=timeout_s,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    book.metadata.pop("widgets", None)  # the widget state nbclient saves: ids vary per run
    count = 0
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.metadata = {}
        if cell.source.startswith(CHECK):
            cell.outputs = [
                out for out in cell.outputs if out.output_type == "stream" and out.name == "stdout"
            ]
            cell.execution_count = count
        else:
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(book, path)
    return elapsed


def main(argv: list[str]) -> None:
    """Refresh the notebooks named in ``argv`` (default: all in this folder)."""
    paths = [Path(a) for a in argv] or sorted(Path(__file__).parent.glob("*.ipynb"))
    for path in paths:
        print(f"{path}: {refresh(path):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
