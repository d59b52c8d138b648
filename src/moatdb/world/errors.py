"""The one error of a world file: where it is refused, and why, on one line."""

from __future__ import annotations


class WorldError(ValueError):
    """``str()`` is ``FILE:LINE: reason`` (the line of the offending node), or ``FILE: reason`` for
    what concerns the file as a whole (it cannot be read, or a data directory already holds a
    world). Always one line, so it can be printed as a command's error or logged as is."""

    def __init__(self, file: str, line: int | None, reason: str):
        self.file = file
        self.line = line
        self.reason = " ".join(reason.splitlines())
        super().__init__(f"{file}:{line}: {self.reason}" if line is not None else f"{file}: {self.reason}")
