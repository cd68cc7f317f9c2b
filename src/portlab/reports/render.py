"""Rendering an executed report notebook to a self-contained HTML page (nbconvert)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["to_html"]

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
