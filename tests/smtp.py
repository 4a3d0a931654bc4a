"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can be told to misbehave.

Use the `smtp_server` fixture for the server alone, `smtp_mailer` to also point the outbox's
mailer at it:

    def test_something(smtp_mailer):
        smtp_mailer.refuse("bounce@example.org")           # 550 for that recipient
        smtp_mailer.answer_next_data("421 4.3.2 Busy")      # the next DATA is refused, 421
        smtp_mailer.store_next_then_drop()                  # kept, then the connection drops: no reply
        smtp_mailer.stop(); ...; smtp_mailer.start()        # down for a while (connection refused)
        smtp_mailer.recipients()                             # every recipient, once per delivery
"""

import asyncio
import email
import email.policy
import socket
import threading
from collections import deque
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class ScriptedHandler:
    def __init__(self):
        self.received: list[Received] = []
        self.refused: dict[str, str] = {}
        self.data_replies: deque[str] = deque()
        self.delay = 0.0
        # Hold the reply to the n-th message (1-based) until `release` is set: a message in flight.
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.connections = 0
        # Store the next n messages, then drop the connection instead of answering: a server that
        # dies between keeping a message and saying so (the client cannot tell it was kept).
        self.drop_after_storing = 0
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One EHLO per SMTP session: counts the connections a client opened.
        session.host_name = hostname
        with self._lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            scripted = self.data_replies.popleft() if self.data_replies else None
        if scripted and not scripted.startswith("2"):
            return scripted
        with self._lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                )
            )
            count = len(self.received)
        if self.hold_at == count:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        with self._lock:
            drop, self.drop_after_storing = self.drop_after_storing > 0, max(self.drop_after_storing - 1, 0)
        if drop:
            server.transport.abort()
            return "421 4.3.0 (never sent: the connection is gone)"
        return scripted or "250 2.0.0 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SMTPServer:
    def __init__(self):
        self.handler = ScriptedHandler()
        self.host = HOST
        self.port = free_port()
        self._controller: Controller | None = None

    # --- running -------------------------------------------------------------------------
    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Down: connections are refused until start() again (same port)."""
        if self._controller is not None:
            self.handler.release.set()
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    # --- scripting -----------------------------------------------------------------------
    def refuse(self, address: str, reply: str = "550 5.1.1 <{address}>: Recipient address rejected") -> None:
        self.refused[address.lower()] = reply.format(address=address)

    @property
    def refused(self) -> dict[str, str]:
        return self.handler.refused

    def store_next_then_drop(self, count: int = 1) -> None:
        """The next `count` messages are kept, then the connection is dropped before the reply."""
        self.handler.drop_after_storing += count

    def answer_next_data(self, *replies: str) -> None:
        """The next DATA commands get these replies (a 4xx or 5xx is not delivered)."""
        self.handler.data_replies.extend(replies)

    # --- what arrived --------------------------------------------------------------------
    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    @property
    def connections(self) -> int:
        return self.handler.connections

    def recipients(self) -> list[str]:
        return [rcpt for item in self.received for rcpt in item.rcpt_tos]


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mailer(smtp_server, settings):
    """The outbox sends through `smtp_server` (a real SMTP conversation over loopback)."""
    settings.MAILERS = {
        **settings.MAILERS,
        settings.OUTBOX_MAILER: {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 5},
        },
    }
    return smtp_server
