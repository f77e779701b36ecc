"""The survey profile: survey-grade noise at its configured rates, household non-filers, truth."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xverify.cli import main
from xverify.errors import ConfigError
from xverify.requests import RequestPolicy, validate_requests
from xverify.synth import (
    HOUSEHOLD_KINDS,
    PROFILES,
    Noise,
    Profile,
    ProfileConfig,
    TargetKind,
    generate_register,
    generate_submissions,
    load_register,
    well_formed,
    write_submissions,
)
from xverify.synth.corrupt import (
    QWERTY_NEIGHBOURS,
    Record,
    distort_at_rates,
    is_placeholder_given,
    near_given_names,
    outright_different,
    split_surnames,
    strip_accents,
)
from xverify.synth.profiles import SURVEY_NOISE_RATES, profiles_markdown

YEARS = range(2019, 2025)
ADDR = ["street", "unit", "city", "state", "zip"]
DOCS = Path(__file__).resolve().parent.parent / "docs" / "profiles.md"
N = 5000


@pytest.fixture(scope="module")
def reg():
    return generate_register(20_000, YEARS, np.random.default_rng(11))


@pytest.fixture(scope="module")
def view(reg):
    return load_register(reg)


@pytest.fixture(scope="module")
def survey(view):
    return generate_submissions(view, N, Profile.SURVEY, np.random.default_rng(3))


@pytest.fixture(scope="module")
def quiet_households(view):
    """Household non-filers only, without noise, so every invariant can be checked exactly."""
    config = replace(
        PROFILES[Profile.SURVEY],
        in_register_share=0.0,
        invalid_share=0.0,
        noise_rates={},
        outsider_weights={k: 1.0 for k in HOUSEHOLD_KINDS},
    )
    return generate_submissions(view, 1500, Profile.SURVEY, np.random.default_rng(8), config)


def _tags(truth: pd.DataFrame) -> pd.Series:
    return pd.Series([t for s in truth.noise for t in s.split(";") if t]).value_counts()


def _rich_record() -> Record:
    last = "GARCÍA DE LA CRUZ"
    return Record(
        first="JOSÉ LUIS",
        middle="ANTONIO",
        last=last,
        suffix="JR",
        street="1234 N WASHINGTON STREET",
        unit="APT 5",
        city="LOS ANGELES",
        state="CA",
        zip="90011",
        surnames=split_surnames(last),
    )


def test_each_survey_distortion_applies_at_its_configured_rate():
    """On a record where every kind applies, each kind's frequency is its rate (less what an
    earlier kind in the order took away: a blanked given name gets no initial)."""
    rng = np.random.default_rng(0)
    n = 6000
    u = rng.random((n, len(SURVEY_NOISE_RATES)))
    seen: dict[Noise, int] = dict.fromkeys(SURVEY_NOISE_RATES, 0)
    for i in range(n):
        rec = _rich_record()
        for kind in distort_at_rates(rec, SURVEY_NOISE_RATES, u[i], rng):
            seen[kind] += 1
    # kinds an earlier kind in the order can make inapplicable
    shadowed = {
        Noise.SURNAMES_SWAPPED,
        Noise.SURNAMES_HYPHENATED,
        Noise.PARTICLE_SPACING,
        Noise.GIVEN_SPLIT,
        Noise.NICKNAME,
        Noise.MIDDLE_INITIAL,
        Noise.GIVEN_INITIAL,
        Noise.GIVEN_BLANK,
        Noise.SURNAME_TRUNCATED,
        Noise.STREET_NAME_TRUNCATED,
        Noise.STREET_TYPE_TRUNCATED,
        Noise.HOUSE_NUMBER_TRANSPOSED,
        Noise.HOUSE_DIGIT_DROPPED,
        Noise.HOUSE_NUMBER_BLANK,
        Noise.UNIT_MISSING,
        Noise.STREET_JOINED,
        Noise.ZIP_DIGIT,
        Noise.ZIP_PLUS4,
        Noise.ZIP_BLANK,
    }
    for kind, rate in SURVEY_NOISE_RATES.items():
        expected = rate * n
        slack = 4 * np.sqrt(expected) + 1
        low = (0.45 if kind in shadowed else 1.0) * expected - slack
        assert low <= seen[kind] <= expected + slack, (kind, seen[kind], expected)


def test_survey_noise_kinds_all_occur_in_a_sample(survey):
    _, truth = survey
    tags = _tags(truth)
    for kind in SURVEY_NOISE_RATES:
        assert tags.get(kind.value, 0) >= 1, kind
    # kinds that apply to (nearly) every request: their share is the configured rate
    for kind in (Noise.PLACEHOLDER_GIVEN, Noise.TYPO, Noise.KEYBOARD, Noise.OCR, Noise.CITY_BLANK):
        rate = SURVEY_NOISE_RATES[kind]
        got = tags.get(kind.value, 0) / N
        assert got == pytest.approx(rate, abs=4 * np.sqrt(rate / N) + 0.003), kind


def test_survey_noise_looks_like_its_name(survey, reg):
    sub, truth = survey
    df = sub.merge(truth, on="request_id", suffixes=("", "_t"))
    placeholder = df[df.noise.str.contains("placeholder_given")]
    assert placeholder.first_name.map(is_placeholder_given).mean() > 0.9
    initial = df[df.noise.str.contains("given_initial") & ~df.noise.str.contains("name_order")]
    assert (initial.first_name.str.len() == 1).all()
    truncated = df[df.noise.str.contains("street_type_truncated")]
    full_types = {"STREET", "AVENUE", "ROAD", "DRIVE", "LANE", "BOULEVARD", "COURT", "PLACE"}
    assert not truncated.street.str.split().str[-1].isin(full_types).any()
    no_number = df[df.noise.str.contains("house_number_blank")]
    assert not no_number.street.str.match(r"^\d+ ").any()
    # the house number changes while the street stays
    tp = reg.addresses.to_pandas()
    streets = set(tp.street)
    for kind in ("house_number_transposed", "house_digit_dropped", "house_number"):
        rows = df[df.noise.str.contains(rf"(?:^|;){kind}(?:;|$)") & df.in_register]
        assert len(rows) >= 10, kind
        assert (~rows.street.isin(streets)).mean() > 0.9, kind


def test_household_strata_at_their_configured_rates(survey):
    _, truth = survey
    cfg = PROFILES[Profile.SURVEY]
    total = sum(cfg.outsider_weights.values())
    for kind in HOUSEHOLD_KINDS:
        share = (1 - cfg.in_register_share) * cfg.outsider_weights[kind] / total
        got = (truth.target_kind == kind.value).mean()
        assert got == pytest.approx(share, abs=4 * np.sqrt(share / N)), kind
    hh = truth[truth.target_kind.isin([k.value for k in HOUSEHOLD_KINDS])]
    assert not hh.in_register.any() and hh.tin.isna().all() and not hh.verifiable.any()
    assert hh.lookalike_of.notna().all() and hh.household_shared.all()


def test_household_non_filers_share_surname_middle_initial_and_address_with_a_filer(
    quiet_households, reg
):
    sub, truth = quiet_households
    df = sub.merge(truth, on="request_id", suffixes=("", "_t"))
    assert set(df.target_kind) == {k.value for k in HOUSEHOLD_KINDS}
    tp = reg.taxpayers.to_pandas().set_index("tin")
    filer = tp.loc[df.lookalike_of]
    assert (df.last_name.to_numpy() == filer.last_name.to_numpy()).all()
    initial = filer.middle_name.fillna("").str[:1].to_numpy()
    assert (df.middle_name.fillna("").str[:1].to_numpy() == initial).all()
    assert df.suffix.isna().all()
    # the address is one the filer has on file in the requested period
    ad = reg.addresses.to_pandas()
    on = df.merge(ad, left_on=["lookalike_of", *ADDR], right_on=["tin", *ADDR])
    on = on[on.tax_year.between(on.tax_period_start, on.tax_period_end)]
    assert set(on.request_id) == set(df.request_id)
    # non-filers are not in the register: no register person at that address has their name,
    # except the filer whose full name an identical-name member carries

    def key(frame: pd.DataFrame) -> pd.Series:
        parts = [frame[c].fillna("").astype(str) for c in ADDR]
        return parts[0].str.cat(parts[1:], sep="|")

    home = key(df)
    ad = ad.assign(home=key(ad))
    ad = ad[ad.home.isin(set(home))]
    residents = ad[["tin", "home"]].drop_duplicates().merge(tp, left_on="tin", right_index=True)
    given_at: dict[tuple[str, str], set[str]] = {}
    rows = zip(residents.home, residents.last_name, residents.first_name, strict=True)
    for h, last, first in rows:
        given_at.setdefault((h, last), set()).add(strip_accents(first))
    same = df.target_kind == TargetKind.HOUSEHOLD_SAME_NAME.value
    near = df.target_kind == TargetKind.HOUSEHOLD_NEAR_GIVEN.value
    other = df.target_kind == TargetKind.HOUSEHOLD_OTHER_GIVEN.value
    for h, last, first, is_same in zip(home, df.last_name, df.first_name, same, strict=True):
        taken = given_at.get((h, last), set())
        assert (strip_accents(first) in taken) == is_same
    f_given = filer.first_name.map(strip_accents).to_numpy()
    twin = filer[same.to_numpy()]
    assert (df.first_name[same].to_numpy() == twin.first_name.to_numpy()).all()
    middle = df.middle_name[same].fillna("").to_numpy()
    assert (middle == twin.middle_name.fillna("").to_numpy()).all()
    assert twin.suffix.isna().all()
    assert all(
        jellyfish.levenshtein_distance(a, b) == 1
        for a, b in zip(df.first_name[near], f_given[near.to_numpy()], strict=True)
    )
    assert all(
        outright_different(a, b)
        for a, b in zip(df.first_name[other], f_given[other.to_numpy()], strict=True)
    )
    # a birth date in the request never is the filer's: father and son are a generation apart
    with_birth = df[df.birth_date.notna()]
    assert 0.35 < len(with_birth) / len(df) < 0.65
    filer_birth = tp.loc[with_birth.lookalike_of].birth_date.astype(str).to_numpy()
    assert (with_birth.birth_date.to_numpy() != filer_birth).all()
    gap = (
        pd.to_datetime(with_birth.birth_date) - pd.to_datetime(filer_birth)
    ).dt.days.abs() / 365.25
    assert (gap[with_birth.target_kind.eq("household_same_name").to_numpy()] > 18).all()


def test_near_names_and_outright_differences():
    assert "JOAN" in near_given_names("JOHN") and "DANIELA" in near_given_names("DANIEL")
    assert "JOHN" not in near_given_names("JOHN")
    assert all(jellyfish.levenshtein_distance(n, "MARIA") == 1 for n in near_given_names("MARÍA"))
    assert outright_different("JOHN", "MARY")
    assert not outright_different("KATHERINE", "CATHERINE")  # one edit apart
    assert not outright_different("WILLIAM", "BILL")  # a nickname
    assert not outright_different("JOHN", "JAMES")  # same initial
    assert QWERTY_NEIGHBOURS["S"] == "ADWEZX" and QWERTY_NEIGHBOURS["Q"] == "WA"


def test_truth_invalid_is_exactly_what_the_validator_rejects(survey):
    sub, truth = survey
    table = pa.Table.from_pandas(sub.astype("string"), preserve_index=False)
    v = validate_requests(table, RequestPolicy(first_tax_year=YEARS[0], last_tax_year=YEARS[-1]))
    assert ((~v.accepted) == truth.invalid.to_numpy()).all()
    blanked = truth.noise.str.contains("given_blank|surname_blank")
    assert blanked.sum() >= 3 and (truth.invalid_kind[blanked & truth.invalid].notna()).all()
    assert not truth[blanked].verifiable.any()


def test_well_formed_states_given_name_surname_and_street_name(survey):
    frame = pd.DataFrame(
        {
            "first_name": ["JOHN", "WIFE", "J", None, "Mrs.", "Daughter of", "JOSÉ", "AL"],
            "last_name": ["SMITH", "SMITH", "SMITH", "SMITH", "LEE", "LEE", "NÚÑEZ", "O"],
            "street": [
                "12 MAIN ST", "12 MAIN ST", "12 MAIN ST", "12 MAIN ST", "12 MAIN ST",
                "12 MAIN ST", "MAIN", "12 MAIN ST",
            ],
        }
    )  # fmt: skip
    assert well_formed(frame).tolist() == [True, False, False, False, False, False, True, False]
    streets = pd.DataFrame(
        {
            "first_name": ["ANA"] * 7,
            "last_name": ["RUIZ"] * 7,
            "street": ["PO BOX 12", "90210", "FAILED TO PROVIDE", None, "123", "123MAIN", "5TH"],
        }
    )
    assert well_formed(streets).tolist() == [False, False, False, False, False, True, True]
    sub, truth = survey
    assert truth.well_formed.dtype == bool
    assert (truth.well_formed.to_numpy() == well_formed(sub)).all()
    cut = truth.noise.str.contains("placeholder_given|given_initial")
    retyped = truth.noise.str.contains("typo|keyboard|ocr|phonetic|name_order")
    assert cut.sum() >= 50 and not truth[cut & ~retyped].well_formed.any()
    assert 0.85 < truth.well_formed.mean() < 0.99
    assert (
        "well_formed"
        not in generate_submissions(
            load_register(generate_register(500, YEARS, np.random.default_rng(0))),
            20,
            Profile.REALISTIC,
            np.random.default_rng(0),
        )[1]
    )


def test_same_seed_same_bytes(tmp_path, view):
    outs = []
    for i in range(2):
        sub, truth = generate_submissions(view, 400, Profile.SURVEY, np.random.default_rng(21))
        outs.append(write_submissions(tmp_path / f"o{i}", sub, truth))
    for name in ("submissions.csv", "truth.parquet"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    other, _ = generate_submissions(view, 400, Profile.SURVEY, np.random.default_rng(22))
    assert other.to_csv() != pd.read_csv(outs[0] / "submissions.csv", dtype=str).to_csv()


def test_cli_selects_the_survey_profile(tmp_path):
    reg_dir, out = tmp_path / "reg", tmp_path / "subs"
    synth = ["synth", "register", "--people", "3000", "--years", "2020-2023", "--seed", "4"]
    main([*synth, "--out", str(reg_dir)])
    argv = ["synth", "submissions", "--register", str(reg_dir), "--count", "300"]
    main([*argv, "--profile", "survey", "--seed", "1", "--out", str(out)])
    truth = pd.read_parquet(out / "truth.parquet")
    assert "well_formed" in truth and truth.target_kind.str.startswith("household_").any()


def test_noise_rates_are_checked():
    with pytest.raises(ConfigError):
        ProfileConfig(noise_rates={Noise.TYPO: 1.5})
    with pytest.raises(ConfigError):
        ProfileConfig(noise_rates={Noise.OUTDATED_ADDRESS: 0.1})
    assert Profile.parse("survey") is Profile.SURVEY


def test_docs_tables_are_generated_from_the_config():
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- profiles-table:start -->\n(.*?)<!-- profiles-table:end -->", text, re.S
    )
    assert block, "docs/profiles.md lacks the generated tables"
    assert block.group(1) == profiles_markdown(), (
        "docs/profiles.md is stale: paste profiles_markdown() between the markers"
    )
    for profile in Profile:
        assert f"`{profile.value}`" in text
    for kind in SURVEY_NOISE_RATES:
        assert f"`{kind.value}`" in text
    quoted = re.findall(r"`(\w+)` (\d+(?:\.\d+)?)%", text[: block.start()])
    rates = {k.value: 100 * r for k, r in SURVEY_NOISE_RATES.items()}
    checked = [(name, float(pct)) for name, pct in quoted if name in rates]
    assert len(checked) >= 20
    assert all(pct == pytest.approx(rates[name]) for name, pct in checked), checked
