"""A tiny synthetic world shared by the crash-safety and delivery tests (built once a session).

Not a conftest: each test module declares ``tiny_world = tiny_world_fixture()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xverify.encoding.keys import write_secret
from xverify.requests import encode_submissions_file
from xverify.signing import public_key_path, write_signing_key
from xverify.synth import Profile, generate_submissions, write_register, write_submissions


@dataclass(frozen=True)
class TinyWorld:
    """A 400-person register, 60 realistic requests, both parties' keys, the encoded batch."""

    root: Path
    register: Path
    submissions: Path
    encoded: Path
    linkage_key: Path
    signing_key: Path

    @property
    def public_key(self) -> Path:
        return public_key_path(self.signing_key)


_BUILT: dict[Path, TinyWorld] = {}


def _build(root: Path) -> TinyWorld:
    register = root / "register"
    write_register(register, 400, range(2019, 2025), np.random.default_rng(11))
    subs, truth = generate_submissions(register, 60, Profile.REALISTIC, np.random.default_rng(12))
    write_submissions(root / "requests", subs, truth)
    secret = write_secret(root / "linkage.key")
    write_signing_key(root / "custodian.key")
    encoded = root / "encoded.parquet"
    encode_submissions_file(root / "requests" / "submissions.csv", encoded, secret)
    return TinyWorld(
        register=register,
        root=root,
        submissions=root / "requests" / "submissions.csv",
        encoded=encoded,
        linkage_key=root / "linkage.key",
        signing_key=root / "custodian.key",
    )


def tiny_world_fixture() -> Any:
    """A module's ``tiny_world`` fixture; the world itself is built once per session."""

    @pytest.fixture(scope="module")
    def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> TinyWorld:
        base = tmp_path_factory.getbasetemp()
        if base not in _BUILT:
            _BUILT[base] = _build(tmp_path_factory.mktemp("tiny"))
        return _BUILT[base]

    return tiny_world
