"""The report templates: where they are and what parameters each takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portlab.exceptions import ValidationError

__all__ = ["Template", "find_template", "template_dirs", "templates"]


def template_dirs() -> tuple[Path, ...]:
    """Folders searched for templates, in order: ``portlab/templates`` inside the installed
    package (where the wheel puts the repository's ``templates/``), then the repository's
    top-level ``templates/`` (a source tree installed with ``pip install -e .``)."""
    package = Path(__file__).resolve().parents[1]
    return (package / "templates", package.parents[1] / "templates")


@dataclass(frozen=True)
class Template:
    """A report template.

    Attributes
    ----------
    name : str
        What ``portlab report NAME`` calls it (the file's stem).
    path : Path
        The ``.ipynb`` file.
    """

    name: str
    path: Path

    def parameters(self) -> dict[str, dict[str, Any]]:
        """The template's parameters (papermill's inspection of its ``parameters`` cell):
        name -> ``{"default": source text, "inferred_type_name": ..., "help": ...}``."""
        import papermill

        return dict(papermill.inspect_notebook(str(self.path)))


def templates() -> dict[str, Template]:
    """Every template found, by name (the first folder of :func:`template_dirs` holding one
    of that name wins).

    Examples
    --------
    >>> from portlab.reports import templates
    >>> "portfolio" in templates()
    True
    """
    found: dict[str, Template] = {}
    for folder in template_dirs():
        if folder.is_dir():
            for path in sorted(folder.glob("*.ipynb")):
                found.setdefault(path.stem, Template(path.stem, path))
    return found


def find_template(name: str) -> Template:
    """The template called ``name``.

    Raises
    ------
    ValidationError
        No template has that name (the message lists those there are).
    """
    found = templates()
    if name not in found:
        known = ", ".join(sorted(found)) or "none (reinstall portlab)"
        raise ValidationError(f"no report template {name!r}; templates: {known}")
    return found[name]
