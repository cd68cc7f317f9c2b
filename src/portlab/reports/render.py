"""Rendering an executed report notebook to a self-contained HTML page (nbconvert)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from portlab.exceptions import PortlabError

__all__ = ["chromium", "to_html", "to_pdf"]

#: cells left out of the page: papermill's injected parameters and the template's defaults
#: (the report's header prints the parameters used)
HIDDEN_TAGS = frozenset({"injected-parameters", "parameters"})
#: cells whose outputs are left out (the notebook's BokehJS loader: the page has its own)
NO_OUTPUT_TAGS = frozenset({"remove-output"})

_TEMPLATES = Path(__file__).parent / "nbconvert"


def to_html(notebook: Any, title: str | None = None) -> str:
    """The page of an executed notebook (a path or an ``nbformat`` node): outputs only, the
    parameter cells removed, BokehJS inlined once in its head, nothing fetched from elsewhere
    (portlab's ``portlab_report`` template over JupyterLab's).
    """
    import nbformat
    from bokeh.resources import INLINE
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    node = (
        nbformat.read(str(notebook), as_version=4) if isinstance(notebook, str | Path) else notebook
    )
    exporter = HTMLExporter(
        template_name="portlab_report",
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(HIDDEN_TAGS),
            remove_all_outputs_tags=set(NO_OUTPUT_TAGS),
            enabled=True,
        ),
        enabled=True,
    )
    resources = {"metadata": {"name": title}} if title else None
    body, _ = exporter.from_notebook_node(node, resources=resources)
    # BokehJS itself, not INLINE.render_js(): that also bundles every extension model this
    # process has imported (Panel's, with links relative to a server), changing the page with
    # what ran before
    bokeh = "".join(f'<script type="text/javascript">{js}</script>' for js in INLINE.js_raw)
    return body.replace("</head>", bokeh + "\n</head>", 1)


#: where Chromium is looked for when ``PORTLAB_CHROMIUM`` does not say (Debian's package first)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: seconds of page time Chromium gives the charts' scripts before printing
_SCRIPT_BUDGET_MS = 15_000


def chromium() -> str:
    """The Chromium to print with: ``$PORTLAB_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on the PATH.

    Raises
    ------
    PortlabError
        None found (the message says how to install Debian's).
    """
    given = os.environ.get("PORTLAB_CHROMIUM")
    if given:
        return given
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PortlabError(
        "a PDF report is printed by Chromium, which is not installed "
        "(apt-get install chromium, or set PORTLAB_CHROMIUM)"
    )


def to_pdf(page: str | Path, out: str | Path, timeout: float = 120.0) -> Path:
    """Print the HTML file ``page`` to the PDF ``out`` with headless Chromium, its charts drawn
    (the page's scripts run first), each section from a new page.

    Raises
    ------
    PortlabError
        No Chromium, or Chromium failed or wrote nothing.
    """
    target = Path(out)
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # as root in a container
        "--disable-gpu",
        "--disable-background-networking",
        "--run-all-compositor-stages-before-draw",
        f"--virtual-time-budget={_SCRIPT_BUDGET_MS}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={target.resolve()}",
        Path(page).resolve().as_uri(),
    ]
    target.unlink(missing_ok=True)
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        raise PortlabError(f"Chromium could not print {target}: {exc}") from None
    if not target.is_file() or target.stat().st_size == 0:
        raise PortlabError(f"Chromium wrote no PDF at {target}")
    return target
