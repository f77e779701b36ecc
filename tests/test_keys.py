"""LinkageSecret: validation, loading, redaction, subkeys, fingerprint, key files."""

from __future__ import annotations

import os
import pickle
import stat

import pytest

from xverify.encoding.keys import LinkageSecret, write_secret
from xverify.errors import OutputError, SecretError


def test_generate_is_random_and_redacted() -> None:
    a, b = LinkageSecret.generate(), LinkageSecret.generate()
    assert a != b
    assert a.to_hex() not in repr(a) and a.to_hex() not in str(a)
    assert "redacted" in repr(a)
    with pytest.raises(TypeError):
        pickle.dumps(a)


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        bytes(range(31)),
        b"\x00" * 32,
        b"ab" * 32,
        "0123456789abcdef" * 4,
        b"0123456789abcdef" * 4,
    ],
)
def test_rejects_short_low_entropy_or_text(bad: object) -> None:
    with pytest.raises(SecretError):
        LinkageSecret(bad)  # type: ignore[arg-type]


def test_hex_env_and_file_roundtrip(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    s = LinkageSecret.generate()
    assert LinkageSecret.from_hex(s.to_hex()) == s
    monkeypatch.setenv("XVERIFY_SECRET", s.to_hex())
    assert LinkageSecret.from_env() == s
    monkeypatch.delenv("XVERIFY_SECRET")
    with pytest.raises(SecretError):
        LinkageSecret.from_env()
    raw = tmp_path / "raw.key"
    raw.write_bytes(bytes(range(100, 140)))
    assert LinkageSecret.from_file(raw) == LinkageSecret(bytes(range(100, 140)))
    with pytest.raises(SecretError, match="cannot read"):
        LinkageSecret.from_file(tmp_path / "nope")
    with pytest.raises(SecretError):
        LinkageSecret.from_hex("zz")


def test_subkeys_and_fingerprint() -> None:
    s = LinkageSecret(bytes(range(32)))
    assert s.subkey("bloom/given") != s.subkey("bloom/surname")
    assert s.subkey("bloom/given") == LinkageSecret(bytes(range(32))).subkey("bloom/given")
    assert len(s.subkey("token/tin/prf", 16)) == 16
    fp = s.fingerprint()
    assert len(fp) == 32 and int(fp, 16) >= 0
    assert fp != LinkageSecret(bytes(range(1, 33))).fingerprint()
    assert bytes(range(32)).hex() not in fp


def test_write_secret_mode_and_no_overwrite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "link.key"
    s = write_secret(p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert LinkageSecret.from_file(p) == s
    with pytest.raises(OutputError):
        write_secret(p)
    assert LinkageSecret.from_file(p) == s
    s2 = write_secret(p, force=True)
    assert s2 != s and LinkageSecret.from_file(p) == s2
