"""The emulator's answer to a request an SDK repeats (scripts/emulator/repeated_requests.py),
against a WSGI application that counts what it serves."""

from __future__ import annotations

import threading

from scripts.emulator.repeated_requests import RepeatsAnsweredOnce


class Counting:
    """A WSGI application answering `status` with the number of requests it has served."""

    def __init__(self, status: str = "200 OK", hold: threading.Event | None = None) -> None:
        self.status, self.hold, self.served = status, hold, 0
        self.entered = threading.Event()

    def __call__(self, environ, start_response):
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(5)
        self.served += 1
        start_response(self.status, [("Content-Type", "text/plain")])
        return [str(self.served).encode()]


def ask(app, invocation: str | None = "one", method: str = "POST") -> tuple[str, bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": "/"}
    if invocation:
        environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
    answered = {}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: answered.update(s=status)))
    return answered["s"], body


def test_a_repeat_gets_the_first_answer_and_a_new_invocation_is_served():
    served = Counting()
    app = RepeatsAnsweredOnce(served)
    assert ask(app) == ("200 OK", b"1")
    assert ask(app) == ("200 OK", b"1")
    assert ask(app, "two") == ("200 OK", b"2")
    assert served.served == 2


def test_reads_requests_without_an_invocation_and_server_errors_are_served_anew():
    served = Counting("500 Internal Server Error")
    app = RepeatsAnsweredOnce(served)
    assert ask(app)[1] == b"1" and ask(app)[1] == b"2"
    reads = RepeatsAnsweredOnce(Counting())
    assert ask(reads, method="GET")[1] == b"1" and ask(reads, method="GET")[1] == b"2"
    assert ask(reads, None)[1] == b"3" and ask(reads, None)[1] == b"4"


def test_a_repeat_arriving_while_the_first_is_served_waits_for_its_answer():
    hold = threading.Event()
    served = Counting(hold=hold)
    app = RepeatsAnsweredOnce(served)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(ask(app))) for _ in range(2)]
    threads[0].start()
    assert served.entered.wait(5)
    threads[1].start()
    threads[1].join(0.2)
    assert not answers, "the repeat was answered before the first"
    hold.set()
    for thread in threads:
        thread.join(10)
    assert answers == [("200 OK", b"1")] * 2
    assert served.served == 1


def test_only_the_last_answers_are_remembered():
    served = Counting()
    app = RepeatsAnsweredOnce(served, remembered=2)
    for invocation in ("a", "b", "c"):
        ask(app, invocation)
    assert ask(app, "c")[1] == b"3"
    assert ask(app, "a")[1] == b"4"
