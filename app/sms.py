"""Text messages: a pluggable sender, off by default.

``SMS_PROVIDER_URL`` turns it on: the app then POSTs JSON ``{"to": "+33…", "text": "…"}`` to that
URL with ``Authorization: Bearer SMS_PROVIDER_TOKEN`` (most French SMS gateways accept this shape
or sit behind a small adapter). Another provider is one class with a ``send`` method.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Protocol

import phonenumbers
from flask import current_app

TIMEOUT_SECONDS = 15


class SmsError(Exception):
    """The provider refused the message or could not be reached."""


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the phone number ``to`` (E.164); raise :class:`SmsError` on failure."""


class NullSmsSender:
    """The default: SMS are off, nothing is sent."""

    def send(self, to: str, text: str) -> None:
        return None


class HttpSmsSender:
    """POST each message as JSON to an HTTP gateway."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                if not 200 <= answer.status < 300:
                    raise SmsError(f"SMS provider answered {answer.status}")
        except OSError as error:
            raise SmsError(f"SMS provider unreachable: {error!r}") from error


def normalise_phone(typed: str) -> str | None:
    """The E.164 form of a phone number as people write it, or None when it is not one.

    French numbers as written here (``06 12 34 56 78``, ``06.12.34.56.78``, ``+33 (0)6…``,
    ``0033 6…``) and any other country in its ``+`` or ``00`` form; Google's libphonenumber
    data (the ``phonenumbers`` package) says which numbers exist.
    """
    try:
        number = phonenumbers.parse(typed, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sms_enabled() -> bool:
    return bool(current_app.config.get("SMS_PROVIDER_URL"))


def get_sender() -> SmsSender:
    """The configured sender (the null one when ``SMS_PROVIDER_URL`` is unset)."""
    url = current_app.config.get("SMS_PROVIDER_URL")
    if not url:
        return NullSmsSender()
    return HttpSmsSender(str(url), current_app.config.get("SMS_PROVIDER_TOKEN"))
