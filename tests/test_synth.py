"""Realism of the synthetic register: names, Latin American customs, households, moves, TINs."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import zipcodes

from xverify.errors import ConfigError
from xverify.synth import RegisterConfig, generate_register
from xverify.synth.corrupt import split_surnames, strip_accents
from xverify.synth.tins import SSN_EXTENDED, SSN_PRIMARY, TinAllocator, _ssn_extended

YEARS = range(2019, 2025)


@pytest.fixture(scope="module")
def reg():
    return generate_register(60_000, YEARS, np.random.default_rng(7))


@pytest.fixture(scope="module")
def people(reg):
    tp = reg.taxpayers.to_pandas()
    meta = reg.people.to_pandas()
    df = tp.merge(meta, on="tin", validate="1:1")
    df["paternal"] = [strip_accents(split_surnames(s)[0]).replace(" ", "") for s in df.last_name]
    return df


@pytest.fixture(scope="module")
def addresses(reg):
    return reg.addresses.to_pandas()


def test_surname_frequencies_match_census(people):
    n = len(people)
    # 2010 Census: SMITH 828 and GARCIA 395 per 100,000 people
    assert (people.paternal == "SMITH").sum() / n == pytest.approx(0.00828, rel=0.2)
    assert (people.paternal == "GARCIA").sum() / n == pytest.approx(0.00395, rel=0.25)
    assert (people.name_origin == "hispanic").mean() == pytest.approx(0.163, abs=0.012)
    garcia = people[people.paternal == "GARCIA"]
    assert (garcia.name_origin == "hispanic").mean() > 0.8


def test_first_names_follow_sex_and_origin(people):
    hisp_f = people[(people.name_origin == "hispanic") & (people.sex == "F")]
    first_word = hisp_f.first_name.map(lambda s: strip_accents(s).split()[0])
    assert 0.03 < (first_word == "MARIA").mean() < 0.2
    other_m = people[(people.name_origin == "other") & (people.sex == "M")]
    assert 0.015 < (other_m.first_name == "JAMES").mean() < 0.05
    assert (other_m.first_name == "MARY").mean() < 0.001


def test_hispanic_naming_customs(people):
    hisp = people[people.name_origin == "hispanic"]
    two = hisp.last_name.map(lambda s: len(split_surnames(s)) > 1)
    assert 0.2 < two.mean() < 0.5
    assert hisp.last_name.str.contains(r"^DE LA |^DEL |^DE LOS ", regex=True).sum() >= 5
    assert hisp.last_name.str.contains(" Y ").sum() >= 1
    assert hisp.last_name.str.contains("-").sum() >= 5
    assert hisp.first_name.str.contains("MAR[IÍ]A DE", regex=True).sum() >= 3
    accented = hisp.first_name + hisp.last_name
    assert accented.map(lambda s: not s.isascii()).mean() > 0.15
    assert people.loc[people.name_origin == "other", "last_name"].map(str.isascii).all()
    assert hisp.compound_surname.mean() > 0.2


def _member(people: pd.DataFrame, role: str) -> pd.DataFrame:
    return people[people.role == role].drop_duplicates("household_id").set_index("household_id")


def test_children_take_paternal_and_maternal_surnames(people):
    head, spouse = _member(people, "head"), _member(people, "spouse")
    kids = people[people.role.isin(["child", "twin"])]
    kids = kids[kids.household_id.isin(spouse.index)]
    father = head.loc[kids.household_id, "last_name"].map(split_surnames)
    two = (father.map(len) == 2).to_numpy()
    assert two.sum() >= 20
    mother = spouse.loc[kids.household_id, "last_name"].map(lambda s: split_surnames(s)[0])
    expected = [(f[0], m) for f, m in zip(father[two], mother[two], strict=True)]
    assert kids.last_name[two].map(split_surnames).tolist() == expected


def _same_address_each_year(addresses: pd.DataFrame, a: pd.Series, b: pd.Series) -> float:
    """Share of (pair, year) with both filing where the two people had the same address."""
    pairs = pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy()})
    cols = ["tin", "tax_year", "street", "unit", "zip"]
    left = pairs.merge(addresses[cols], left_on="a", right_on="tin")
    both = left.merge(addresses[cols], left_on=["b", "tax_year"], right_on=["tin", "tax_year"])
    same = (both.street_x == both.street_y) & (both.zip_x == both.zip_y)
    same &= both.unit_x.fillna("") == both.unit_y.fillna("")
    return float(same.mean())


def test_couples_share_address_and_mostly_surname(people, addresses):
    couples = people[people.household_kind == "couple"]
    head, spouse = _member(couples, "head"), _member(couples, "spouse")
    head = head.loc[spouse.index]
    assert _same_address_each_year(addresses, head.tin, spouse.tin) == 1.0
    same_name = head.last_name.to_numpy() == spouse.last_name.to_numpy()
    assert 0.6 < same_name.mean() < 0.95


def test_jr_sr_pairs_share_name_and_address(people, addresses):
    jr = people[people.household_kind == "jr_sr"]
    head, junior = _member(jr, "head"), _member(jr, "junior")
    head = head.loc[junior.index]
    assert len(junior) >= 150
    for col in ("first_name", "middle_name", "last_name"):
        assert (head[col].fillna("") == junior[col].fillna("")).all()
    assert junior.suffix.isin(["JR", "II"]).all()
    assert head.suffix.fillna("SR").eq("SR").all() and head.suffix.eq("SR").mean() > 0.5
    assert (head.birth_date < junior.birth_date).all()
    assert _same_address_each_year(addresses, head.tin, junior.tin) == 1.0


def test_twins_share_birth_date_not_first_name(people):
    twins = people[people.role == "twin"]
    assert len(twins) >= 50
    for _, g in twins.groupby("household_id"):
        if len(g) == 2:
            assert g.birth_date.nunique() == 1
            assert g.last_name.nunique() == 1
            assert g.first_name.nunique() == 2


def test_apartment_buildings_units_po_boxes_and_real_zips(addresses):
    latest = addresses.drop_duplicates("tin", keep="last")
    units = latest.dropna(subset=["unit"])
    per_building = units.groupby(["street", "zip"])["unit"].nunique()
    assert (per_building >= 5).sum() >= 50
    assert units.unit.str.match(r"^(APT|UNIT|#|STE) \w+$").all()
    assert latest.street.str.startswith("PO BOX ").mean() == pytest.approx(0.03, abs=0.015)
    assert latest.street.str.contains(r" (?:ST|AVE|RD|DR|LN|BLVD|CT)$", regex=True).mean() > 0.5
    sample = latest.drop_duplicates("zip").head(300)
    for z, city, state in sample[["zip", "city", "state"]].itertuples(index=False):
        (info,) = zipcodes.matching(z)
        assert (info["city"].upper(), info["state"]) == (city, state)
    hisp_states = latest.state.isin(["CA", "TX", "FL", "NY"]).mean()
    assert 0.25 < hisp_states < 0.5


def _move_rate(addresses: pd.DataFrame) -> float:
    a = addresses.sort_values(["tin", "tax_year"])
    key = a.street + "|" + a.unit.fillna("") + "|" + a.zip
    same_person = (a.tin.values[1:] == a.tin.values[:-1]) & (
        a.tax_year.values[1:] == a.tax_year.values[:-1] + 1
    )
    changed = key.values[1:] != key.values[:-1]
    return float(changed[same_person].mean())


def test_move_rate_in_range_and_configurable(addresses):
    assert 0.10 <= _move_rate(addresses) <= 0.15
    cfg = replace(RegisterConfig(), move_rate=0.3)
    fast = generate_register(5_000, YEARS, np.random.default_rng(1), cfg)
    assert _move_rate(fast.addresses.to_pandas()) == pytest.approx(0.3, abs=0.04)


def test_filing_rows_and_years(reg, people):
    a = reg.addresses.to_pandas()
    assert set(a.tax_year) == set(YEARS)
    assert not a.duplicated(["tin", "tax_year"]).any()
    assert set(a.tin) == set(people.tin)
    assert a.zip.str.fullmatch(r"\d{5}").all()
    per_year = a.groupby("tax_year").size() / len(people)
    assert per_year.between(0.8, 1.0).all()


def test_tins_never_issued_unique_and_formatted(people):
    tins = people.tin
    assert tins.is_unique
    assert tins.str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    ssn = people[people.tin_kind == "SSN"].tin
    itin = people[people.tin_kind == "ITIN"].tin
    assert ssn.str[:3].isin(["000", "666"]).all()
    assert itin.str.match(r"^9\d\d-(89|93)-").all()
    hisp_itin = (people[people.name_origin == "hispanic"].tin_kind == "ITIN").mean()
    assert hisp_itin == pytest.approx(0.12, abs=0.03)
    none = generate_register(
        3_000, YEARS, np.random.default_rng(2),
        replace(RegisterConfig(), itin_share_hispanic=0.0, itin_share_other=0.0),
    )  # fmt: skip
    assert not none.taxpayers.to_pandas().tin.str.startswith("9").any()


def test_tin_space_beyond_area_000_666_stays_never_issued():
    area, group, serial = _ssn_extended(np.arange(0, SSN_EXTENDED, 997))
    assert ((area >= 1) & (area <= 899) & (area != 666)).all()
    assert (group == 0).all() and ((serial >= 1) & (serial <= 9999)).all()
    alloc = TinAllocator(SSN_PRIMARY + 10, np.random.default_rng(0))
    alloc.take(np.zeros(SSN_PRIMARY - 5, dtype=bool))
    last = alloc.take(np.zeros(15, dtype=bool)).to_pylist()
    assert sum(t.startswith(("000-", "666-")) for t in last) == 5
    assert all(t[4:6] == "00" for t in last if not t.startswith(("000-", "666-")))


def test_every_return_row_has_a_canary(reg):
    r = reg.returns.to_pandas()
    assert len(r) == reg.addresses.num_rows
    assert r.canary.str.fullmatch(r"CANARY-[0-9A-F]{16}").all()
    assert r.canary.is_unique
    emp = r.employer.dropna()
    assert len(emp) > 0.6 * len(r) and emp.str.contains(r"CANARY-E[0-9A-F]{8}").all()
    assert set(r.filing_status) >= {"SINGLE", "MARRIED_FILING_JOINTLY", "HEAD_OF_HOUSEHOLD"}
    routing = r.bank_routing.dropna()
    d = routing.str.split("", expand=True).iloc[:, 1:10].astype(int).to_numpy()
    assert ((d @ np.array([3, 7, 1, 3, 7, 1, 3, 7, 1])) % 10 == 0).all()
    assert (r.agi >= r.wages).all()


def test_same_seed_same_tables_other_seed_differs():
    a = generate_register(3_000, YEARS, np.random.default_rng(5))
    b = generate_register(3_000, YEARS, np.random.default_rng(5))
    c = generate_register(3_000, YEARS, np.random.default_rng(6))
    for name in ("taxpayers", "addresses", "returns", "people"):
        assert a.table(name).equals(b.table(name))
    assert not a.taxpayers.equals(c.taxpayers)


@pytest.mark.parametrize(
    ("people", "years"), [(0, YEARS), (-3, YEARS), (10, range(2024, 2019)), (10, range(1900, 1901))]
)
def test_bad_arguments_raise_config_error(people, years):
    with pytest.raises(ConfigError):
        generate_register(people, years, np.random.default_rng(0))


def test_bad_config_raises():
    with pytest.raises(ConfigError):
        RegisterConfig(move_rate=1.5)


def test_tin_regex_sanity():
    assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", "000-12-3456")


def test_realism_knobs_change_the_distribution():
    from xverify.synth import HouseholdKind

    shares = dict.fromkeys(HouseholdKind, 0.0) | {
        HouseholdKind.MULTIGEN: 1.0,
        HouseholdKind.SINGLE: 0.2,
    }
    cfg = RegisterConfig(
        hispanic_share=0.5,
        two_surname_share=0.0,
        household_shares=shares,
        po_box_share=0.0,
        apartment_share=0.0,
    )
    r = generate_register(6_000, YEARS, np.random.default_rng(3), cfg)
    df = r.taxpayers.to_pandas().merge(r.people.to_pandas(), on="tin")
    assert (df.name_origin == "hispanic").mean() == pytest.approx(0.5, abs=0.04)
    assert set(df.household_kind) == {"multigen", "single"}
    assert not df.role.isin(["junior", "twin", "roommate"]).any()
    hisp = df[df.name_origin == "hispanic"]
    assert hisp.last_name.map(lambda s: len(split_surnames(s))).eq(1).mean() > 0.97
    head = df[df.role == "head"].set_index("household_id").birth_date
    elders = df[df.role == "elder"]
    assert len(elders) > 500
    assert (elders.birth_date.to_numpy() < head.loc[elders.household_id].to_numpy()).all()
    a = r.addresses.to_pandas()
    assert a.unit.isna().all() and not a.street.str.startswith("PO BOX").any()
