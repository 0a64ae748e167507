#!/usr/bin/env bash
# Install what the browser tests need: Debian's Chromium (never a browser download) and the
# axe-core npm package. Without root or apt, say so; the browser tests then skip unless
# REQUIRE_BROWSER=1.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium and chromium-driver…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium not found and cannot install it here (needs root and apt-get)." >&2
  fi
fi

# Reinstall when package-lock.json changed since the last install (a stamp keeps its hash):
# the tests also use the pinned Digital Bazaar packages (independent Open Badges 3.0 verifier).
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.package-lock.sha256
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --silent
    echo "$lock_hash" > "$stamp"
  else
    echo "npm not found: cannot install axe-core and the Open Badges 3.0 test verifier." >&2
  fi
fi
