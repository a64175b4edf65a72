"""Faults the fake ARM server (fake_arm.py) can inject, for the requester's fault tests.

Each function returns a behaviour: a callable taking the werkzeug request and returning the response to
send, for `FakeArm.inject(method, path_pattern, behaviour, times)`. Everything stays on 127.0.0.1 and
every delay is bounded (at most `MAX_DELAY` seconds), so a test can never hang on the server.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

from werkzeug import Request, Response

MAX_DELAY = 3.0
"""The longest any fault makes the client wait, in seconds."""

Behaviour = Callable[[Request], Response]


def status(code: int, error_code: str = "Fault", message: str = "injected fault", **headers: str) -> Behaviour:
    """An ARM error answer (CloudError shape) with the given HTTP status and headers."""

    def answer(_request: Request) -> Response:
        body = json.dumps({"error": {"code": error_code, "message": message}})
        return Response(body, status=code, headers=headers, content_type="application/json; charset=utf-8")

    return answer


def throttle(retry_after: str) -> Behaviour:
    """429 Too Many Requests with this `Retry-After` header (a number, a date, `inf`, or garbage)."""
    return status(429, "TooManyRequests", "Rate limit exceeded", **{"Retry-After": retry_after})


def raw(body: str | bytes, code: int = 200, content_type: str = "application/json") -> Behaviour:
    """Any body with any content type: HTML from a proxy, an empty body, broken JSON."""

    def answer(_request: Request) -> Response:
        return Response(body, status=code, content_type=content_type)

    return answer


def json_answer(document: Any, code: int = 200) -> Behaviour:
    """A JSON document, for answers of the wrong shape."""
    return raw(json.dumps(document), code)


def reset() -> Behaviour:
    """Close the connection with a TCP reset instead of answering."""

    def answer(request: Request) -> Response:
        connection = request.environ["werkzeug.socket"]
        # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset by peer".
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        return Response("", status=500)

    return answer


def slow_body(document: Any, pause: float) -> Behaviour:
    """Send the headers and the first byte of a JSON body, then pause (bounded) before the rest."""
    pause = min(pause, MAX_DELAY)
    text = json.dumps(document).encode()

    def chunks() -> Iterator[bytes]:
        yield text[:1]
        time.sleep(pause)
        yield text[1:]

    def answer(_request: Request) -> Response:
        return Response(chunks(), status=200, content_type="application/json", direct_passthrough=True)

    return answer


def slow(behaviour: Behaviour, pause: float) -> Behaviour:
    """Wait (bounded) before answering at all."""

    def answer(request: Request) -> Response:
        time.sleep(min(pause, MAX_DELAY))
        return behaviour(request)

    return answer
