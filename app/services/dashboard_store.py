"""The dashboard's computed tables and figures, shared by every worker through the instance folder.

Each gunicorn worker keeps its own in-memory cache (``app.services.dashboard.DashboardCache``).
Without this store, the first dashboard page a new worker shows (after a deploy, a restart or
a worker recycle) reads every answer and recomputes every figure: 6–8 s at 100,000 responses.
With it, whatever one worker computed is written once to ``<instance>/cache/dashboard/`` and a
new worker reads it back (a few hundred milliseconds), then only catches up with the answers
that arrived since.

What is stored:

* the **base tables** (the wide table of answers, free text, Pass results) with the data version
  they were built from — one file per database; a worker that finds tables of an older version
  uses them as its starting point and reads only the newer answers;
* the **figures of each filtered view**, keyed by (data version, places, filters), without the
  filtered wide table (re-derived from the base tables in milliseconds);
* the **most recent figures of each set of filters** (the last 100 sets used), which a new
  worker shows, marked as being updated, while it computes those of newer answers.

Files are written to a temporary name and renamed into place, so a reader never sees half a
file and two workers writing at once simply leave the last complete copy. The files are pickles
written by this application into its own instance folder (the same trust as the secret key kept
there); a file that cannot be read is ignored and removed. Files of other data versions are
removed whenever new tables are written. Nothing personal leaves the database server's trust:
the folder holds the same figures the dashboard shows, plus the answers table coordinators
already export.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Raised pickle protocol: fast for numpy-backed frames.
PROTOCOL = pickle.HIGHEST_PROTOCOL
#: How many filter combinations keep their most recent figures across data versions.
MAX_LATEST = 100
#: Bump when the stored classes change shape, so old files are ignored after a deploy.
FORMAT = "1"


def _layout() -> tuple[str, str]:
    """What stored files must match besides FORMAT: how pandas keeps text columns.

    Tables pickled while text columns were Python objects would keep that (slower) storage
    for every answer appended to them after an upgrade to Arrow-backed strings (issue 17), so
    a worker ignores files written under another storage and builds its tables afresh.
    """
    import pandas as pd

    return FORMAT, str(pd.get_option("mode.string_storage"))


def _digest(*parts: object) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(repr(part).encode("utf-8"))
        sha.update(b"\0")
    return sha.hexdigest()[:32]


class DashboardStore:
    """Pickled tables and views in one folder, scoped to one database."""

    def __init__(self, directory: Path, scope: str) -> None:
        self.directory = Path(directory)
        self._scope = _digest(*_layout(), scope)[:16]

    # ------------------------------------------------------------------ file names

    def _tables_path(self) -> Path:
        return self.directory / f"{self._scope}-tables.pickle"

    def _view_path(self, version: object, key: object) -> Path:
        return self.directory / f"{self._scope}-view-{_digest(version)[:12]}-{_digest(key)}.pickle"

    # ------------------------------------------------------------------ reading and writing

    def _read(self, path: Path) -> Any | None:
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)  # noqa: S301 - our own files in our instance folder
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged or outdated file is only a cache miss
            log.warning("Unreadable dashboard cache file %s removed", path.name)
            path.unlink(missing_ok=True)
            return None

    def _write(self, path: Path, value: object) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(value, handle, protocol=PROTOCOL)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except Exception:  # noqa: BLE001 - a full disk or an unpicklable value only costs sharing
            log.warning("Could not write the dashboard cache file %s", path.name, exc_info=True)

    # ------------------------------------------------------------------ tables

    def load_tables(self) -> Any | None:
        """The latest base tables written by any worker for this database (any version)."""
        return self._read(self._tables_path())

    def save_tables(self, tables: Any) -> None:
        """Write the base tables and drop the views of other data versions."""
        self._write(self._tables_path(), tables)
        keep = f"{self._scope}-view-{_digest(tables.version)[:12]}-"
        for path in self.directory.glob(f"{self._scope}-view-*.pickle"):
            if not path.name.startswith(keep):
                path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ views

    def load_view(self, version: object, key: object) -> Any | None:
        """The figures of a view stored by any worker, or None."""
        return self._read(self._view_path(version, key))

    def save_view(self, version: object, key: object, data: Any) -> None:
        """Store the figures of a view (without its filtered wide table)."""
        self._write(self._view_path(version, key), data)

    def _latest_path(self, key: object) -> Path:
        return self.directory / f"{self._scope}-latest-{_digest(key)}.pickle"

    def load_latest(self, key: object) -> Any | None:
        """The most recent figures stored for these filters, whatever their data version.

        A new worker shows them (saying they are being updated) while it computes the current
        ones, instead of making the coordinator wait.
        """
        return self._read(self._latest_path(key))

    def save_latest(self, key: object, data: Any) -> None:
        """Remember ``data`` as the most recent figures for these filters."""
        self._write(self._latest_path(key), data)
        latest = sorted(
            self.directory.glob(f"{self._scope}-latest-*.pickle"),
            key=lambda p: p.stat().st_mtime if p.exists() else 0.0,
        )
        for path in latest[:-MAX_LATEST]:
            path.unlink(missing_ok=True)

    def clear(self) -> None:
        """Remove every file of this database (tests, ``--refresh``)."""
        for path in self.directory.glob(f"{self._scope}-*.pickle"):
            path.unlink(missing_ok=True)
