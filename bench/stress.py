"""The long run of tests/server/test_stress.py: a 2-worker server (``--ttl-interval 0.2``) under a
mixed write load for as long as asked; prints what the clients saw and exits 1 on any answer that is
neither a 2xx nor a 4xx, any error other than contention's, or any acknowledged write lost.

    .venv/bin/python bench/stress.py --seconds 120 --threads 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import Server, free_port  # noqa: E402
from tests.server.test_stress import CONTENTION, stress  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        server = Server(Path(data), free_port(), args.workers, options=("--ttl-interval", "0.2")).start()
        try:
            outcome, lost = stress(server.endpoint, args.seconds, args.threads)
        finally:
            server.stop()
            log = server.process.stderr.read().decode(errors="replace")
    print(f"answers by status: {dict(outcome.statuses)}")
    print(f"errors by code: {dict(outcome.errors)}")
    print(f"acknowledged puts: {len(outcome.puts)}, ADDs: {outcome.adds} (+{outcome.add_errors} failed)")
    for line in outcome.unexpected[:20]:
        print("unexpected:", line)
    for line in lost[:20]:
        print("lost:", line)
    if log.strip():
        print("server log (tail):\n" + log[-4000:])
    bad = outcome.unexpected or lost or set(outcome.errors) - CONTENTION
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
