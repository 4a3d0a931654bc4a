"""`python -m bench.smtp_sink PORT FILE`: an SMTP server on 127.0.0.1 (aiosmtpd, as in tests/smtp.py)
that accepts everything and appends one line per delivered message to FILE:
`<Message-ID> <recipient>[ <recipient>...]`. Prints READY once it listens; runs until terminated.

A process of its own, so the server's Python work does not share a GIL with what is measured.
"""

import signal
import sys
import threading
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller


class RecordingHandler:
    def __init__(self, out):
        self.out = out
        self.parser = BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope):
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        self.out.write(f"{headers['Message-ID']} {' '.join(envelope.rcpt_tos)}\n")
        self.out.flush()
        return "250 2.0.0 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with open(path, "a", encoding="utf-8") as out:
        controller = Controller(RecordingHandler(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            print("READY", flush=True)
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
