"""``%load_ext portlab`` (the ``%portlab`` magics) and ``portlab lab``.

The magics run in a real IPython ``InteractiveShell`` (no kernel); the widgets they return are
checked against direct engine calls on the notebook's own variables. ``portlab lab`` is tested
with ``--copy-only`` and through the command it would launch; no server is started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import portlab
from portlab import Coordinator, Policy
from portlab.cli import _lab as lab
from portlab.cli import main
from portlab.datasets import example_batch, load_sample
from portlab.magics import NOTEBOOK_NAMES, Command, help_text
from portlab.widgets import (
    AllocationEditor,
    AttributionExplorer,
    ConflictExplorer,
    OptimizerExplorer,
    PolicyTuner,
    SizingWhatIf,
)

# -- the IPython extension ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "portlab")
    yield sh
    for name in NOTEBOOK_NAMES:
        sh.user_ns.pop(name, None)


@pytest.fixture
def clean_ns(shell):
    for name in NOTEBOOK_NAMES:
        shell.user_ns.pop(name, None)
    yield shell.user_ns
    for name in NOTEBOOK_NAMES:
        shell.user_ns.pop(name, None)


@pytest.fixture(scope="module")
def notebook_vars():
    """A notebook's own inputs, unlike the widgets' defaults: 6 signals, a 3% position cap."""
    batch = example_batch()
    return {
        "market": load_sample(),
        "state": batch.state,
        "signals": batch.signals[:6],
        "coordinator": Coordinator(policy=Policy(max_position_size=0.03)),
    }


def _decisions(frame: pd.DataFrame) -> list[tuple[str, float]]:
    return list(zip(frame["instrument_id"], frame["share_quantity"], strict=True))


def test_load_ext_registers_the_line_magic(shell):
    assert "portlab" in shell.magics_manager.magics["line"]
    assert portlab.load_ipython_extension.__module__ == "portlab"


def test_policy_magic_uses_the_notebooks_variables(shell, clean_ns, notebook_vars):
    clean_ns.update(notebook_vars)
    widget = shell.run_line_magic("portlab", "policy")
    assert isinstance(widget, PolicyTuner)
    model = widget.model
    assert model.market is notebook_vars["market"]
    assert model.state is notebook_vars["state"]
    assert model.coordinator is notebook_vars["coordinator"]
    assert model.max_position_size == 0.03  # from the notebook's coordinator, not the default
    direct = notebook_vars["coordinator"].coordinate(
        notebook_vars["signals"], notebook_vars["state"], notebook_vars["market"]
    )
    assert _decisions(widget.result.decisions) == _decisions(direct.decisions)
    assert widget.result.counts["total_signals"] == 6
    assert len(widget.result.rejections) == len(direct.rejections)


def test_policy_magic_without_variables_opens_the_sample(shell, clean_ns):
    widget = shell.run_line_magic("portlab", "policy")
    assert widget.result.counts["total_signals"] == len(example_batch().signals)
    assert widget.model.max_position_size == Coordinator().policy.max_position_size.limit


def test_settings_are_passed_to_the_widget(shell, clean_ns):
    widget = shell.run_line_magic("portlab", "policy max_position_size=0.04")
    assert widget.model.max_position_size == 0.04
    direct = Coordinator(policy=Policy(max_position_size=0.04))
    batch = example_batch()
    expected = direct.coordinate(
        batch.signals, batch.state, load_sample(), batch.rebalance_requests
    )
    assert _decisions(widget.result.decisions) == _decisions(expected.decisions)


@pytest.mark.parametrize(
    ("command", "cls"),
    [
        ("sizing", SizingWhatIf),
        ("conflicts", ConflictExplorer),
        ("attribution", AttributionExplorer),
        ("optimizer", OptimizerExplorer),
        ("editor", AllocationEditor),
    ],
)
def test_every_widget_command(shell, clean_ns, notebook_vars, command, cls):
    clean_ns.update(notebook_vars)
    widget = shell.run_line_magic("portlab", command)
    assert isinstance(widget, cls)
    if cls is AllocationEditor:  # takes market, state and coordinator (no signals)
        assert widget.market is notebook_vars["market"]
        assert widget.coordinator is notebook_vars["coordinator"]
    else:
        assert widget.model.market is notebook_vars["market"]
        assert widget.model.coordinator is notebook_vars["coordinator"]


def test_every_command_is_in_help(shell, capsys):
    assert shell.run_line_magic("portlab", "help") is None
    out = capsys.readouterr().out
    assert out.strip() == help_text()
    for command in Command:
        assert f"%portlab {command.value}" in out
    for name in NOTEBOOK_NAMES:
        assert name in out


def _untimed(text: str) -> str:
    return re.sub(r"\(\d+(\.\d+)? ms\)", "(- ms)", text)


def test_demo_prints_the_cli_demo(shell, capsys):
    assert main(["demo", "--resolution", "net"]) == 0
    expected = capsys.readouterr().out
    assert shell.run_line_magic("portlab", "demo --resolution net") is None
    assert _untimed(capsys.readouterr().out) == _untimed(expected)
    assert expected.startswith("portlab demo:") and "NET resolution" in expected


def test_demo_with_bad_arguments_is_one_line(shell, capsys):
    with pytest.raises(UsageError, match=r"^portlab: error: argument --resolution: 'nope'"):
        shell.run_line_magic("portlab", "demo --resolution nope")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bogus", "unknown command 'bogus'"),
        ("policy x", "'x' is not name=value"),
        ("policy bogus=1", "'bogus' is not a parameter"),
        ("policy max_position_size=7", "must be at most 1.0"),
        ("policy 'unclosed", "No closing quotation"),
    ],
)
def test_bad_input_is_a_usage_error(shell, clean_ns, line, message):
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("portlab", line)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("market", 5, "the notebook's 'market' is a int, not a portlab.Market"),
        ("coordinator", "x", "the notebook's 'coordinator' is a str, not a portlab.Coordinator"),
        ("state", 3.5, "state must be a PortfolioState"),
    ],
)
def test_a_notebook_variable_of_another_kind_is_one_line(shell, clean_ns, name, value, message):
    clean_ns[name] = value
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("portlab", "policy")


def test_in_a_cell_the_error_is_one_line_not_a_traceback(shell, clean_ns, capfd):
    shell.run_cell("%portlab bogus")
    captured = capfd.readouterr()
    text = captured.out + captured.err
    assert "UsageError: %portlab: unknown command 'bogus'" in text
    assert "Traceback" not in text


def test_import_portlab_loads_no_ipython():
    code = "import sys, portlab; print(any(m.split('.')[0] == 'IPython' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- portlab lab ----------------------------------------------------------------------------


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A stand-in for the shipped tutorials (the real ones are written separately)."""
    source = tmp_path / "shipped"
    (source / "data").mkdir(parents=True)
    (source / ".ipynb_checkpoints").mkdir()
    (source / "01_quick_start.ipynb").write_text('{"cells": []}', encoding="utf-8")
    (source / "02_policy_tuning.ipynb").write_text('{"cells": [1]}', encoding="utf-8")
    (source / "data" / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (source / ".ipynb_checkpoints" / "01_quick_start-checkpoint.ipynb").write_text("{}")
    monkeypatch.setattr(lab, "notebook_dirs", lambda: (tmp_path / "absent", source))
    return source


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_copy_only_copies_the_notebooks(shipped, tmp_path, capsys):
    dest = tmp_path / "work"
    assert main(["lab", "--copy-only", str(dest)]) == 0
    assert _tree(dest) == {
        "01_quick_start.ipynb": '{"cells": []}',
        "02_policy_tuning.ipynb": '{"cells": [1]}',
        "data/extra.csv": "a,b\n1,2\n",
    }
    assert capsys.readouterr().out == f"portlab: copied 3 files into {dest}\n"


def test_existing_files_are_kept_and_a_second_run_copies_nothing(shipped, tmp_path, capsys):
    dest = tmp_path / "work"
    dest.mkdir()
    (dest / "01_quick_start.ipynb").write_text("my edits", encoding="utf-8")
    assert main(["lab", "--copy-only", str(dest)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"portlab: kept {dest / '01_quick_start.ipynb'} (already there; --force to overwrite)",
        f"portlab: copied 2 files into {dest}",
    ]
    assert (dest / "01_quick_start.ipynb").read_text(encoding="utf-8") == "my edits"
    before = _tree(dest)
    assert main(["lab", "--copy-only", str(dest)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"portlab: copied 0 files into {dest}"
    assert _tree(dest) == before
    assert main(["lab", "--copy-only", "--force", str(dest)]) == 0
    assert (dest / "01_quick_start.ipynb").read_text(encoding="utf-8") == '{"cells": []}'


def test_default_folder_is_portlab_notebooks(shipped, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lab", "--copy-only"]) == 0
    assert (tmp_path / "portlab-notebooks" / "02_policy_tuning.ipynb").is_file()


def test_never_writes_into_the_shipped_folder(shipped, capsys):
    before = _tree(shipped)
    for target in (shipped, shipped / "data"):
        assert main(["lab", "--copy-only", "--force", str(target)]) == 2
        assert "portlab's own notebook folder" in capsys.readouterr().err
    assert _tree(shipped) == before


def test_a_file_as_folder_is_refused(shipped, tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert main(["lab", "--copy-only", str(target)]) == 2
    assert capsys.readouterr().err == f"portlab: error: {target}: exists and is not a folder\n"


def test_missing_notebooks_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(lab, "notebook_dirs", lambda: (tmp_path / "a", tmp_path / "b"))
    assert main(["lab", "--copy-only", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("portlab: error: portlab's tutorial notebooks not found in ")
    assert err.count("\n") == 1
    assert not (tmp_path / "w").exists()


def test_notebook_dirs_are_the_package_then_the_repository():
    package = Path(portlab.__file__).resolve().parent
    assert lab.notebook_dirs() == (package / "notebooks", package.parents[1] / "notebooks")


def test_the_launch_command():
    cmd = lab.lab_command(Path("nb"), port=8890, no_browser=True, as_root=False)
    assert cmd == [sys.executable, "-m", "jupyterlab", "--notebook-dir=nb", "--port=8890",
                   "--no-browser"]  # fmt: skip
    assert lab.lab_command(Path("x y"), as_root=False) == [sys.executable, "-m", "jupyterlab",
                                                           "--notebook-dir=x y"]  # fmt: skip


def test_root_gets_allow_root_which_jupyterlab_needs_to_start_for_root():
    assert lab.lab_command(Path("nb"), as_root=True)[-1] == "--allow-root"
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("--allow-root" in lab.lab_command(Path("nb"))) == as_root


def test_lab_launches_jupyterlab_in_the_folder(shipped, tmp_path, monkeypatch, capsys):
    launched = []
    monkeypatch.setattr(lab, "jupyterlab_installed", lambda: True)
    monkeypatch.setattr(lab.subprocess, "call", lambda cmd: launched.append(cmd) or 0)
    dest = tmp_path / "work"
    assert main(["lab", "--no-browser", "--port", "9001", str(dest)]) == 0
    assert launched == [lab.lab_command(dest, port=9001, no_browser=True)]
    assert (dest / "01_quick_start.ipynb").is_file()
    assert "starting JupyterLab" in capsys.readouterr().out


def test_missing_jupyterlab_exits_2_with_the_install_line(shipped, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(lab, "jupyterlab_installed", lambda: False)
    dest = tmp_path / "work"
    assert main(["lab", str(dest)]) == 2
    assert capsys.readouterr().err == (
        "portlab: error: JupyterLab is not installed; install it with "
        "'python -m pip install jupyterlab' (or use --copy-only to copy the notebooks "
        "without starting it)\n"
    )
    assert not dest.exists()  # nothing written before failing


def test_jupyterlab_installed_matches_the_import_system():
    import importlib.util

    assert lab.jupyterlab_installed() == (importlib.util.find_spec("jupyterlab") is not None)


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_a_bad_port_is_one_line(shipped, tmp_path, capsys, port):
    assert main(["lab", "--copy-only", "--port", port, str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("portlab: error: argument --port:") and err.count("\n") == 1


def test_help_text(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lab", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for words in ("[FOLDER]", "--force", "--copy-only", "--no-browser", "--port PORT",
                  "./portlab-notebooks", "never writing into the installed"):  # fmt: skip
        assert words in " ".join(out.split())
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "lab" in capsys.readouterr().out


def test_the_shipped_tutorials_are_found_and_copied(tmp_path, capsys):
    """The real tutorials of this source tree (``notebooks/``), or of the installed wheel."""
    dirs = [d for d in lab.notebook_dirs() if d.is_dir() and any(d.glob("*.ipynb"))]
    if not dirs:
        pytest.skip("no tutorial notebooks in this tree yet")
    names = sorted(p.name for p in dirs[0].glob("*.ipynb"))
    assert main(["lab", "--copy-only", str(tmp_path / "w")]) == 0
    assert sorted(p.name for p in (tmp_path / "w").glob("*.ipynb")) == names
    assert (tmp_path / "w" / names[0]).read_bytes() == (dirs[0] / names[0]).read_bytes()
