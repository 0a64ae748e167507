"""CLI command modules: each exposes ``commands``, a list of click commands or groups."""
