"""The custodian's Ed25519 key pair that seals the audit log.

Why a key of its own: the linkage secret is shared with the requester, so anything keyed with it
could be forged by the requester; and an auditor who checks the log must not be able to rewrite
it. The custodian signs with a private key only it holds; auditors verify with the public key.

Files (``xverify keygen --signing OUT``): ``OUT`` holds the private key as unencrypted PKCS#8
PEM (mode 0600), ``OUT.pub`` the public key as SubjectPublicKeyInfo PEM — the formats of
``openssl genpkey -algorithm ed25519`` and ``openssl pkey -pubout``. A private key file that
group or others may read is refused. Messages name the file, never key material.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._io import atomic_path, check_writable
from .errors import SigningKeyError

__all__ = ["SigningKey", "VerifyKey", "public_key_path", "write_signing_key"]

_FINGERPRINT_LABEL = b"xverify/signing-key/v1\n"


def public_key_path(private: Path | str) -> Path:
    """Where the public key of a private key file lives: the same name plus ``.pub``."""
    p = Path(private)
    return p.with_name(p.name + ".pub")


@dataclass(frozen=True)
class VerifyKey:
    """An Ed25519 public key: checks seals, cannot make them."""

    raw: bytes = field(repr=False)  # the 32 public key bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise SigningKeyError("an Ed25519 public key has 32 bytes")

    @classmethod
    def from_pem(cls, data: bytes, *, source: str = "public key") -> VerifyKey:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError):
            raise SigningKeyError(f"{source} is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{source} is not an Ed25519 public key")
        return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    @classmethod
    def from_file(cls, path: Path | str) -> VerifyKey:
        """Read a public key file (PEM, as ``xverify keygen --signing`` writes ``OUT.pub``)."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read public key file {p} ({exc.strerror})") from None
        if b"PRIVATE KEY" in data:
            raise SigningKeyError(f"{p} holds a private key; verify with the public key (.pub)")
        return cls.from_pem(data, source=f"file {p}")

    def fingerprint(self) -> str:
        """Hex SHA-256 of a label and the key: names the key in seals and heads."""
        return hashlib.sha256(_FINGERPRINT_LABEL + self.raw).hexdigest()[:32]

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def to_pem(self) -> bytes:
        return Ed25519PublicKey.from_public_bytes(self.raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def __repr__(self) -> str:
        return f"VerifyKey(fingerprint={self.fingerprint()})"


class SigningKey:
    """An Ed25519 private key (the custodian's). ``repr`` never shows it; it cannot be pickled."""

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("a signing key must be an Ed25519 private key")
        self._key = key

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path | str) -> SigningKey:
        """Read a private key file (unencrypted PKCS#8 PEM); refuse one others may read."""
        p = Path(path)
        try:
            mode = p.stat().st_mode
            data = p.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read signing key file {p} ({exc.strerror})") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SigningKeyError(
                f"signing key file {p} is accessible to group or others; run: chmod 600 {p}"
            )
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise SigningKeyError(
                f"file {p} is not an unencrypted PEM private key (see 'xverify keygen --signing')"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"file {p} is not an Ed25519 private key")
        return cls(key)

    def public(self) -> VerifyKey:
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return VerifyKey(raw)

    def fingerprint(self) -> str:
        return self.public().fingerprint()

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def to_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def __repr__(self) -> str:
        return f"SigningKey(<redacted>, fingerprint={self.fingerprint()})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a SigningKey cannot be pickled")


def write_signing_key(path: Path | str, *, force: bool = False) -> SigningKey:
    """Write a fresh key pair: ``path`` (private, mode 0600) and ``path.pub`` (public).

    Neither file is replaced unless ``force``; both are written atomically, the public key last.
    """
    private, public = Path(path), public_key_path(path)
    check_writable(private, force=force)
    check_writable(public, force=force)
    key = SigningKey.generate()
    with atomic_path(private, force=force) as tmp:
        os.chmod(tmp, 0o600)
        tmp.write_bytes(key.to_pem())
    os.chmod(private, 0o600)
    with atomic_path(public, force=force) as tmp:
        tmp.write_bytes(key.public().to_pem())
    os.chmod(public, 0o644)
    return key
