"""Built-in scenarios shipped with lytes (``lytes scenarios`` lists them)."""

from __future__ import annotations

from importlib import resources

import yaml


def _folder():
    return resources.files("lytes.builtins")


def names() -> list[str]:
    return sorted(e.name[:-5] for e in _folder().iterdir() if e.name.endswith(".yaml"))


def builtin_path(name: str):
    return _folder().joinpath(f"{name}.yaml")


def describe() -> list[tuple[str, str, str]]:
    """(name, title, one-line description) of each built-in."""
    out = []
    for name in names():
        data = yaml.safe_load(builtin_path(name).read_text(encoding="utf-8"))
        out.append((name, data.get("name", name), (data.get("description") or "").strip().split("\n")[0]))
    return out
