"""The apps' page design: Panel's Fast design, without its web font.

Panel's Fast design links Open Sans from Google Fonts (panel#5599): on a machine without
internet access that is a failed request and a console error on every page, and portlab's
pages fetch nothing from outside their server. :class:`OfflineFast` is the same design without
that link; the pages fall back to the system's sans-serif font.
"""

from __future__ import annotations

from typing import Any

from panel.template import FastListTemplate
from panel.theme import Fast

__all__ = ["HEADER_COLOR", "OfflineFast", "Page", "bokeh_theme", "title_bar"]


class OfflineFast(Fast):
    """Panel's Fast design without the Google Fonts stylesheet.

    Panel reads a design's external resources from the class attribute ``_resources`` (there
    is no public option for the font link: ``font_url=""`` keeps it), so the subclass declares
    its own, and Panel finds the design's bundled files by the class name: it stays "Fast".
    """

    _resources = {**Fast._resources, "font": {}}


OfflineFast.__name__ = Fast.__name__


def bokeh_theme(name: str = "default") -> Any:
    """The Bokeh theme of :class:`OfflineFast`'s ``name`` theme ("default" or "dark"): what its
    pages' charts are drawn with."""
    from panel.theme.base import THEMES

    return OfflineFast(theme=THEMES[name]).theme.bokeh_theme


#: the colour of the Fast design's header (the apps' title bar)
HEADER_COLOR = "#0072B5"


class Page(FastListTemplate):
    """A ``FastListTemplate`` served as the app's page and displayed in a notebook as
    :attr:`notebook_view`.

    Panel writes a template's stylesheets as links relative to the page, which JupyterLab
    does not serve (its URLs are ``/lab/...``): in a notebook the template shows unstyled and
    its scripts fail to load. Its content displays well as an ordinary layout, which Panel
    inlines with ``pn.extension(inline=True)``; so a page displayed in a cell shows
    ``notebook_view`` (the title bar, the settings and the main area, one under the other).

    Parameters
    ----------
    notebook_view : Viewable
        What a notebook cell shows.
    **params
        ``FastListTemplate``'s.
    """

    def __init__(self, notebook_view: Any, **params: Any) -> None:
        super().__init__(design=OfflineFast, **params)
        self.notebook_view = notebook_view

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.notebook_view._repr_mimebundle_(include, exclude)

    def server_doc(self, doc: Any = None, title: str | None = None, location: Any = True) -> Any:
        """The page in a served session's document, its roots added under one freeze of the
        document's model index: Bokeh walks every model of the document again after each root
        is added otherwise (the dashboard's page has eleven), about a tenth of a session's
        start on the server."""
        import panel as pn

        document = doc if doc is not None else pn.state.curdoc
        if document is None:
            return super().server_doc(doc, title, location)
        with document.models.freeze():
            return super().server_doc(document, title, location)


def title_bar(title: str, *controls: Any) -> Any:
    """A row in the header's colour with the page's title and ``controls`` (the notebook
    view's head: the header controls' white text stays readable)."""
    import panel as pn

    heading = pn.pane.HTML(
        f"<span style='font-size: 1.5em; color: #ffffff'>{title}</span>", margin=(12, 20)
    )
    return pn.Row(
        heading,
        *controls,
        styles={"background": HEADER_COLOR, "border-radius": "4px"},
        sizing_mode="stretch_width",
    )
