"""Alarms: every event goes to the log (logger ``moatdb.breakglass``) at once, and to every webhook
the world configures, as a JSON POST, from a background thread per webhook.

A webhook that is down or slow never holds up the emergency: delivery is queued and retried with
backoff (0.5 s, 1 s, 2 s, ... up to ``attempts`` tries), and given up on with an error in the log. A
webhook with a ``secret`` gets ``X-Moatdb-Signature: sha256=HEX``, the HMAC-SHA256 of the body under
it, so its receiver can tell moatdb's alarms from anyone's POST.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import orjson

from moatdb.breakglass.events import Event
from moatdb.breakglass.settings import Webhook

log = logging.getLogger("moatdb.breakglass")
USER_AGENT = "moatdb-break-glass"


class Alarms:
    def __init__(self, webhooks: Callable[[], tuple[Webhook, ...]], *, attempts: int = 6, backoff: float = 0.5,
                 timeout: float = 3.0):
        self._webhooks = webhooks  # read at each event: the world's current list
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._couriers: dict[Webhook, _Courier] = {}
        self._lock = threading.Lock()

    def sound(self, event: Event) -> None:
        payload = event.payload()
        body = orjson.dumps(payload)
        level = logging.CRITICAL if event.severity == "critical" else logging.WARNING
        log.log(level, "%s", body.decode(), extra={"breakglass": payload})
        for webhook in self._webhooks():
            self._courier(webhook).post(body)

    def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) for every queued POST to be delivered or given up on:
        for a short-lived process, such as a command unsealing on the data directory."""
        deadline = time.monotonic() + timeout
        with self._lock:
            couriers = list(self._couriers.values())
        return all(courier.idle(deadline) for courier in couriers)

    def _courier(self, webhook: Webhook) -> _Courier:
        with self._lock:
            courier = self._couriers.get(webhook)
            if courier is None:
                courier = self._couriers[webhook] = _Courier(webhook, self._attempts, self._backoff, self._timeout)
                courier.start()
            return courier


class _Courier(threading.Thread):
    """Delivers to one webhook, in order of due time: a retry waits its turn without blocking the
    others' first tries, and one webhook's trouble never delays another's."""

    def __init__(self, webhook: Webhook, attempts: int, backoff: float, timeout: float):
        super().__init__(name=f"break-glass webhook {webhook.url}", daemon=True)
        self.webhook = webhook
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._due: list[tuple[float, int, bytes, int]] = []  # (when, order, body, attempts made)
        self._order = itertools.count()
        self._busy = 0  # POSTs queued or in flight
        self._changed = threading.Condition()
        self._opener = urllib.request.build_opener()

    def post(self, body: bytes) -> None:
        with self._changed:
            heapq.heappush(self._due, (time.monotonic(), next(self._order), body, 0))
            self._busy += 1
            self._changed.notify_all()

    def idle(self, deadline: float) -> bool:
        with self._changed:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(None if not self._due else self._due[0][0] - time.monotonic())
                _, _, body, made = heapq.heappop(self._due)
            made += 1
            problem = self._deliver(body)
            with self._changed:
                if problem is None:
                    self._busy -= 1
                elif made < self._attempts:
                    delay = self._backoff * 2 ** (made - 1)
                    log.warning("webhook %s: %s (attempt %d of %d; again in %gs)", self.webhook.url, problem, made,
                                self._attempts, delay)
                    heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), body, made))
                else:
                    log.error("webhook %s: %s; gave up on this alarm after %d attempts", self.webhook.url, problem,
                              made)
                    self._busy -= 1
                self._changed.notify_all()

    def _deliver(self, body: bytes) -> str | None:
        """None once the webhook took it (a 2xx answer); else what went wrong."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.webhook.secret is not None:
            signature = hmac.new(self.webhook.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Moatdb-Signature"] = f"sha256={signature}"
        request = urllib.request.Request(self.webhook.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as answer:
                answer.read()
                return None
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}"
        except (OSError, ValueError) as error:  # refused, unreachable, timed out, a malformed URL
            return str(getattr(error, "reason", None) or error)


