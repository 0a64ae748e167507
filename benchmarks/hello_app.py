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
