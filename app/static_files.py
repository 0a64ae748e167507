"""Static files with fingerprinted names, cached for a year by browsers; optional compression.

Every ``url_for('static', filename='css/app.css')`` in the templates builds
``/static/css/app.1a2b3c4d5e6f.css``: the name carries the first 12 hex digits of the file's
SHA-256. A fingerprinted URL never changes content, so it is served with
``Cache-Control: public, max-age=31536000, immutable``: a phone downloads a stylesheet once,
then every page paints from its cache with no request at all. A plain name (``/static/css/
app.css``, e.g. an old bookmark) and an outdated fingerprint (a page cached during a deploy)
still get the current file, but revalidated on each use (``no-cache`` with an ETag).

Compression (``MAIRIEBUS_COMPRESS=1``): pages and text files are sent with brotli or gzip
(whichever the browser accepts) through Flask-Compress. Leave it off behind a reverse proxy that
compresses already (nginx ``gzip on``, Caddy ``encode``), as the README says.

Stylesheets inlined (``page_styles``): a page's stylesheets (``app.css`` plus the area's own,
e.g. ``collect.css``) are written into one ``<style>`` element in its ``<head>``, so a phone on
a slow network paints the page as soon as the HTML arrives, without waiting for one more round
trip per stylesheet (measured in ``benchmarks/first_paint.py``). The Content-Security-Policy
allows exactly that element through its SHA-256 hash (``style-src 'self' 'sha256-…'``), never
``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, g, request
from markupsafe import Markup
from werkzeug.security import safe_join

#: One year: the longest lifetime browsers honour, for URLs whose content never changes.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
DIGEST_LENGTH = 12
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    """A static file read once: its bytes, fingerprint and type."""

    data: bytes
    digest: str
    mimetype: str
    mtime_ns: int

    @property
    def etag(self) -> str:
        return self.digest


class StaticAssets:
    """The files of the static folder, read on first use and kept in memory (they are small).

    In debug mode a changed file is read again (its modification time is checked on each use).
    """

    def __init__(self, folder: str | Path, check_changes: bool = False) -> None:
        self.folder = Path(folder)
        self.check_changes = check_changes
        self._assets: dict[str, Asset | None] = {}
        self._lock = threading.Lock()

    def get(self, filename: str) -> Asset | None:
        """The asset at ``filename`` (relative to the folder), or None."""
        with self._lock:
            asset = self._assets.get(filename)
        if filename in self._assets and not self.check_changes:
            return asset
        path = safe_join(str(self.folder), filename)
        if path is None:
            return None
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        if asset is not None and asset.mtime_ns == stat.st_mtime_ns:
            return asset
        if not Path(path).is_file():
            return None
        data = Path(path).read_bytes()
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype in ("application/javascript", "image/svg+xml"):
            mimetype += "; charset=utf-8"
        asset = Asset(
            data, hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH], mimetype, stat.st_mtime_ns
        )
        with self._lock:
            self._assets[filename] = asset
        return asset

    def fingerprinted(self, filename: str) -> str:
        """``css/app.css`` -> ``css/app.<digest>.css`` (unchanged when the file is unknown)."""
        asset = self.get(filename)
        if asset is None:
            return filename
        stem, dot, suffix = filename.rpartition(".")
        if not dot or "/" in suffix:
            return f"{filename}.{asset.digest}"
        return f"{stem}.{asset.digest}.{suffix}"


@dataclass(frozen=True)
class InlineStyle:
    """Stylesheets joined into one ``<style>`` element, with the CSP source that allows it."""

    css: str
    csp_source: str

    @property
    def markup(self) -> Markup:
        return Markup(f"<style>{self.css}</style>")


#: A stylesheet link as the templates write it: ``<link rel="stylesheet" href="…">``.
_STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="(?P<href>[^"]+)">\s*')


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
_CSS_AROUND = re.compile(r"\s*([{};,>])\s*")


def compact_css(css: str) -> str:
    """``css`` without comments and needless spaces: every page carries it, on a phone's data.

    Only whitespace around ``{ } ; , >`` and runs of whitespace go; spaces inside values and
    selectors (``a :hover``, ``"– "``) keep their meaning.
    """
    css = _CSS_COMMENT.sub("", css)
    css = _CSS_SPACE.sub(" ", css)
    return _CSS_AROUND.sub(r"\1", css).strip()


def inline_style(assets: StaticAssets, filenames: tuple[str, ...]) -> InlineStyle | None:
    """The CSS of ``filenames`` (relative to the static folder) joined in one element.

    None when a file is missing or could end the ``<style>`` element early (the page then links
    the files as before).
    """
    parts = []
    for filename in filenames:
        asset = assets.get(filename)
        if asset is None or not asset.mimetype.startswith("text/css"):
            return None
        css = asset.data.decode("utf-8")
        if "</" in css:
            return None
        parts.append(compact_css(css))
    css = "\n".join(parts)
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return InlineStyle(css, f"'sha256-{digest}'")


def page_styles(head: str, base: str = "css/app.css") -> Markup:
    """The ``<head>`` markup of a page with its stylesheets inlined in one ``<style>``.

    ``head`` is what the page's ``head`` block rendered (an area's ``<link rel="stylesheet">``
    to a static file, anything else); ``base`` is the stylesheet every page uses. Links to our
    own static stylesheets become part of the inline element, in the order written, after
    ``base``; the rest of ``head`` is kept as it is. The element's hash is recorded for the
    Content-Security-Policy of this response.
    """
    assets = _assets()
    static_prefix = current_app.static_url_path.rstrip("/") + "/"
    filenames = [base]
    for match in _STYLESHEET_LINK.finditer(head):
        href = match["href"]
        if not href.startswith(static_prefix):
            continue
        filename = _current_name(assets, href[len(static_prefix) :])
        if filename and filename not in filenames:
            filenames.append(filename)

    def keep_others(match: re.Match[str]) -> str:
        href = match["href"]
        return "" if href.startswith(static_prefix) else match[0]

    cache = current_app.extensions["mairiebus_inline_styles"]
    key = tuple(filenames)
    style = cache.get(key) if not assets.check_changes else None
    if style is None:
        style = inline_style(assets, key)
        if style is None:  # fall back to links
            links = "".join(
                f'<link rel="stylesheet" href="{static_prefix}{assets.fingerprinted(name)}">'
                for name in filenames
            )
            return Markup(links + _STYLESHEET_LINK.sub(keep_others, head))
        cache[key] = style
    add_style_sources([style.csp_source])
    return style.markup + Markup(_STYLESHEET_LINK.sub(keep_others, head))


def _current_name(assets: StaticAssets, filename: str) -> str | None:
    """``css/collect.1a2b3c4d5e6f.css`` -> ``css/collect.css`` (None when unknown)."""
    if assets.get(filename) is not None:
        return filename
    match = _FINGERPRINTED.match(filename)
    if match is None:
        return None
    plain = match["stem"] + match["suffix"]
    return plain if assets.get(plain) is not None else None


def style_sources() -> list[str]:
    """The CSP sources (hashes) of the inline styles this request's page carries."""
    return list(g.get("csp_style_sources", ()))


def add_style_sources(new: list[str] | tuple[str, ...]) -> None:
    """Allow these inline styles in this request's CSP (a page rendered or served from a store)."""
    sources = g.setdefault("csp_style_sources", [])
    sources.extend(source for source in new if source not in sources)


def _assets() -> StaticAssets:
    return current_app.extensions["mairiebus_static"]


def serve_static(filename: str) -> Response:
    """The static view: fingerprinted names cached for a year, plain names revalidated."""
    assets = _assets()
    asset = assets.get(filename)
    immutable = False
    if asset is None:
        match = _FINGERPRINTED.match(filename)
        if match is None:
            abort(404)
        asset = assets.get(match["stem"] + match["suffix"])
        if asset is None:
            # A file named like ``x.<hex>`` without a suffix.
            asset = assets.get(match["stem"]) if not match["suffix"] else None
        if asset is None:
            abort(404)
        immutable = asset.digest == match["digest"]
    response = Response(asset.data, content_type=asset.mimetype)
    response.set_etag(asset.etag)
    if immutable:
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Fingerprint ``url_for('static', …)`` and serve static files with cache headers."""
    assets = StaticAssets(app.static_folder or "static", check_changes=app.debug)
    app.extensions["mairiebus_static"] = assets
    app.extensions["mairiebus_inline_styles"] = {}
    app.jinja_env.globals["page_styles"] = page_styles
    app.view_functions["static"] = serve_static

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict[str, object]) -> None:
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = assets.fingerprinted(str(values["filename"]))

    if app.config.get("COMPRESS_RESPONSES"):
        from flask_compress import Compress

        app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
        app.config.setdefault("COMPRESS_MIN_SIZE", 500)
        app.config.setdefault("COMPRESS_STREAMS", False)  # large CSV downloads stream as they are
        app.config.setdefault(
            "COMPRESS_MIMETYPES",
            [
                "text/html",
                "text/css",
                "text/csv",
                "text/plain",
                "text/calendar",
                "text/javascript",
                "application/javascript",
                "application/json",
                "image/svg+xml",
            ],
        )
        Compress(app)
