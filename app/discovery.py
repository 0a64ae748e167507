"""Find the pieces each area contributes, so areas never edit a shared list.

- blueprints: every subpackage of ``app.blueprints`` exposing ``bp``;
- commands: every module of ``app.commands`` exposing ``commands`` (click commands/groups);
- demo seeders: every module of ``app.demo_seeders`` exposing ``seed`` (and ``remove``), run by
  their ``ORDER`` (lower first);
- models: every module of ``app.models`` is imported so its tables are registered.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def submodules(package_name: str) -> list[ModuleType]:
    """Import and return every direct submodule of ``package_name``, sorted by name."""
    package = importlib.import_module(package_name)
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{package_name}.{name}") for name in names]
