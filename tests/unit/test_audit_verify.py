"""Verification of a trail, as ``aws cloudtrail validate-logs`` verifies CloudTrail's: a log file
changed, removed or inserted, a digest whose signature fails, a gap or a reorder in the chain
(CloudTrail User Guide, "Validating CloudTrail log file integrity with the AWS CLI":
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html).
Each kind of damage is its own test, and each test first shows the trail was valid before it.
"""

from __future__ import annotations

import shutil

import orjson
import pytest
from click.testing import CliRunner

from moatdb.audit.digest import Chain
from moatdb.audit.layout import Trail, log_name
from moatdb.audit.signing import SigningKey, public_pem
from moatdb.audit.verify import CHAIN, CHANGED, INSERTED, REMOVED, SIGNATURE, verify
from moatdb.audit.writer import Writer
from moatdb.cli import main


@pytest.fixture
def chain(tmp_path) -> Chain:
    """A trail of three digests, each listing one log file of two records."""
    trail = Trail.of(tmp_path)
    key = SigningKey.load_or_create(trail.key_file)
    key.publish(trail.public_keys)
    made = Chain(trail, key, account="111122223333", region="us-east-1")
    for minute in range(3):
        writer = Writer(made)
        for second in (0, 30):
            time = f"2025-11-24T16:{minute:02d}:{second:02d}Z"
            writer.write(orjson.dumps({"eventTime": time, "eventName": "GetItem"}) + b"\n", time)
        writer.close()
    assert verify(trail).valid
    return made


def log_files(chain: Chain) -> list:
    return list(chain.trail.log_files())


def digest_files(chain: Chain) -> list:
    return [path for _, path in chain.trail.digests()]


def kinds(chain: Chain, **options) -> set[tuple[str, str]]:
    return {(problem.kind, problem.file) for problem in verify(chain.trail, **options).problems}


def test_an_untouched_trail_is_valid_with_every_digest_and_log_file_checked(chain):
    report = verify(chain.trail)
    assert report.valid and (report.digests, report.log_files) == (3, 3)


def test_a_changed_log_file_is_reported_by_name(chain):
    target = log_files(chain)[1]
    target.write_bytes(target.read_bytes().replace(b"GetItem", b"PutItem"))
    assert kinds(chain) == {(CHANGED, chain.trail.relative(target))}


def test_a_removed_log_file_is_reported_by_name(chain):
    target = log_files(chain)[0]
    target.unlink()
    assert kinds(chain) == {(REMOVED, chain.trail.relative(target))}


def test_an_inserted_log_file_older_than_the_newest_digest_is_reported(chain):
    target = log_files(chain)[0].parent / log_name("111122223333", "us-east-1", 1_700_000_000, "p9-fake-0001")
    target.write_bytes(b'{"eventTime":"2023-11-14T22:13:20Z","eventName":"DeleteTable"}\n')
    assert kinds(chain) == {(INSERTED, chain.trail.relative(target))}


def test_reordered_digests_are_reported_as_a_broken_chain(chain):
    first, second, _ = digest_files(chain)
    for suffix in ("", ".sig"):
        a, b = first.with_name(first.name + suffix), second.with_name(second.name + suffix)
        swap = a.with_name("swap")
        a.rename(swap)
        b.rename(a)
        swap.rename(b)
    found = kinds(chain)
    assert {kind for kind, _ in found} == {CHAIN}
    assert (CHAIN, chain.trail.relative(first)) in found and (CHAIN, chain.trail.relative(second)) in found


def test_reordered_log_files_are_each_reported_as_changed(chain):
    first, second = log_files(chain)[:2]
    contents = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(contents)
    assert kinds(chain) == {(CHANGED, chain.trail.relative(first)), (CHANGED, chain.trail.relative(second))}


def test_a_removed_digest_is_a_gap_in_the_chain(chain):
    middle = digest_files(chain)[1]
    middle.unlink()
    middle.with_name(middle.name + ".sig").unlink()
    problems = verify(chain.trail).problems
    assert [(p.kind, "digest 2 of the chain is missing" in p.detail) for p in problems][0] == (CHAIN, True)


def test_a_digest_changed_after_it_was_signed_fails_its_signature(chain):
    target = digest_files(chain)[2]
    body = orjson.loads(target.read_bytes())
    body["logFiles"] = []  # hide a log file from verification
    target.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
    assert (SIGNATURE, chain.trail.relative(target)) in kinds(chain)


def test_a_digest_signed_by_a_key_other_than_the_trusted_one_is_reported(chain, tmp_path):
    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(SigningKey.load_or_create(tmp_path / "elsewhere" / "key.pem").public))
    found = kinds(chain, public_key=other)
    assert {kind for kind, _ in found} == {SIGNATURE} and len(found) == 3


def test_a_file_still_being_written_is_pending_not_a_problem(chain):
    writer = Writer(chain)
    writer.write(b'{"eventTime":"2025-11-24T16:09:00Z"}\n', "2025-11-24T16:09:00Z")
    report = verify(chain.trail)
    assert report.valid and report.pending == [chain.trail.relative(chain.trail.active_files()[0])]
    writer.close()


def test_the_verify_command_exits_0_for_a_valid_trail_and_1_naming_the_file_otherwise(chain):
    runner = CliRunner()
    valid = runner.invoke(main, ["audit", "verify", "--data-dir", str(chain.trail.root.parent)])
    assert valid.exit_code == 0 and "VALID" in valid.output
    target = log_files(chain)[2]
    target.write_bytes(b"")
    invalid = runner.invoke(main, ["audit", "verify", "--data-dir", str(chain.trail.root.parent), "--json"])
    assert invalid.exit_code == 1
    report = orjson.loads(invalid.output)
    assert report["valid"] is False
    assert report["problems"][0]["kind"] == CHANGED and report["problems"][0]["file"] == chain.trail.relative(target)


def test_a_trail_folder_handed_over_alone_verifies_where_it_is(chain, tmp_path):
    copy = tmp_path / "evidence"
    shutil.copytree(chain.trail.root, copy)
    result = CliRunner().invoke(main, ["audit", "verify", "--data-dir", str(copy)])
    assert result.exit_code == 0, result.output
