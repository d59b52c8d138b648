"""Durations as people write them: ``1h``, ``15m``, ``90s``, ``1h30m``, or a number of seconds.

The world file, the HTTP API and the command all take them; the API also takes a plain number.
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse(value: str | int) -> int:
    """Seconds; ValueError for anything else (an empty text, a negative number, ``1d``)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is not a duration")
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    found = _DURATION.fullmatch(text)
    if not text or found is None:
        raise ValueError(f"{value!r} is not a duration (such as 1h, 15m, 90s or 1h30m)")
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds


def show(seconds: float) -> str:
    """The shortest way to write it back: 3600 is ``1h``, 5400 ``1h30m``, 5 ``5s``."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return "".join(f"{amount}{unit}" for amount, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if amount)
