"""Digest files as CloudTrail's log file integrity validation makes them: each lists the log files
completed since the one before, with their SHA-256, and is chained to its predecessor by path, hash
and signature (CloudTrail User Guide, "CloudTrail digest file structure":
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html,
and "Validating CloudTrail log file integrity":
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html).
moatdb signs with Ed25519 where CloudTrail signs with SHA256withRSA.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat

import orjson

from moatdb.audit.digest import Chain, signed_text
from moatdb.audit.layout import Trail, log_name
from moatdb.audit.signing import SigningKey, load_public, verifies
from moatdb.audit.writer import Writer

ACCOUNT, REGION = "111122223333", "us-east-1"
DIGEST_FIELDS = {"awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
                 "digestPublicKeyFingerprint", "digestSignatureAlgorithm", "newestEventTime", "oldestEventTime",
                 "previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue",
                 "previousDigestHashAlgorithm", "previousDigestSignature", "logFiles"}
LOG_FILE_FIELDS = {"s3Bucket", "s3Object", "hashValue", "hashAlgorithm", "oldestEventTime", "newestEventTime"}


def chain_in(tmp_path) -> Chain:
    trail = Trail.of(tmp_path)
    key = SigningKey.load_or_create(trail.key_file)
    key.publish(trail.public_keys)
    return Chain(trail, key, account=ACCOUNT, region=REGION)


def one_file(writer: Writer, *times: str) -> None:
    """Write a record per time into a file of its own, and complete it (no loop: sealed at once)."""
    for time in times:
        writer.write(orjson.dumps({"eventTime": time, "eventName": "GetItem"}) + b"\n", time)
    writer.close()


def digests(chain: Chain) -> list[dict]:
    return [orjson.loads(path.read_bytes()) for _, path in chain.trail.digests()]


def test_the_first_digest_has_cloudtrails_fields_and_lists_the_completed_file_with_its_sha256(tmp_path):
    chain = chain_in(tmp_path)
    one_file(Writer(chain), "2025-11-24T16:00:00Z", "2025-11-24T16:00:05Z")
    (digest,) = digests(chain)
    assert set(digest) == DIGEST_FIELDS
    (listed,) = digest["logFiles"]
    assert set(listed) == LOG_FILE_FIELDS
    log_file = chain.trail.root / listed["s3Object"]
    assert listed["hashValue"] == hashlib.sha256(log_file.read_bytes()).hexdigest()
    assert (listed["oldestEventTime"], listed["newestEventTime"]) == ("2025-11-24T16:00:00Z", "2025-11-24T16:00:05Z")
    assert digest["previousDigestSignature"] is None and digest["previousDigestS3Object"] is None
    assert (digest["awsAccountId"], digest["digestS3Bucket"], digest["digestSignatureAlgorithm"]) == \
        (ACCOUNT, "audit", "Ed25519")


def test_each_digest_is_chained_to_the_one_before_by_its_path_hash_signature_and_time(tmp_path):
    chain = chain_in(tmp_path)
    one_file(Writer(chain), "2025-11-24T16:00:00Z")
    one_file(Writer(chain), "2025-11-24T16:01:00Z")
    (_, first_path), (_, second_path) = chain.trail.digests()
    first, second = digests(chain)
    assert second["previousDigestS3Object"] == chain.trail.relative(first_path)
    assert second["previousDigestHashValue"] == hashlib.sha256(first_path.read_bytes()).hexdigest()
    assert second["previousDigestSignature"] == (first_path.parent / (first_path.name + ".sig")).read_text().strip()
    assert second["digestStartTime"] == first["digestEndTime"]
    assert second_path.name.endswith("_0000000002.json")


def test_a_digest_is_signed_over_cloudtrails_signing_string_and_the_published_public_key_verifies_it(tmp_path):
    chain = chain_in(tmp_path)
    one_file(Writer(chain), "2025-11-24T16:00:00Z")
    ((_, path),) = chain.trail.digests()
    digest = orjson.loads(path.read_bytes())
    public = load_public(chain.trail.public_keys / f"{digest['digestPublicKeyFingerprint']}.pem")
    signature = (path.parent / (path.name + ".sig")).read_text().strip()
    text = signed_text(digest["digestEndTime"], "audit", digest["digestS3Object"],
                       hashlib.sha256(path.read_bytes()).hexdigest(), None)
    assert verifies(public, signature, text)
    assert not verifies(public, signature, text.replace(b"audit/", b"audit/x"))


def test_the_signing_key_is_made_once_per_data_directory_and_only_its_owner_may_read_it(tmp_path):
    trail = Trail.of(tmp_path)
    first = SigningKey.load_or_create(trail.key_file)
    again = SigningKey.load_or_create(trail.key_file)
    assert first.fingerprint == again.fingerprint
    assert stat.S_IMODE(os.stat(trail.key_file).st_mode) == 0o600
    assert not trail.key_file.is_relative_to(trail.root)  # the trail can be handed over without it


def test_a_file_left_in_active_by_a_dead_writer_is_filed_by_the_next_digest(tmp_path):
    chain = chain_in(tmp_path)
    chain.trail.active.mkdir(parents=True)
    orphan = chain.trail.active / log_name(ACCOUNT, REGION, 1_764_000_000, "p1-dead-0001")
    orphan.write_bytes(b'{"eventTime":"2025-11-24T16:00:00Z"}\n{"eventTime":"2025-11-24T16:00:09Z"}\n{"eventTi')
    one_file(Writer(chain), "2025-11-24T16:01:00Z")
    (digest,) = digests(chain)
    names = {entry["s3Object"].rsplit("/", 1)[-1]: entry for entry in digest["logFiles"]}
    assert orphan.name in names and not orphan.exists()
    assert names[orphan.name]["newestEventTime"] is None  # its last record was cut short
    assert names[orphan.name]["oldestEventTime"] == "2025-11-24T16:00:00Z"


def test_a_file_a_live_writer_holds_is_left_where_it_is(tmp_path):
    chain = chain_in(tmp_path)
    chain.trail.active.mkdir(parents=True)
    held = chain.trail.active / log_name(ACCOUNT, REGION, 1_764_000_000, "p2-live-0001")
    fd = os.open(held, os.O_WRONLY | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        one_file(Writer(chain), "2025-11-24T16:01:00Z")
        assert held.exists()
        assert all(held.name not in entry["s3Object"] for entry in digests(chain)[0]["logFiles"])
    finally:
        os.close(fd)


def test_nothing_to_file_makes_no_digest(tmp_path):
    chain = chain_in(tmp_path)
    assert chain.seal([]) is None
    assert chain.trail.digests() == []
