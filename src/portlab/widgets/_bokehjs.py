"""BokehJS in the notebook page, for the charts of the widgets (``jupyter_bokeh.BokehModel``).

``BokehModel``'s front end draws with the page's global ``window.Bokeh``; it does not bring
BokehJS itself. Without it the chart's view cannot be created (JupyterLab shows "Click to
show javascript error"). :func:`load_bokehjs` puts the BokehJS of the installed ``bokeh``
into the page, inline (nothing is downloaded) and synchronously, so that it is there before
the widget's views are created. Only BokehJS's core and WebGL parts: the loader of
``bokeh.io.output_notebook`` would also pull in the JavaScript of every bokeh extension
installed (Panel's among them, fetched from URLs a notebook page does not serve), and load it
asynchronously.

It is displayed once per kernel: the output stays in the notebook, so a reopened (trusted)
notebook loads it again.
"""

from __future__ import annotations

__all__ = ["bokehjs_bundle", "load_bokehjs"]

#: the BokehJS parts the charts need
COMPONENTS = ("bokeh", "bokeh-gl")

_loaded = False  # per kernel, as holoviews.extension and panel.extension keep it


def bokehjs_bundle() -> dict[str, str]:
    """The display bundle (``application/javascript``) that defines ``window.Bokeh``.

    The script does nothing when the page already has this BokehJS version.
    """
    import bokeh
    from bokeh.resources import Resources

    code = "\n".join(Resources(mode="inline", components=list(COMPONENTS)).js_raw)
    version = bokeh.__version__
    guard = f"if (window.Bokeh && window.Bokeh.version === {version!r}) return;"
    # BokehJS's bundle registers itself on ``this``: the page's window, not undefined as in
    # the function JupyterLab evaluates outputs in
    return {"application/javascript": f"(function () {{ {guard}\n{code}\n}}).call(window);\n"}


def load_bokehjs(*, force: bool = False) -> bool:
    """Display :func:`bokehjs_bundle` if this kernel has not yet; returns whether it did.

    Every widget calls it when it is displayed; call it yourself before displaying one of
    the chart widgets on its own. ``force=True`` displays it again (e.g. after the page was
    reloaded without the notebook being saved).
    """
    global _loaded
    if _loaded and not force:
        return False
    from IPython.display import display

    display(bokehjs_bundle(), raw=True)
    _loaded = True
    return True
