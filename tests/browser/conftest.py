"""Browser tests: the app served on 127.0.0.1 and driven in Debian's headless Chromium.

Playwright for Python drives the system ``chromium`` found on the PATH (never a downloaded
browser). Without Chromium the tests skip, unless ``REQUIRE_BROWSER=1`` (set by CI), where a
missing browser is an error. axe-core comes from the npm package in ``node_modules``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _missing(what: str) -> None:
    message = f"{what}; run `make browser-deps` (Debian's chromium, npm axe-core)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — REQUIRE_BROWSER=1 makes this an error")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    # Debian's package first: another Chromium earlier on the PATH (a Playwright download,
    # say) would test a different browser from the one the brief names.
    debian = Path("/usr/bin/chromium")
    path = (
        str(debian)
        if debian.exists()
        else (shutil.which("chromium") or shutil.which("chromium-browser"))
    )
    if not path:
        _missing("No Chromium found on the PATH")
    return str(path)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_PATH.exists():
        _missing("axe-core is not installed in node_modules")
    return AXE_PATH.read_text(encoding="utf-8")


BROWSER_TIMEOUT_MS = int(os.environ.get("BROWSER_TIMEOUT_MS", 90_000))


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the session's app on a free loopback port in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@dataclass
class PageWeight:
    """Bytes received for each navigation's document and its subresources."""

    sizes: dict[str, int] = field(default_factory=dict)

    def record(self, response) -> None:  # type: ignore[no-untyped-def]
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects have no body
            return
        headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
        self.sizes[response.url] = len(body) + headers

    def total(self) -> int:
        return sum(self.sizes.values())

    def reset(self) -> None:
        self.sizes.clear()


@pytest.fixture
def new_page(browser, live_server: str) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Open pages in fresh browser contexts: ``new_page(js=True, viewport=PHONE)``."""
    contexts = []

    def factory(js: bool = True, viewport: dict[str, int] | None = None, locale: str = "fr-FR"):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            viewport=viewport or PHONE,
            java_script_enabled=js,
            locale=locale,
            base_url=live_server,
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        # An upper bound, not a wait: every step ends as soon as its condition holds. Two cores
        # shared by several test runs can stall a page for well over 10 s.
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        page.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        page.weight = PageWeight()  # type: ignore[attr-defined]
        page.on("response", page.weight.record)  # type: ignore[attr-defined]
        return page

    yield factory
    for context in contexts:
        context.close()


def check_axe(page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    """Run axe-core (WCAG 2.1 A and AA rules) on the page and fail on any violation.

    With JavaScript turned off in the page's context, the same URL is checked in a JS-enabled
    context of the same browser (axe itself needs JavaScript; the markup is identical).
    """
    target = page
    temporary = None
    if not page.context._impl_obj._options.get("javaScriptEnabled", True):
        temporary = page.context.browser.new_context(viewport=page.viewport_size)
        target = temporary.new_page()
        target.goto(page.url)
    try:
        target.evaluate(axe_source)
        result = target.evaluate(
            """async () => await axe.run(document, {runOnly: {type: 'tag',
               values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"""
        )
    finally:
        if temporary is not None:
            temporary.close()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert violations == [], f"axe-core violations on {page.url}:\n" + "\n".join(violations)


def login(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the real form."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
