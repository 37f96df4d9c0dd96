"""YAML 1.2 for params and metrics files, on PyYAML's safe loader.

PyYAML implements YAML 1.1, where ``1e-3`` is a string (no dot), ``no``, ``on`` and
``y`` are booleans, ``010`` is octal and ``2025-01-01`` a date. ``Yaml12Loader`` keeps
PyYAML's parser and replaces its implicit types with the YAML 1.2 core schema: null,
bool (true/false only), int (decimal, ``0o`` octal, ``0x`` hex), float (``1e-3``,
``.inf``, ``.nan``); anything else is a string. Keys must be unique, as 1.2 requires.
Merge keys (``<<: *anchor``) are kept: not part of 1.2, but ruamel.yaml and most
tools accept them, and configs rely on them.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError

_CORE = "tag:yaml.org,2002:"
_RESOLVERS: list[tuple[str, str, list[str | None]]] = [
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", list("-+0123456789.")),
    ("merge", r"<<", ["<"]),
]


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema's implicit types."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _CORE + "merge":
                found = (key_node.tag, key_node.value)
                if found in seen:
                    raise ConstructorError(None, None, f"duplicate key {key_node.value!r}",
                                           key_node.start_mark)
                seen.add(found)
        return super().construct_mapping(node, deep)


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text in {".inf", "+.inf", "-.inf"}:
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


Yaml12Loader.yaml_implicit_resolvers = {}
for _name, _pattern, _first in _RESOLVERS:
    Yaml12Loader.add_implicit_resolver(_CORE + _name, re.compile(f"^(?:{_pattern})$"), _first)
Yaml12Loader.add_constructor(_CORE + "int", _int)
Yaml12Loader.add_constructor(_CORE + "float", _float)


def load(text: str) -> Any:
    """One YAML 1.2 document."""
    return yaml.load(text, Loader=Yaml12Loader)  # a SafeLoader: builds no Python objects
