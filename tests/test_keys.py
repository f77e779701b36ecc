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
    raw.chmod(0o600)
    assert LinkageSecret.from_file(raw, raw=True) == LinkageSecret(bytes(range(100, 140)))
    with pytest.raises(SecretError, match="not a hex key file"):
        LinkageSecret.from_file(raw)  # raw bytes are read only when asked for, never guessed
    with pytest.raises(SecretError, match="cannot read"):
        LinkageSecret.from_file(tmp_path / "nope")
    for bad_hex in ("zz", s.to_hex()[:-1], s.to_hex()[:10] + " " + s.to_hex()[10:]):
        with pytest.raises(SecretError, match="not valid hex"):
            LinkageSecret.from_hex(bad_hex)


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


def _key_file(path, data: bytes, mode: int = 0o600):  # type: ignore[no-untyped-def]
    path.write_bytes(data)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_hex_key_file_exact_format_accepted(tmp_path, ending: bytes) -> None:  # type: ignore[no-untyped-def]
    s = LinkageSecret.generate()
    for digits in (s.to_hex(), s.to_hex().upper()):
        p = _key_file(tmp_path / "k", digits.encode() + ending)
        assert LinkageSecret.from_file(p) == s


@pytest.mark.parametrize(
    "tail",
    [b"  # my key\n", b" ", b"\n\n", b"\nsecond line\n", b"\x00", b"zz"],
    ids=["comment", "space", "two-newlines", "second-line", "nul", "non-hex"],
)
def test_hex_key_file_with_trailing_text_is_refused(tmp_path, tail: bytes) -> None:  # type: ignore[no-untyped-def]
    """The old reader took such a file as raw bytes: a different key, silently."""
    s = LinkageSecret.generate()
    p = _key_file(tmp_path / "k", s.to_hex().encode() + tail)
    with pytest.raises(SecretError, match="not a hex key file") as err:
        LinkageSecret.from_file(p)
    assert s.to_hex() not in str(err.value)


def test_other_malformed_key_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = LinkageSecret.generate()
    cases = {
        "bom": (b"\xef\xbb\xbf" + s.to_hex().encode(), "not a hex key file"),
        "prefix": (b"0x" + s.to_hex().encode(), "not a hex key file"),
        "odd": (s.to_hex()[:-1].encode(), "odd number"),
        "short": (s.to_hex()[:40].encode(), "too short"),
        "empty": (b"", "not a hex key file"),
        "huge": (b"a" * 10_000, "larger than"),
    }
    for name, (data, expect) in cases.items():
        with pytest.raises(SecretError, match=expect):
            LinkageSecret.from_file(_key_file(tmp_path / name, data))
    with pytest.raises(SecretError, match=r"Is a directory|not a regular file"):
        LinkageSecret.from_file(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(SecretError, match="not a regular file"):
        LinkageSecret.from_file(fifo)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o620])
def test_key_file_open_to_group_or_others_is_refused(tmp_path, monkeypatch, mode: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("XVERIFY_ALLOW_INSECURE_KEY_FILE", raising=False)
    s = LinkageSecret.generate()
    p = _key_file(tmp_path / "k", s.to_hex().encode() + b"\n", mode)
    with pytest.raises(SecretError, match=f"mode {mode:04o}.*chmod 600") as err:
        LinkageSecret.from_file(p)
    assert "XVERIFY_ALLOW_INSECURE_KEY_FILE=1" in str(err.value)
    assert LinkageSecret.from_file(p, insecure_ok=True) == s
    monkeypatch.setenv("XVERIFY_ALLOW_INSECURE_KEY_FILE", "yes")  # only "1" is an override
    with pytest.raises(SecretError):
        LinkageSecret.from_file(p)
    monkeypatch.setenv("XVERIFY_ALLOW_INSECURE_KEY_FILE", "1")
    assert LinkageSecret.from_file(p) == s


def test_every_command_finds_the_key_the_same_way(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """--key FILE, then $XVERIFY_SECRET (hex), then the file named by $XVERIFY_KEY_FILE."""
    from xverify.encoding.keys import write_secret

    flag = write_secret(tmp_path / "flag.key")
    named = write_secret(tmp_path / "named.key")
    env = LinkageSecret.generate()
    monkeypatch.delenv("XVERIFY_SECRET", raising=False)
    monkeypatch.delenv("XVERIFY_KEY_FILE", raising=False)
    with pytest.raises(SecretError, match="no linkage secret"):
        LinkageSecret.resolve()
    monkeypatch.setenv("XVERIFY_KEY_FILE", str(tmp_path / "named.key"))
    assert LinkageSecret.resolve() == named
    monkeypatch.setenv("XVERIFY_SECRET", env.to_hex())
    assert LinkageSecret.resolve() == env
    assert LinkageSecret.resolve(tmp_path / "flag.key") == flag


_STORE_KEY = bytes(range(32))


def _secret_store() -> bytes:
    """Stands for a cluster secret store (module level: importable where it runs)."""
    return _STORE_KEY


def test_providers_ship_a_place_never_the_key(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pickle

    from xverify import Verifier
    from xverify.encoding.keys import KeyEnv, KeyFile, KeyFrom, provided

    secret = write_secret(tmp_path / "linkage.key")
    monkeypatch.setenv("XVERIFY_SECRET", secret.to_hex())
    for provider in (KeyFile(str(tmp_path / "linkage.key")), KeyEnv()):
        shipped = pickle.dumps(provider)
        assert secret.to_hex().encode() not in shipped and secret._key not in shipped
        assert provided(pickle.loads(shipped)) == secret
    store = pickle.loads(pickle.dumps(KeyFrom(_secret_store)))
    assert provided(store) == LinkageSecret(_STORE_KEY)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    v = Verifier(tmp_path, KeyFile(str(tmp_path / "linkage.key")), log=None)
    assert v._secret == secret and secret.to_hex() not in repr(v)
