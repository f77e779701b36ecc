"""Submission profiles: noise rates, look-alikes, invalid requests, truth, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xverify.errors import ConfigError
from xverify.synth import (
    PROFILES,
    Noise,
    Profile,
    ProfileConfig,
    TargetKind,
    generate_register,
    generate_submissions,
    load_register,
    write_submissions,
)
from xverify.synth.corrupt import nicknames_of
from xverify.synth.lexicon import ADDRESS_PLACEHOLDERS, ALLOWED_STATUTES

YEARS = range(2019, 2025)
ADDR = ["street", "unit", "city", "state", "zip"]
SEMANTIC = {Noise.OUTDATED_ADDRESS.value, Noise.ADDRESS_NOT_ON_FILE.value}


@pytest.fixture(scope="module")
def reg():
    return generate_register(20_000, YEARS, np.random.default_rng(11))


@pytest.fixture(scope="module")
def view(reg):
    return load_register(reg)


@pytest.fixture(scope="module")
def batches(view):
    return {p: generate_submissions(view, 1500, p, np.random.default_rng(3)) for p in Profile}


def _text_noise(truth: pd.DataFrame) -> pd.Series:
    return truth.noise.map(lambda s: len([t for t in s.split(";") if t and t not in SEMANTIC]))


def _joined(sub: pd.DataFrame, truth: pd.DataFrame, reg) -> pd.DataFrame:
    tp = reg.taxpayers.to_pandas().add_prefix("reg_")
    df = sub.merge(truth, on="request_id", suffixes=("", "_truth"))
    return df.merge(tp, left_on="tin_truth", right_on="reg_tin", how="left")


def test_columns_follow_the_format_contract(batches):
    sub, truth = batches[Profile.REALISTIC]
    assert list(sub.columns[:17]) == [
        "request_id",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "street",
        "unit",
        "city",
        "state",
        "zip",
        "birth_date",
        "tin",
        "tax_period_start",
        "tax_period_end",
        "statute",
        "reason",
        "case_ref",
    ]
    assert list(truth.columns[:15]) == [
        "request_id",
        "tin",
        "in_register",
        "verifiable",
        "invalid",
        "invalid_kind",
        "name_origin",
        "common_name",
        "name_decile",
        "household_shared",
        "compound_surname",
        "noise",
        "moved",
        "tin_kind",
        "lookalike_of",
    ]
    assert sub.request_id.is_unique and (sub.request_id == truth.request_id).all()
    assert truth.name_decile.between(0, 9).all()
    valid = sub[~truth.invalid]
    assert valid.statute.isin(ALLOWED_STATUTES).all()
    assert valid.reason.str.len().between(80, 300).all()


def test_clean_profile_copies_register_exactly(batches, reg):
    sub, truth = batches[Profile.CLEAN]
    assert truth.in_register.all() and not truth.invalid.any() and (truth.noise == "").all()
    df = _joined(sub, truth, reg)
    for col in ("first_name", "middle_name", "last_name", "suffix"):
        assert (df[col].fillna("") == df[f"reg_{col}"].fillna("")).all()
    addresses = reg.addresses.to_pandas()
    on = df.merge(addresses, left_on=["tin_truth", *ADDR], right_on=["tin", *ADDR], how="left")
    in_span = on.tax_year.between(on.tax_period_start, on.tax_period_end)
    verifiable = in_span.groupby(on.request_id).any()
    assert (verifiable.reindex(truth.request_id).to_numpy() == truth.verifiable.to_numpy()).all()
    assert truth.verifiable.mean() > 0.85


def test_realistic_noise_is_a_few_distortions(batches, reg):
    sub, truth = batches[Profile.REALISTIC]
    n = _text_noise(truth)
    assert 0.8 <= n.mean() <= 1.4
    assert n.max() <= 3 and (n == 0).mean() > 0.2
    tags = pd.Series([t for s in truth.noise for t in s.split(";") if t]).value_counts()
    for tag in (
        "typo",
        "nickname",
        "middle_dropped",
        "street_abbrev",
        "unit_missing",
        "zip_digit",
        "accents_dropped",
        "first_surname_only",
        "outdated_address",
    ):
        assert tags.get(tag, 0) >= 3, tag
    assert truth.in_register.mean() == pytest.approx(0.9, abs=0.03)
    # a matcher demanding exact equality loses many verifiable requests
    df = _joined(sub, truth, reg)
    v = df[df.verifiable]
    exact = (v.first_name == v.reg_first_name) & (v.last_name == v.reg_last_name)
    assert exact.mean() < 0.85


def test_hard_is_noisier_than_realistic(batches):
    real = _text_noise(batches[Profile.REALISTIC][1]).mean()
    hard = _text_noise(batches[Profile.HARD][1]).mean()
    assert hard > real + 0.6
    assert (batches[Profile.HARD][1].target_kind != "registered").mean() > 0.15


_NAME_NOISE = (
    "typo|ocr|phonetic|accents_dropped|particle_spacing|case|name_order|given_split|surnames_"
)


def _other_name_noise(df: pd.DataFrame) -> pd.Series:
    return df.noise.str.contains(_NAME_NOISE, regex=True)


def test_nicknames_and_spanish_customs_in_noise(batches, reg):
    sub, truth = batches[Profile.HARD]
    df = _joined(sub, truth, reg)
    nick = df[df.noise.str.contains("nickname") & df.in_register & ~_other_name_noise(df)]
    assert len(nick) >= 10
    for given, shown in zip(nick.reg_first_name, nick.first_name, strict=True):
        assert shown.split()[0] in nicknames_of(given.split()[0])
    assert "PEPE" in nicknames_of("JOSÉ") and "PACO" in nicknames_of("FRANCISCO")
    assert "LUPE" in nicknames_of("GUADALUPE") and "CHUY" in nicknames_of("JESUS")
    assert "BILL" in nicknames_of("WILLIAM")
    only = df[df.noise.str.contains("first_surname_only") & df.in_register & ~_other_name_noise(df)]
    assert len(only) >= 3
    assert all(
        r.startswith(f"{s} ") or r.startswith(f"{s}-")
        for r, s in zip(only.reg_last_name, only.last_name, strict=True)
    )


def test_replay_2025_has_outsiders_lookalikes_and_invalid_requests(batches, reg):
    sub, truth = batches[Profile.REPLAY_2025]
    assert truth.in_register.mean() == pytest.approx(0.35, abs=0.04)
    assert truth.invalid.mean() == pytest.approx(0.3, abs=0.04)
    kinds = truth.invalid_kind.value_counts()
    for kind in ("address_placeholder", "zip_only", "no_period", "no_statute", "no_reason"):
        assert kinds.get(kind, 0) >= 5, kind
    assert not truth[truth.invalid].verifiable.any()
    df = sub.merge(truth, on="request_id", suffixes=("", "_t"))
    ph = df[df.invalid_kind == "address_placeholder"]
    assert ph.street.isin(ADDRESS_PLACEHOLDERS).all() and ph.zip.notna().all()
    zo = df[df.invalid_kind == "zip_only"]
    assert (zo.street.isna() | zo.street.str.fullmatch(r"\d{5}(\d{4})?")).all()
    assert zo.city.isna().all()
    np_ = df[df.invalid_kind == "no_period"]
    assert np_.tax_period_start.isna().all() and np_.tax_period_end.isna().all()
    # look-alikes imitate a registered person: same name (before noise), and a real register TIN
    tp = reg.taxpayers.to_pandas().set_index("tin")
    looks = df[df.target_kind.isin(["namesake", "neighbor"]) & (df.noise == "")]
    assert len(looks) >= 20
    src = tp.loc[looks.lookalike_of]
    assert (src.first_name.to_numpy() == looks.first_name.to_numpy()).all()
    assert (src.last_name.to_numpy() == looks.last_name.to_numpy()).all()
    assert looks.common_name.mean() > 0.4
    mates = df[df.target_kind == "housemate"]
    assert len(mates) >= 50 and mates.household_shared.all()
    assert not df[~df.in_register].tin_t.notna().any()


def test_in_register_share_is_a_parameter(view):
    _, truth = generate_submissions(
        view, 800, Profile.REALISTIC, np.random.default_rng(0), in_register_share=0.5
    )
    assert truth.in_register.mean() == pytest.approx(0.5, abs=0.06)


def test_same_seed_same_bytes_and_no_canary(tmp_path, view):
    outs = []
    for i in range(2):
        sub, truth = generate_submissions(view, 300, Profile.REPLAY_2025, np.random.default_rng(9))
        outs.append(write_submissions(tmp_path / f"o{i}", sub, truth))
    for name in ("submissions.csv", "truth.parquet"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    text = (outs[0] / "submissions.csv").read_text(encoding="utf-8")
    assert "CANARY" not in text
    other, _ = generate_submissions(view, 300, Profile.REPLAY_2025, np.random.default_rng(10))
    assert other.to_csv() != pd.read_csv(outs[0] / "submissions.csv", dtype=str).to_csv()


def test_bad_arguments(view):
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError):
        generate_submissions(view, 0, Profile.CLEAN, rng)
    with pytest.raises(ConfigError):
        generate_submissions(view, 10, Profile.CLEAN, rng, in_register_share=1.5)
    with pytest.raises(ConfigError):
        Profile.parse("replay-2026")
    assert set(PROFILES) == set(Profile)


def test_outsiders_stay_distinguishable_from_the_registered_people_at_their_address(view, reg):
    """A housemate never carries a registered resident's given name and suffix, and noise never
    erases a housemate's JR or a neighbour's other unit: the truth stays decidable."""
    config = ProfileConfig(
        in_register_share=0.0,
        noise_count=(0.0, 1.0),
        noise_weights={Noise.SUFFIX_DROPPED: 1.0, Noise.UNIT_MISSING: 1.0, Noise.TYPO: 0.2},
        outsider_weights={TargetKind.HOUSEMATE: 1.0, TargetKind.NEIGHBOR: 1.0},
    )
    sub, truth = generate_submissions(view, 3000, Profile.HARD, np.random.default_rng(5), config)
    df = sub.merge(truth, on="request_id", suffixes=("", "_t"))
    juniors = df[(df.target_kind == "housemate") & (df.suffix == "JR")]
    assert len(juniors) >= 50 and not juniors.noise.str.contains("suffix_dropped").any()
    other_unit = df[(df.target_kind == "neighbor") & df.unit.notna()]
    assert len(other_unit) >= 50 and not other_unit.noise.str.contains("unit_missing").any()
    # the anchor's home and who is registered there (any year)
    tp = reg.taxpayers.to_pandas()
    ad = reg.addresses.to_pandas()
    home_of = ad.sort_values("tax_year").groupby("tin").tail(1).set_index("tin")[ADDR]
    home_key = home_of.fillna("").agg("|".join, axis=1)
    every = ad.assign(home=ad[ADDR].fillna("").agg("|".join, axis=1))[["tin", "home"]]
    residents = every.drop_duplicates().merge(tp, on="tin")
    given_at = residents.groupby("home").first_name.agg(lambda v: set(v.str.upper()))
    junior_at = (
        residents[residents.suffix == "JR"]
        .groupby("home")
        .first_name.agg(lambda v: set(v.str.upper()))
    )
    mates = df[df.target_kind == "housemate"].assign(home=lambda d: home_key[d.lookalike_of].values)
    others = mates[mates.suffix.isna() & (mates.noise == "unit_missing")]  # given name intact
    assert len(others) >= 20
    assert not any(
        f.upper() in given_at.get(h, set())
        for f, h in zip(others.first_name, others.home, strict=True)
    )
    assert not any(
        f.upper() in junior_at.get(h, set())
        for f, h in zip(juniors.first_name, home_key[juniors.lookalike_of].values, strict=True)
    )
