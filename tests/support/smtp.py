"""A real SMTP server on a free loopback port (aiosmtpd), collecting what it receives.

Tests point ``MAIL_URL`` at it and wait on its condition for messages to arrive: no mock, no sleep.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_WAIT_SECONDS = 60.0  # generous: a loaded 2-core machine may be slow to deliver


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """What the server received, in order; :meth:`wait_for` blocks until enough arrived."""

    messages: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._changed:
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = DEFAULT_WAIT_SECONDS) -> list[Received]:
        """Return the first ``count`` messages once they arrived; fail if they never do."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.messages) >= count, timeout)
            assert arrived, f"expected {count} email(s), got {len(self.messages)}"
            return list(self.messages[:count])

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """Start/stop an aiosmtpd server; ``url`` is the ``MAIL_URL`` to use."""

    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.port = free_port()
        self._controller = Controller(
            self.sink, hostname="127.0.0.1", port=self.port, ready_timeout=DEFAULT_WAIT_SECONDS
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
