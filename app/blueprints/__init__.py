"""Blueprints: each subpackage exposes ``bp``; ``create_app`` registers them all."""

from __future__ import annotations

from flask import Blueprint


def all_blueprints() -> list[Blueprint]:
    """Every blueprint of the app (the main one first so its home page wins)."""
    from app.discovery import submodules

    found = [module.bp for module in submodules("app.blueprints") if hasattr(module, "bp")]
    return sorted(found, key=lambda bp: (bp.name != "main", bp.name))
