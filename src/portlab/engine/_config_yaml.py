"""Reading the engine configuration's YAML: file or text, key lines, duplicate keys (private).

The rules (which strings are files, which are text; a key given twice is an error naming both
lines) are those of the :mod:`portlab.engine.config` docstring, "Reading YAML". A
:class:`Document` keeps the line of every key path, so that the models' errors can name the
file and line of each problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from portlab.engine._config_values import at, shown
from portlab.exceptions import ConfigError
from portlab.io import read_text

__all__ = ["Document"]

_PATH_SUFFIXES = (".yaml", ".yml", ".json")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int, node: yaml.Node) -> None:
        super().__init__(f"duplicate key {key}")
        self.key, self.line, self.first, self.node = key, line, first, node


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader refusing a key given twice in one mapping (merge keys aside)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first
                except TypeError:  # unhashable: the base constructor reports it
                    continue
                line = key_node.start_mark.line + 1
                if seen:
                    raise _DuplicateKey(key, line, first[key], node)
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def _looks_like_path(text: str) -> bool:
    if text.strip().lower().endswith(_PATH_SUFFIXES):
        return True
    return ("/" in text or "\\" in text or os.sep in text) and ": " not in text


@dataclass(frozen=True)
class Document:
    """A parsed YAML source: its data, its file name (None for text), line of each key path."""

    data: Any
    where: str | None
    lines: dict[tuple[str, ...], int]

    @classmethod
    def read(cls, source: object) -> Document:
        """Read ``source``: a path (``os.PathLike``, or a string naming a file) or YAML text;
        anything else is a ConfigError (rules: :mod:`portlab.engine.config`, "Reading YAML")."""
        if isinstance(source, os.PathLike):
            name = os.fsdecode(os.fspath(source))
            if not os.path.lexists(name):
                raise ConfigError(f"{name}: no such file")
            return cls.parse(read_text(name), name)
        if isinstance(source, str):
            single = "\n" not in source and len(source) < 4096
            if single and source and os.path.exists(source):  # a folder: DataError
                return cls.parse(read_text(source), source)
            if single and source and _looks_like_path(source):
                raise ConfigError(f"{source}: no such file")
            doc = cls.parse(source, None)
            if single and isinstance(doc.data, str):  # neither a file nor settings
                raise ConfigError(
                    f"{source.strip()}: no such file, and not YAML settings "
                    "(such as 'max_position_size: 0.05')"
                )
            return doc
        raise ConfigError(
            f"expected a YAML file path or YAML text, got {shown(source)}"
            if source is not None
            else "expected a YAML file path or YAML text, got None"
        )

    @classmethod
    def parse(cls, text: str, where: str | None) -> Document:
        """Parse YAML ``text`` read from ``where`` (None for text), noting each key's line."""
        loader = _Loader(text)
        paths: dict[int, tuple[str, ...]] = {}
        lines: dict[tuple[str, ...], int] = {}
        try:
            node = loader.get_single_node()
            if node is None:
                return cls(None, where, lines)
            _index(node, paths, lines)
            data = loader.construct_document(node)
        except _DuplicateKey as dup:
            path = ".".join((*paths.get(id(dup.node), ()), str(dup.key)))
            raise ConfigError(
                f"{at(where, dup.line)}{path}: duplicate key (first given on line {dup.first}); "
                "keep one of them"
            ) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "cannot be parsed"
            if exc.context:
                problem = f"{problem} ({exc.context})"
            if "'\\t'" in problem:
                problem += "; indent with spaces, not tabs"
            place = at(where, mark.line + 1, mark.column + 1) if mark else at(where, None)
            raise ConfigError(f"{place}not valid YAML: {problem}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"{at(where, None)}not valid YAML: {' '.join(str(exc).split())}"
            ) from None
        except RecursionError:
            raise ConfigError(f"{at(where, None)}nested too deeply to be a configuration") from None
        finally:
            loader.dispose()
        return cls(data, where, lines)


def _index(root: yaml.Node, paths: dict, lines: dict) -> None:
    """The key path of every mapping node and the line of every key (iterative: no recursion
    limit, and aliases are visited once)."""
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        paths[id(node)] = path
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value if isinstance(key, yaml.ScalarNode) else "?")
                lines.setdefault(sub, key.start_mark.line + 1)
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((value, (*path, str(i))) for i, value in enumerate(node.value))
