"""Shared fixtures: a tiny synthetic world for the crash-safety and delivery tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> TinyWorld:
    root = tmp_path_factory.mktemp("tiny")
    register = root / "register"
    write_register(register, 400, range(2019, 2025), np.random.default_rng(11))
    subs, truth = generate_submissions(register, 60, Profile.REALISTIC, np.random.default_rng(12))
    write_submissions(root / "requests", subs, truth)
    secret = write_secret(root / "linkage.key")
    write_signing_key(root / "custodian.key")
    encoded = root / "encoded.parquet"
    encode_submissions_file(root / "requests" / "submissions.csv", encoded, secret)
    return TinyWorld(
        root,
        register,
        root / "requests" / "submissions.csv",
        encoded,
        root / "linkage.key",
        root / "custodian.key",
    )
