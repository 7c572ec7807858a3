"""A request an AWS SDK sends again because it lost the answer is answered as the first time.

An AWS SDK repeats a request whose answer did not reach it (a connection reset, a timeout:
https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) with the same
`amz-sdk-invocation-id` header; `amz-sdk-request: attempt=<n>; max=<m>` counts the attempts (the
AWS provider's debug log here shows both on a repeated IAM GetUser; not from an AWS page). On AWS
such losses are rare; on this emulator a loaded two-core host loses some, and the repeat of a
create then fails as a duplicate no client made: a fresh emulator's management apply once failed
with DuplicatePolicyException on its own freeze SCP, whose CreatePolicy the provider had sent
twice. So the server keeps its answers to the last requests that may change something (any
method but GET and HEAD), by invocation id, and answers a repeat of one it carried out with the
same answer, waiting for it if the first is still being served. A server error or a throttle is
not kept: that request is served anew, as AWS would. A second request with an invocation id of
its own is a new request, and AWS's rules (EntityAlreadyExists, …) answer it as ever.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

INVOCATION_ID = "HTTP_AMZ_SDK_INVOCATION_ID"
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
# An SDK repeats within seconds (the Go SDK's longest back-off is 20 s): the answers of the last
# few thousand requests cover that at any rate this server reaches, at a few MB.
REMEMBERED_ANSWERS = 2000
LARGEST_KEPT_BODY = 64 * 2**10
SERVED_ANEW = ("429", "5")
WAIT_FOR_THE_FIRST_SECONDS = 300


class _Answer:
    def __init__(self) -> None:
        self.served = threading.Event()
        self.kept = False
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.body = b""


class RepeatsAnsweredOnce:
    """WSGI middleware around the emulator's application (see the module's docstring)."""

    def __init__(self, app: Callable, remembered: int = REMEMBERED_ANSWERS) -> None:
        self.app = app
        self.remembered = remembered
        self.answers: OrderedDict[str, _Answer] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        invocation = environ.get(INVOCATION_ID)
        if not invocation or environ.get("REQUEST_METHOD") in READ_ONLY_METHODS:
            return self.app(environ, start_response)
        with self.lock:
            earlier = self.answers.get(invocation)
            if earlier is None:
                answer = self.answers[invocation] = _Answer()
                while len(self.answers) > self.remembered:
                    self.answers.popitem(last=False)
        if earlier is not None:
            earlier.served.wait(WAIT_FOR_THE_FIRST_SECONDS)
            if earlier.kept:
                print(
                    f"Repeated request (invocation {invocation}: "
                    f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}) answered as "
                    "the first time",
                    file=sys.stderr,
                    flush=True,
                )
                start_response(earlier.status, earlier.headers)
                return [earlier.body]
            return self.app(environ, start_response)
        return self._serve_first(invocation, answer, environ, start_response)

    def _serve_first(
        self, invocation: str, answer: _Answer, environ: dict, start_response: Callable
    ) -> Iterable[bytes]:
        def capture(status: str, headers: list, exc_info=None) -> Callable:
            answer.status, answer.headers = status, list(headers)
            return start_response(status, headers, exc_info)

        try:
            served = self.app(environ, capture)
            try:
                answer.body = b"".join(served)
            finally:
                getattr(served, "close", lambda: None)()
            answer.kept = (
                not answer.status.startswith(SERVED_ANEW) and len(answer.body) <= LARGEST_KEPT_BODY
            )
            return [answer.body]
        finally:
            if not answer.kept:
                answer.body = b""
                with self.lock:
                    self.answers.pop(invocation, None)
            answer.served.set()
