"""The tutorial notebooks are stored clean: nbval runs them fresh and compares only the
outputs of the cells marked ``# NBVAL_CHECK_OUTPUT`` (``pytest --nbval-lax notebooks/``).

These checks keep the stored files in that shape: no output or widget state that varies from
run to run (widget model ids, charts), a reference output for every checked cell, and every
tutorial the README promises present.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"
TUTORIALS = (
    "01_quick_start",
    "02_policy_tuning",
    "03_sizing_what_if",
    "04_conflict_resolution",
    "05_allocation_editor",
    "06_optimization",
    "07_attribution",
    "08_dashboards",
    "09_sweeps",
)


def _load(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


@pytest.mark.parametrize("name", TUTORIALS)
def test_only_checked_cells_store_an_output(name: str) -> None:
    book = _load(name)
    assert "widgets" not in book["metadata"]
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    checked = [c for c in code if _source(c).startswith(CHECK)]
    assert checked, f"{name} checks no value"
    for cell in code:
        if _source(cell).startswith(CHECK):
            assert cell["outputs"], f"{name}: checked cell without a reference output"
            assert cell["execution_count"] is not None  # nbval refuses outputs of unrun cells
            assert {o["output_type"] for o in cell["outputs"]} == {"stream"}
        else:
            assert cell["outputs"] == [], f"{name}: unchecked cell with a stored output"


@pytest.mark.parametrize("name", TUTORIALS)
def test_each_tutorial_explains_and_shows_its_subject(name: str) -> None:
    book = _load(name)
    kinds = [c["cell_type"] for c in book["cells"]]
    assert kinds[0] == "markdown" and kinds.count("markdown") >= 3
    sources = "\n".join(_source(c) for c in book["cells"] if c["cell_type"] == "code")
    assert "from portlab" in sources or "import portlab" in sources
    assert book["metadata"]["kernelspec"]["name"] == "python3"
