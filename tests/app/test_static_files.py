"""Static files: fingerprinted names cached for a year, plain names revalidated, compression."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import base_config

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
APP_CSS = (STATIC / "css" / "app.css").read_bytes()
DIGEST = hashlib.sha256(APP_CSS).hexdigest()[:12]


def test_pages_link_fingerprinted_names(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    svg = hashlib.sha256((STATIC / "favicon.svg").read_bytes()).hexdigest()[:12]
    assert f'src="/static/favicon.{svg}.svg"' in page
    assert f'href="/static/favicon.{svg}.svg"' in page
    assert "/static/favicon.svg" not in page


def _inline_styles(html: str) -> list[str]:
    return re.findall(r"<style>(.*?)</style>", html, flags=re.S)


def _csp_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def _rules(css: str) -> str:
    """CSS with comments and all whitespace removed, for comparing two writings of it."""
    return re.sub(r"\s+", "", re.sub(r"/\*.*?\*/", "", css, flags=re.S))


@pytest.mark.parametrize(
    ("path", "area_css"),
    [
        ("/", None),
        ("/calendrier", "programme.css"),
        ("/pass", "pass.css"),
        ("/verifier", "badges.css"),
        ("/page-that-does-not-exist", None),
    ],
)
def test_stylesheets_are_inlined_in_one_element_allowed_by_its_hash(
    client: FlaskClient, path: str, area_css: str | None
) -> None:
    response = client.get(path)
    html = response.get_data(as_text=True)
    # One <style> in the head, no stylesheet to wait for: app.css, then the area's own.
    styles = _inline_styles(html)
    assert len(styles) == 1
    assert html.index("<style>") < html.index("</head>")
    assert 'rel="stylesheet"' not in html
    sources = [APP_CSS.decode()]
    if area_css:
        sources.append((STATIC / "css" / area_css).read_text())
    # The same rules as the files, comments and layout spaces aside (the test's own reading).
    assert _rules(styles[0]) == _rules("\n".join(sources))
    assert len(styles[0]) < 0.9 * len("\n".join(sources))  # lighter than the files
    expected = styles[0]
    # The policy allows exactly this element, by its SHA-256, and nothing inline else.
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    style_src = next(d for d in csp.split("; ") if d.startswith("style-src "))
    assert style_src == f"style-src 'self' {_csp_hash(expected)}"
    assert "script-src 'self';" in csp


def test_a_response_without_a_page_keeps_the_strict_policy(client: FlaskClient) -> None:
    response = client.get(f"/static/css/app.{DIGEST}.css")
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self';" in csp and "sha256" not in csp


def test_a_fingerprinted_name_is_cached_for_a_year(client: FlaskClient) -> None:
    response = client.get(f"/static/css/app.{DIGEST}.css")
    assert response.status_code == 200
    assert response.data == APP_CSS
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    cache = response.cache_control
    assert cache.public and cache.max_age == 31536000 and cache.immutable
    assert "Content-Encoding" not in response.headers  # compression is off unless switched on


def test_plain_and_outdated_names_are_revalidated(client: FlaskClient) -> None:
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.data == APP_CSS
    assert plain.cache_control.no_cache and not plain.cache_control.max_age
    again = client.get("/static/css/app.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # A page cached during a deploy asks for the previous fingerprint: it gets today's file,
    # not kept for long.
    old = client.get("/static/css/app.0123456789ab.css")
    assert old.status_code == 200 and old.data == APP_CSS
    assert old.cache_control.no_cache and not old.cache_control.immutable


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/nothing.css",
        "/static/css/nothing.0123456789ab.css",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/static/css",
    ],
)
def test_unknown_files_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.fixture
def compressing(app: Flask, tmp_dir: Path) -> FlaskClient:
    """The same app with MAIRIEBUS_COMPRESS=1 (no reverse proxy compressing)."""
    return create_app(base_config(tmp_dir, COMPRESS_RESPONSES=True)).test_client()


def test_compression_switch(compressing: FlaskClient) -> None:
    css = compressing.get(f"/static/css/app.{DIGEST}.css", headers={"Accept-Encoding": "br"})
    assert css.headers["Content-Encoding"] == "br"
    assert brotli.decompress(css.data) == APP_CSS
    assert len(css.data) < len(APP_CSS) / 2
    assert "Accept-Encoding" in css.headers["Vary"]
    assert css.cache_control.immutable
    page = compressing.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.data).decode("utf-8")
    assert re.search(r"<h1[^>]*>", html)
    # The page, its stylesheets inlined, weighs well under 10 KB on the wire.
    assert len(page.data) < 10_000
    script = compressing.get("/static/js/collect.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(script.data) == (STATIC / "js" / "collect.js").read_bytes()
    # A browser that asks for nothing gets plain bytes.
    plain = compressing.get(f"/static/css/app.{DIGEST}.css")
    assert "Content-Encoding" not in plain.headers and plain.data == APP_CSS
