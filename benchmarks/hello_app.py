"""The baseline: a bare Flask app answering "hello", served the same way as Mairie Bus."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"


@app.get("/page")
def bare_page() -> str:
    """The smallest real page a phone can paint: the floor of ``first_paint.py``."""
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Bonjour</title></head><body><p>Bonjour</p></body></html>"
    )


@app.get("/saved/<name>")
def saved_page(name: str) -> str:
    """A page saved from Mairie Bus (``first_paint.py --saved DIR``), served as a plain file:
    what Chromium spends on that HTML and CSS alone, without our server."""
    import os
    from pathlib import Path

    from flask import abort

    folder = Path(os.environ.get("SAVED_PAGES_DIR", "/nonexistent"))
    path = folder / f"{name}.html"
    if "/" in name or not path.is_file():
        abort(404)
    return path.read_text(encoding="utf-8")
