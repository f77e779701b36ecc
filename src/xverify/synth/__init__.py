"""Synthetic taxpayer world: a register with households and returns, requests, and ground truth.

Everything takes a ``numpy.random.Generator``; the same seed gives the same bytes.

>>> import numpy as np
>>> from xverify.synth import generate_register, generate_submissions, Profile
>>> reg = generate_register(2_000, range(2019, 2025), np.random.default_rng(0))
>>> subs, truth = generate_submissions(reg, 100, Profile.REALISTIC, np.random.default_rng(1))
"""

from __future__ import annotations

from .config import HouseholdKind, RegisterConfig, Role, parse_years
from .profiles import (
    HOUSEHOLD_KINDS,
    PROFILES,
    InvalidKind,
    Noise,
    Profile,
    ProfileConfig,
    TargetKind,
)
from .register import Register, generate_register, iter_register, write_register
from .returns import CANARY_PREFIX
from .submissions import (
    RegisterView,
    generate_submissions,
    load_register,
    well_formed,
    write_submissions,
)
from .tins import TinKind

__all__ = [
    "CANARY_PREFIX",
    "HOUSEHOLD_KINDS",
    "PROFILES",
    "HouseholdKind",
    "InvalidKind",
    "Noise",
    "Profile",
    "ProfileConfig",
    "Register",
    "RegisterConfig",
    "RegisterView",
    "Role",
    "TargetKind",
    "TinKind",
    "generate_register",
    "generate_submissions",
    "iter_register",
    "load_register",
    "parse_years",
    "well_formed",
    "write_register",
    "write_submissions",
]
