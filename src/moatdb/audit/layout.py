"""Where the trail lives on disk, and what its file names say.

```
<data-dir>/audit-signing-key.pem           the Ed25519 private key (0600), outside the trail
<data-dir>/audit/                          the trail: hand this folder over, and it verifies
  public-keys/<fingerprint>.pem            every key that ever signed a digest here
  active/<log file>                        files being written, one per worker (flock-held)
  logs/YYYY/MM/DD/<log file>               completed log files, by the UTC day they began
  digests/YYYY/MM/DD/<digest>              digest files, and each one's signature beside it (.sig)
  chain.lock                               serializes digest writers across worker processes
```

Names follow CloudTrail's (User Guide, "Finding your CloudTrail log files" and "CloudTrail digest
file structure"): ``ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMSSZ_UNIQUE.jsonl`` for a log file (the
time it began; UNIQUE names its writer: ``p<pid>-<n>``) and
``ACCOUNT_CloudTrail-Digest_REGION_YYYYMMDDTHHMMSSZ_<sequence>.json`` for a digest (the time it
ends; the sequence numbers the chain from 1, ten digits so names sort in chain order).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TRAIL = "audit"  # the trail's folder in a data directory; digests name it as CloudTrail names its bucket
KEY_FILE = "audit-signing-key.pem"
PUBLIC_KEYS = "public-keys"
ACTIVE = "active"
LOGS = "logs"
DIGESTS = "digests"
CHAIN_LOCK = "chain.lock"
SIGNATURE_SUFFIX = ".sig"

_STAMP = "%Y%m%dT%H%M%SZ"
_LOG_NAME = re.compile(r"(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{6}Z)_([A-Za-z0-9-]+)\.jsonl")
_DIGEST_NAME = re.compile(r"(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(\d{8}T\d{6}Z)_(\d{10})\.json")


def stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime(_STAMP)


def day_folder(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y/%m/%d")


def log_name(account: str, region: str, began: float, unique: str) -> str:
    return f"{account}_CloudTrail_{region}_{stamp(began)}_{unique}.jsonl"


def digest_name(account: str, region: str, ended: float, sequence: int) -> str:
    return f"{account}_CloudTrail-Digest_{region}_{stamp(ended)}_{sequence:010d}.json"


def began(name: str) -> datetime | None:
    """When the log file named ``name`` began (None: not a log file's name)."""
    match = _LOG_NAME.fullmatch(name)
    return None if match is None else datetime.strptime(match[3], _STAMP).replace(tzinfo=UTC)


def ended(name: str) -> datetime | None:
    """When the digest named ``name`` ended (None: not a digest's name)."""
    match = _DIGEST_NAME.fullmatch(name)
    return None if match is None else datetime.strptime(match[3], _STAMP).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Trail:
    """The folders of one trail. ``root`` is the trail folder itself (``<data-dir>/audit``)."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> Trail:
        return cls(Path(data_dir) / TRAIL)

    @property
    def key_file(self) -> Path:
        return self.root.parent / KEY_FILE

    @property
    def active(self) -> Path:
        return self.root / ACTIVE

    @property
    def public_keys(self) -> Path:
        return self.root / PUBLIC_KEYS

    @property
    def chain_lock(self) -> Path:
        return self.root / CHAIN_LOCK

    def relative(self, path: Path) -> str:
        """A path as digests name it: relative to the trail, with forward slashes."""
        return path.relative_to(self.root).as_posix()

    def log_files(self) -> Iterator[Path]:
        """Every completed log file, in name order (day, then the time each began)."""
        yield from _named(self.root / LOGS, _LOG_NAME)

    def active_files(self) -> list[Path]:
        return sorted(path for path in self.active.glob("*.jsonl") if _LOG_NAME.fullmatch(path.name))

    def digests(self) -> list[tuple[int, Path]]:
        """Every digest file with its sequence number, in chain order."""
        return sorted((int(_DIGEST_NAME.fullmatch(path.name)[4]), path)
                      for path in _named(self.root / DIGESTS, _DIGEST_NAME))

    def newest_digest(self) -> tuple[int, Path] | None:
        """The digest with the highest sequence number, found from the newest day folder alone (a
        digest is never filed under an earlier day than the one before it)."""
        days = sorted(self.root.glob(f"{DIGESTS}/[0-9]*/[0-9]*/[0-9]*"))
        for day in reversed(days):
            found = [(int(match[4]), path) for path in day.iterdir()
                     if (match := _DIGEST_NAME.fullmatch(path.name))]
            if found:
                return max(found)
        return None


def find(path: Path) -> Trail:
    """The trail of the data directory ``path``, or ``path`` itself when it is a trail folder (a
    copy handed over without its data directory)."""
    path = Path(path)
    if not (path / TRAIL).is_dir() and ((path / LOGS).is_dir() or (path / DIGESTS).is_dir()):
        return Trail(path)
    return Trail.of(path)


def _named(folder: Path, pattern: re.Pattern) -> Iterator[Path]:
    for path in sorted(folder.glob("[0-9]*/[0-9]*/[0-9]*/*")):
        if pattern.fullmatch(path.name):
            yield path
