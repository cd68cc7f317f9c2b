"""The apps' page design: Panel's Fast design, without its web font.

Panel's Fast design links Open Sans from Google Fonts (panel#5599): on a machine without
internet access that is a failed request and a console error on every page, and portlab's
pages fetch nothing from outside their server. :class:`OfflineFast` is the same design without
that link; the pages fall back to the system's sans-serif font.
"""

from __future__ import annotations

from typing import Any

from panel.theme import Fast

__all__ = ["OfflineFast", "bokeh_theme"]


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
