"""Alarms (breakglass/alarms.py): each event to the log at once and to every webhook as a JSON POST
from a background thread, retried with backoff, never holding up the step that sounded it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.events import Event
from moatdb.breakglass.settings import Webhook
from tests.conftest import free_port


class Receiver(ThreadingHTTPServer):
    """A webhook on 127.0.0.1: answers 500 to its first ``failures`` POSTs, and waits ``delay`` first."""

    daemon_threads = True

    def __init__(self, failures: int = 0, delay: float = 0.0):
        self.received: list[tuple[dict, dict]] = []  # (headers, JSON body) of the POSTs it took
        self.tries = 0
        self.failures = failures
        self.delay = delay
        self.changed = threading.Condition()
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alarms"

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[dict, dict]]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        server: Receiver = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(server.delay)
        with server.changed:
            server.tries += 1
            failing = server.tries <= server.failures
            if not failing:
                server.received.append((dict(self.headers), json.loads(body) | {"_raw": body.decode()}))
            server.changed.notify_all()
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receivers():
    started: list[Receiver] = []

    def make(**behaviour) -> Receiver:
        started.append(Receiver(**behaviour))
        return started[-1]

    yield make
    for receiver in started:
        receiver.shutdown()
        receiver.server_close()


def an_event(kind: str = "requested") -> Event:
    return Event(kind, "oncall asks for break-glass", "bg-aaaaaaaaaaaa",
                 "arn:aws:iam::222222222222:role/break-glass", "arn:aws:iam::222222222222:user/oncall",
                 {"ticket": "INC-42"})


def test_an_event_reaches_every_webhook_as_json(receivers):
    first, second = receivers(), receivers()
    alarms = Alarms(lambda: (Webhook(first.url), Webhook(second.url)))
    event = an_event()

    alarms.sound(event)

    for receiver in (first, second):
        ((headers, body),) = receiver.wait(1)
        assert headers["Content-Type"] == "application/json"
        assert {k: v for k, v in body.items() if k != "_raw"} == event.payload()
        assert (body["event"], body["severity"], body["grant"]) == ("requested", "warning", "bg-aaaaaaaaaaaa")


def test_a_webhook_with_a_secret_can_tell_the_alarm_is_moatdbs(receivers):
    receiver = receivers()
    secret = "a-shared-secret-of-some-length"
    Alarms(lambda: (Webhook(receiver.url, secret),)).sound(an_event())

    ((headers, body),) = receiver.wait(1)

    expected = hmac.new(secret.encode(), body["_raw"].encode(), hashlib.sha256).hexdigest()
    assert headers["X-Moatdb-Signature"] == f"sha256={expected}"


def test_a_failing_webhook_gets_the_event_on_a_later_try(receivers):
    receiver = receivers(failures=2)
    alarms = Alarms(lambda: (Webhook(receiver.url),), attempts=4, backoff=0.05)

    alarms.sound(an_event())

    assert len(receiver.wait(1)) == 1
    assert receiver.tries == 3


def test_a_webhook_that_stays_down_is_given_up_on_with_an_error_in_the_log(caplog):
    down = f"http://127.0.0.1:{free_port()}/alarms"  # nothing listens there
    alarms = Alarms(lambda: (Webhook(down),), attempts=3, backoff=0.01)

    with caplog.at_level("WARNING", logger="moatdb.breakglass"):
        alarms.sound(an_event())
        assert alarms.flush(timeout=10)

    problems = [record for record in caplog.records if record.name == "moatdb.breakglass" and "webhook" in
                record.getMessage()]
    assert [record.levelname for record in problems] == ["WARNING", "WARNING", "ERROR"]
    assert "gave up on this alarm after 3 attempts" in problems[-1].getMessage()


def test_a_slow_webhook_holds_up_neither_the_step_nor_another_webhook(receivers):
    slow, quick = receivers(delay=2.0), receivers()
    alarms = Alarms(lambda: (Webhook(slow.url), Webhook(quick.url)))

    started = time.monotonic()
    alarms.sound(an_event())
    assert time.monotonic() - started < 0.5

    assert len(quick.wait(1, timeout=1.5)) == 1
    assert slow.received == []
    assert len(slow.wait(1)) == 1


def test_critical_events_are_logged_as_critical(caplog):
    with caplog.at_level("WARNING", logger="moatdb.breakglass"):
        Alarms(tuple).sound(an_event("unsealed"))

    (record,) = caplog.records
    assert record.levelname == "CRITICAL" and record.breakglass["severity"] == "critical"
