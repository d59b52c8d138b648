"""One worker's writer: a record per line, a file per writer, flushed once per event-loop turn ahead
of the replies of that turn, rotated by size and by age, each completed file digested."""

from __future__ import annotations

import asyncio

import orjson

from moatdb.audit.digest import Chain
from moatdb.audit.layout import Trail
from moatdb.audit.signing import SigningKey
from moatdb.audit.writer import Writer


def chain_in(tmp_path) -> Chain:
    trail = Trail.of(tmp_path)
    return Chain(trail, SigningKey.load_or_create(trail.key_file), account="111122223333", region="us-east-1")


def line(n: int) -> bytes:
    return orjson.dumps({"eventTime": f"2025-11-24T16:00:{n:02d}Z", "n": n}) + b"\n"


def listed(chain: Chain) -> list[str]:
    return [entry["s3Object"] for _, path in chain.trail.digests()
            for entry in orjson.loads(path.read_bytes())["logFiles"]]


def test_each_record_is_one_json_line_of_the_writers_own_file(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain)
    for n in range(3):
        writer.write(line(n), f"2025-11-24T16:00:{n:02d}Z")
    (active,) = chain.trail.active_files()
    assert [orjson.loads(each)["n"] for each in active.read_bytes().splitlines()] == [0, 1, 2]
    writer.close()
    assert chain.trail.active_files() == [] and len(listed(chain)) == 1


def test_two_writers_never_write_into_the_same_file(tmp_path):
    chain = chain_in(tmp_path)
    first, second = Writer(chain), Writer(chain)
    first.write(line(1), "2025-11-24T16:00:01Z")
    second.write(line(2), "2025-11-24T16:00:02Z")
    assert len(chain.trail.active_files()) == 2
    first.close()
    second.close()
    assert len(set(listed(chain))) == 2


def test_a_file_is_completed_and_digested_once_it_reaches_its_size(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain, rotate_bytes=3 * len(line(0)))
    for n in range(7):
        writer.write(line(n), f"2025-11-24T16:00:{n:02d}Z")
    assert len(listed(chain)) == 2  # two files of three records; the seventh is still being written
    writer.close()
    files = [chain.trail.root / name for name in listed(chain)]
    assert [len(path.read_bytes().splitlines()) for path in files] == [3, 3, 1]


def test_flushed_at_once_records_reach_the_file_in_one_write_before_what_their_turn_scheduled_after_them(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain, flush_seconds=0)

    async def turn() -> list[int]:
        writer.start(asyncio.get_running_loop())
        seen: list[int] = []
        writer.write(line(1), "2025-11-24T16:00:01Z")
        writer.write(line(2), "2025-11-24T16:00:02Z")
        assert chain.trail.active_files() == []  # nothing written yet: once per turn
        # The reply's write comes after (gateway/http.py holds it until a call_soon of its own).
        asyncio.get_running_loop().call_soon(lambda: seen.append(len(chain.trail.active_files()[0].read_bytes()
                                                                     .splitlines())))
        await asyncio.sleep(0)
        return seen

    assert asyncio.run(turn()) == [2]
    writer.close()


def test_a_file_is_completed_when_it_is_old_enough_even_if_no_request_comes(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain, rotate_seconds=0.05)

    async def idle() -> None:
        writer.start(asyncio.get_running_loop())
        writer.write(line(1), "2025-11-24T16:00:01Z")
        for _ in range(200):
            await asyncio.sleep(0.01)
            if listed(chain):
                return

    asyncio.run(idle())
    assert len(listed(chain)) == 1 and chain.trail.active_files() == []
    writer.close()


def test_closing_completes_the_last_file_and_waits_for_its_digest(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain)

    async def serve() -> None:
        writer.start(asyncio.get_running_loop())
        writer.write(line(1), "2025-11-24T16:00:01Z")
        await asyncio.sleep(0)

    asyncio.run(serve())
    writer.close()
    assert len(listed(chain)) == 1 and chain.trail.active_files() == []


def test_by_default_records_reach_the_file_within_the_flush_delay_together(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain, flush_seconds=0.05)

    async def burst() -> tuple[int, int]:
        writer.start(asyncio.get_running_loop())
        for n in range(3):
            writer.write(line(n), f"2025-11-24T16:00:{n:02d}Z")
        await asyncio.sleep(0.01)
        early = len(chain.trail.active_files())
        await asyncio.sleep(0.1)
        return early, len(chain.trail.active_files()[0].read_bytes().splitlines())

    assert asyncio.run(burst()) == (0, 3)
    writer.close()


def test_64_kib_waiting_are_written_at_once_whatever_the_delay(tmp_path):
    chain = chain_in(tmp_path)
    writer = Writer(chain, flush_seconds=1)

    async def flood() -> int:
        writer.start(asyncio.get_running_loop())
        big = orjson.dumps({"eventTime": "2025-11-24T16:00:00Z", "pad": "x" * 1000}) + b"\n"
        for _ in range(70):
            writer.write(big, "2025-11-24T16:00:00Z")
        return len(chain.trail.active_files()[0].read_bytes())

    assert asyncio.run(flood()) >= 64 * 1024
    writer.close()
