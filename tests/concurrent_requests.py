"""Real concurrent requests for race tests on PostgreSQL.

Each request runs in its own thread with its own signed-in `django.test.Client` and so its own
database connection; all are released at once by a barrier and go through the whole stack
(middleware, the view, the service, the template). Use with
`@pytest.mark.django_db(transaction=True)` and the `postgres` marker.

Answers are read from the response's HTML, never from `response.context`: the test client
collects rendered templates through a global signal, so threads would see each other's.
"""

import html
import re
import threading
from dataclasses import dataclass

from django.db import connection
from django.test import Client

from tests.signin import force_login_with_mfa


@dataclass
class Answer:
    status: int  # of the first response (a 302 stays a 302)
    redirect: str  # where a 302 pointed, or ""
    text: str  # the final page's HTML, unescaped (after following redirects)
    error: BaseException | None = None

    def says(self, message: str) -> bool:
        return message in self.text

    @property
    def messages(self) -> list[str]:
        """The flash messages shown on the final page (base.html's message list)."""
        block = re.search(r'<ul class="messages".*?</ul>', self.text, re.S)
        if block is None:
            return []
        return [
            re.sub(r"\s+", " ", m).strip() for m in re.findall(r"<li[^>]*>(.*?)</li>", block.group(0), re.S)
        ]


def signed_in_client(user) -> Client:
    """A client signed in as `user`; staff as after the authenticator step (staff rights)."""
    return force_login_with_mfa(Client(raise_request_exception=False), user)


def _answer(client: Client, method: str, path: str, data: dict | None) -> Answer:
    first = getattr(client, method)(path, data or {})
    redirect = first["Location"] if first.status_code in (301, 302, 303) else ""
    final = first
    hops = 0
    while final.status_code in (301, 302, 303) and hops < 5:
        final = client.get(final["Location"])
        hops += 1
    return Answer(first.status_code, redirect, html.unescape(final.content.decode(errors="replace")))


def at_once(*requests: tuple[Client, str, str, dict | None]) -> list[Answer]:
    """Send (client, method, path, data) requests at the same moment; the answers in order."""
    barrier = threading.Barrier(len(requests))
    answers: list[Answer | None] = [None] * len(requests)

    def run(index, client, method, path, data):
        try:
            barrier.wait(timeout=20)
            answers[index] = _answer(client, method, path, data)
        except BaseException as error:  # noqa: BLE001 - the test inspects every outcome
            answers[index] = Answer(0, "", "", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers  # type: ignore[return-value]
