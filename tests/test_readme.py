"""Every Python block of README.md runs, in order, in one namespace, as a user pastes them."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.slow
def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    namespace: dict[str, object] = {"__name__": "__readme__"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an example that warns is an example to fix
        for number, block in enumerate(BLOCKS, start=1):
            try:
                exec(compile(block, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:  # name the block in the failure
                raise AssertionError(f"README python block {number} failed: {exc!r}") from exc


def _first_commands() -> list[str]:
    block = re.search(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)
    assert block, "README.md starts with a bash block of two commands"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_the_workbench_and_the_test_command_ci_runs():
    install_and_run, install_and_test = _first_commands()
    assert install_and_run == "python -m pip install . && portlab lab"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert install_and_test in ci  # CI runs exactly the README's test command
