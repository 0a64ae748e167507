"""The SMS sender: off by default; the HTTP sender POSTs JSON to a gateway (here one on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from app.sms import HttpSmsSender, NullSmsSender, SmsError, get_sender, sms_enabled


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"auth": self.headers.get("Authorization"), **json.loads(body)})
            self.send_response(202 if self.path == "/sms" else 500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_off_by_default(app_ctx: Flask) -> None:
    assert not sms_enabled()
    assert isinstance(get_sender(), NullSmsSender)


def test_http_sender_posts_json_with_the_token(app_ctx: Flask, gateway) -> None:  # type: ignore[no-untyped-def]
    url, received = gateway
    app_ctx.config.update(SMS_PROVIDER_URL=url + "/sms", SMS_PROVIDER_TOKEN="jeton-de-test")
    try:
        sender = get_sender()
        assert isinstance(sender, HttpSmsSender)
        sender.send("+33612345678", "Le bus passe demain à Boudème")
    finally:
        app_ctx.config.update(SMS_PROVIDER_URL=None, SMS_PROVIDER_TOKEN=None)
    assert received == [
        {
            "auth": "Bearer jeton-de-test",
            "to": "+33612345678",
            "text": "Le bus passe demain à Boudème",
        }
    ]


def test_gateway_errors_are_sms_errors(gateway) -> None:  # type: ignore[no-untyped-def]
    url, _received = gateway
    with pytest.raises(SmsError):
        HttpSmsSender(url + "/broken").send("+33612345678", "test")
    with pytest.raises(SmsError):
        HttpSmsSender("http://127.0.0.1:1/sms").send("+33612345678", "test")
