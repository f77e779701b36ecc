"""The linkage secret shared by requester and custodian, its subkeys and its fingerprint.

Security notes:

* Encodings are only as private as this secret. Unkeyed hashing of PII is never offered: a plain
  SHA-256 of a name falls to a dictionary of names in seconds. With the secret, an outsider holding
  encodings must guess 256 bits first.
* Per-purpose subkeys come from HKDF-SHA256 (RFC 5869), one per Bloom field and per token type, so
  the same q-gram sets unrelated bits in different fields and a token of one type cannot be
  compared with a token of another (as in clkhash's per-field keys).
* What it does not protect against: anyone holding the secret (both parties) can encode a
  dictionary and re-identify encodings; equal values give equal tokens under one key, so a holder
  of many encodings can run frequency analysis. Keep the secret away from a linkage unit.

Key file format (exact, never guessed): the secret as ASCII hex digits (either case, an even
number, at least ``2 * MIN_SECRET_BYTES``), optionally followed by one line ending (``\n`` or
``\r\n``) and nothing else: no spaces, comments, ``0x`` prefix or BOM. This is what ``xverify
keygen`` writes. A file holding the raw secret bytes is read only when the caller says so
(``LinkageSecret.from_file(path, raw=True)``). A key file whose mode grants group or others any
access is refused unless ``XVERIFY_ALLOW_INSECURE_KEY_FILE=1`` is set (or ``insecure_ok=True``).
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .._io import atomic_path, check_writable
from ..errors import SecretError

__all__ = [
    "ENV_VAR",
    "INSECURE_KEY_FILE_ENV",
    "MAX_KEY_FILE_BYTES",
    "MIN_SECRET_BYTES",
    "KeyEnv",
    "KeyFile",
    "KeyFrom",
    "LinkageSecret",
    "SecretProvider",
    "provided",
    "write_secret",
]

MIN_SECRET_BYTES = 32
#: distinct byte values a secret must hold: random 32 bytes hold about 30; hex or ASCII text
#: read as bytes holds at most 16 (hex) or few more, a repeated pattern fewer
MIN_DISTINCT_BYTES = 17
ENV_VAR = "XVERIFY_SECRET"
#: names a key file when neither ``--key`` nor ``XVERIFY_SECRET`` is given
KEY_FILE_VAR = "XVERIFY_KEY_FILE"
#: set to 1 to read a key file that group or others may access (shared mounts, containers)
INSECURE_KEY_FILE_ENV = "XVERIFY_ALLOW_INSECURE_KEY_FILE"
#: a key file is a short hex line; anything larger is not a key file (and is not read whole)
MAX_KEY_FILE_BYTES = 4096
_HEX_KEY = re.compile(rb"[0-9A-Fa-f]+(\r?\n)?")
_HKDF_SALT = b"xverify/hkdf/v1"
_FINGERPRINT_LABEL = b"xverify/key-fingerprint/v1"


class LinkageSecret:
    """A validated linkage secret (bytes only). ``repr``/``str`` never show it.

    Build with :meth:`generate`, :meth:`from_file`, :meth:`from_env` or :meth:`from_hex`.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray | memoryview) or isinstance(key, str):
            raise SecretError("a linkage secret must be bytes")
        key = bytes(key)
        if len(key) < MIN_SECRET_BYTES:
            raise SecretError(
                f"linkage secret is too short (need at least {MIN_SECRET_BYTES} bytes)"
            )
        if len(set(key)) < MIN_DISTINCT_BYTES:
            raise SecretError(
                "linkage secret has too little entropy (too few distinct byte values; "
                "use `xverify keygen`)"
            )
        self._key = key

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def generate(cls) -> LinkageSecret:
        """A fresh random 32-byte secret from the OS CSPRNG."""
        while True:  # a random key failing the entropy check is astronomically unlikely
            key = secrets.token_bytes(MIN_SECRET_BYTES)
            if len(set(key)) >= MIN_DISTINCT_BYTES:
                return cls(key)

    @classmethod
    def from_hex(cls, text: str) -> LinkageSecret:
        """A secret from hex digits only (surrounding whitespace ignored, none inside)."""
        digits = text.strip()
        if not re.fullmatch(r"[0-9A-Fa-f]+", digits) or len(digits) % 2:
            raise SecretError("linkage secret is not valid hex (an even number of hex digits)")
        return cls(bytes.fromhex(digits))

    @classmethod
    def resolve(cls, key_file: str | os.PathLike[str] | None = None) -> LinkageSecret:
        """The secret every command uses, looked up in this order: the ``--key`` file given,
        the hex secret in ``XVERIFY_SECRET``, the key file named by ``XVERIFY_KEY_FILE``."""
        if key_file is not None:
            return cls.from_file(key_file)
        if os.environ.get(ENV_VAR):
            return cls.from_env()
        if os.environ.get(KEY_FILE_VAR):
            return cls.from_file(os.environ[KEY_FILE_VAR])
        raise SecretError(f"no linkage secret: pass --key FILE, or set {ENV_VAR} or {KEY_FILE_VAR}")

    @classmethod
    def from_env(cls, var: str = ENV_VAR) -> LinkageSecret:
        """Load a hex secret from an environment variable (default ``XVERIFY_SECRET``)."""
        value = os.environ.get(var)
        if not value:
            raise SecretError(f"environment variable {var} is not set")
        return cls.from_hex(value)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, raw: bool = False, insecure_ok: bool = False
    ) -> LinkageSecret:
        """Load a key file in the exact format of the module docstring (hex; raw bytes only with
        ``raw=True``). Refused when group or others may access it, unless ``insecure_ok`` or the
        environment variable ``XVERIFY_ALLOW_INSECURE_KEY_FILE=1`` says otherwise."""
        p = Path(path)
        try:  # O_NONBLOCK: a FIFO passed as a key file must not hang the reader
            with os.fdopen(os.open(p, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
                mode = os.fstat(fh.fileno()).st_mode
                if not stat.S_ISREG(mode):
                    raise SecretError(f"key file {p} is not a regular file")
                data = fh.read(MAX_KEY_FILE_BYTES + 1)
        except OSError as exc:
            raise SecretError(f"cannot read key file {p} ({exc.strerror})") from None
        if mode & 0o077 and not (insecure_ok or os.environ.get(INSECURE_KEY_FILE_ENV) == "1"):
            raise SecretError(
                f"key file {p} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
                f"run chmod 600 on it, or set {INSECURE_KEY_FILE_ENV}=1 to accept it"
            )
        if len(data) > MAX_KEY_FILE_BYTES:
            raise SecretError(f"key file {p} is larger than {MAX_KEY_FILE_BYTES} bytes")
        if raw:
            return cls(data)
        if not _HEX_KEY.fullmatch(data):
            raise SecretError(
                f"key file {p} is not a hex key file (hex digits and one optional line end, "
                "nothing else)"
            )
        digits = data.rstrip(b"\r\n")
        if len(digits) % 2:
            raise SecretError(f"key file {p} holds an odd number of hex digits")
        return cls(bytes.fromhex(digits.decode("ascii")))

    # -- use -----------------------------------------------------------------------------------
    def subkey(self, purpose: str, length: int = 32) -> bytes:
        """HKDF-SHA256 subkey for one purpose, e.g. ``"bloom/surname"`` or ``"token/zip5/prf"``."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=_HKDF_SALT,
                    info=b"xverify/v1/" + purpose.encode())  # fmt: skip
        return hkdf.derive(self._key)

    def fingerprint(self) -> str:
        """Hex HMAC-SHA256 of a fixed label: names the key in files without revealing it."""
        return hmac.new(self._key, _FINGERPRINT_LABEL, sha256).hexdigest()[:32]

    def to_hex(self) -> str:
        """The secret as hex — for writing a key file only."""
        return self._key.hex()

    def __repr__(self) -> str:
        return f"LinkageSecret(<redacted>, fingerprint={self.fingerprint()})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkageSecret):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a LinkageSecret cannot be pickled")


@dataclass(frozen=True)
class KeyFile:
    """A :data:`SecretProvider`: the key file at ``path`` (read where it is called)."""

    path: str

    def __call__(self) -> LinkageSecret:
        return LinkageSecret.from_file(self.path)


@dataclass(frozen=True)
class KeyEnv:
    """A :data:`SecretProvider`: the hex secret in environment variable ``var``."""

    var: str = ENV_VAR

    def __call__(self) -> LinkageSecret:
        return LinkageSecret.from_env(self.var)


@dataclass(frozen=True)
class KeyFrom:
    """A :data:`SecretProvider`: raw key bytes from ``fetch`` (a cluster secret store); the
    function must be importable where it runs, and holds no key bytes itself."""

    fetch: Callable[[], bytes]

    def __call__(self) -> LinkageSecret:
        return LinkageSecret(self.fetch())


#: Where a process gets the linkage secret. Providers carry a place, never key bytes, so they
#: can be shipped to workers (a LinkageSecret refuses to be pickled).
SecretProvider = KeyFile | KeyEnv | KeyFrom


def provided(secret: LinkageSecret | SecretProvider) -> LinkageSecret:
    """The secret itself, from a provider or as given."""
    return secret if isinstance(secret, LinkageSecret) else secret()


def write_secret(
    path: str | os.PathLike[str], *, force: bool = False, secret: LinkageSecret | None = None
) -> LinkageSecret:
    """Write a fresh secret (or ``secret``) as hex to ``path`` with mode 0600, atomically;
    refuse to overwrite."""
    p = Path(path)
    check_writable(p, force=force)
    secret = secret or LinkageSecret.generate()
    with atomic_path(p, force=force) as tmp:
        os.chmod(tmp, 0o600)
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(secret.to_hex() + "\n")
    os.chmod(p, 0o600)
    return secret
