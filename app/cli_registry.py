"""Command groups contributed by each area (surveys, sites, badges, profiles, programme)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
