"""The SMS sender: off by default; the HTTP sender POSTs JSON to a gateway (here one on 127.0.0.1)."""

from __future__ import annotations

import pytest
from flask import Flask

from app.sms import (
    HttpSmsSender,
    NullSmsSender,
    SmsError,
    get_sender,
    normalise_phone,
    sms_enabled,
)


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


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("07-81-22-33-44", "+33781223344"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("04 42 00 00 00", "+33442000000"),
        ("+32 470 12 34 56", "+32470123456"),
        ("  0612345678 ", "+33612345678"),
        ("06 12 34", None),
        ("+33 06 12 34 56 78 9", None),
        ("0012", None),
        ("00 12 34 56 78", None),
        ("douze", None),
        ("", None),
    ],
)
def test_phone_numbers_as_people_write_them(typed: str, expected: str | None) -> None:
    assert normalise_phone(typed) == expected
