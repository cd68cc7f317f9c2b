"""Public names of a package loaded on first use (PEP 562), so that importing the package
costs only what its user touches.

``import portlab.widgets`` then ``PolicyTuner()`` imports the policy tuner, its view-model
and its one chart module, not the attribution or optimizer stacks of the other widgets.

Examples
--------
>>> from portlab.lazy import attach
>>> getattr_, dir_, all_ = attach("portlab", {"formatting": ["pct_text"]})
>>> all_
['pct_text']
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to sequence of str
        Submodule (relative to ``package``) -> the public names it defines, as the package's
        ``from package.submodule import ...`` lines would list them.

    Returns
    -------
    (__getattr__, __dir__, __all__)
        A name is imported from its submodule the first time it is read, then kept in the
        package's namespace (later reads are plain attribute reads). An unknown name raises
        ``AttributeError`` as for any module.
    """
    where = {name: module for module, names in exports.items() for name in names}
    if len(where) != sum(len(names) for names in exports.values()):
        raise ValueError(f"{package}: a public name is listed under two submodules")

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__, sorted(where)
