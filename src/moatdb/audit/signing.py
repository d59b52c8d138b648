"""The trail's signing key: Ed25519, one per data directory, made on first use.

The private key is a PKCS#8 PEM file of mode 0600 beside the trail folder, never in it: the trail
can be handed over (to an auditor, to cold storage) without the means to forge it. The public key
is written into the trail, under its fingerprint (the SHA-256 of its raw 32 bytes, in hex), which
every digest names; ``moatdb audit verify --public-key`` checks against a copy kept elsewhere, as
a trail's own key folder is only as trustworthy as the disk it is on.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class SigningKey:
    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public = private.public_key()
        self.fingerprint = fingerprint(self.public)

    def sign(self, data: bytes) -> str:
        return self._private.sign(data).hex()

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The key at ``path``, made first if there is none. Workers starting together agree on one:
        the key is written to a file of its own and linked into place, and linking fails for all
        but the first, who then read the winner's."""
        try:
            return cls(_read_private(path))
        except FileNotFoundError:
            pass
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)
        except FileExistsError:
            return cls(_read_private(path))
        finally:
            draft.unlink()
        return cls(key)

    def publish(self, folder: Path) -> Path:
        """Write the public key into the trail under its fingerprint (once)."""
        path = folder / f"{self.fingerprint}.pem"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            draft = folder / f".{path.name}.{os.getpid()}"
            draft.write_bytes(public_pem(self.public))
            os.replace(draft, path)
        return path


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file; ValueError when it is not an Ed25519 public key."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def verifies(public: Ed25519PublicKey, signature_hex: str, data: bytes) -> bool:
    try:
        public.verify(bytes.fromhex(signature_hex), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key
