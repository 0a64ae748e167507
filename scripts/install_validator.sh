#!/usr/bin/env bash
# Install the official Open Badges 2.0 validator (PyPI `openbadges` 1.1.2) into the
# current virtualenv, for tests/unit/badges/test_validator.py (skipped when absent).
# Usage: scripts/install_validator.sh            (uses .venv/bin/python if present)
#        PYTHON=/path/to/python scripts/install_validator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -m pip install --quiet -r requirements-validator.txt
# Pinned versions of the validator's own dependencies do not install on Python 3.11: take
# the packages alone and let requirements-validator.txt provide working dependencies.
"$PYTHON" -m pip install --quiet --no-deps "openbadges==1.1.2" "openbadges-bakery==1.2.4"
"$PYTHON" - <<'PY'
import openbadges.verifier  # noqa: F401
import openbadges_bakery  # noqa: F401
print("Open Badges 2.0 validator installed")
PY
