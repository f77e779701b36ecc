"""Normalization: examples for names and addresses, plus totality/idempotence properties."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xverify import normalize as nz


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("José  Martínez", "JOSE MARTINEZ"),
        ("O'Brien", "OBRIEN"),
        ("García-López", "GARCIA LOPEZ"),
        ("Østergaard", "OSTERGAARD"),
        ("Straße", "STRASSE"),
        ("  \t\n", ""),
        (None, ""),
        (float("nan"), ""),
        (12345, "12345"),
    ],
)
def test_fold(raw: object, folded: str) -> None:
    assert nz.fold(raw) == folded


@pytest.mark.parametrize(
    "spelling", ["GARCIA LOPEZ", "García López", "garcia-lopez", "Garcia y Lopez", "GARCIA, LOPEZ"]
)
def test_compound_surname_spellings_share_components(spelling: str) -> None:
    comps, suffix = nz.surname_components(spelling)
    assert comps == ("GARCIA", "LOPEZ")
    assert suffix == ""


def test_reordered_and_partial_surnames_share_components() -> None:
    full = set(nz.surname_components("GARCIA LOPEZ")[0])
    assert set(nz.surname_components("LOPEZ GARCIA")[0]) == full
    assert set(nz.surname_components("GARCIA")[0]) < full


@pytest.mark.parametrize(
    ("raw", "comps"),
    [
        ("de la Cruz", ("DE LA CRUZ",)),
        ("Ramírez de la Cruz", ("RAMIREZ", "DE LA CRUZ")),
        ("del Rio y Soto", ("DEL RIO", "SOTO")),
        ("Van der Berg", ("VAN DER BERG",)),
        ("dos Santos", ("DOS SANTOS",)),
        ("Nguyen Do", ("NGUYEN", "DO")),
    ],
)
def test_particles_stay_with_their_component(raw: str, comps: tuple[str, ...]) -> None:
    assert nz.surname_components(raw)[0] == comps
    assert nz.core(comps[-1]) == comps[-1].split()[-1]


def test_given_names_and_suffixes() -> None:
    name = nz.normalize_name("María del Carmen", None, "Smith Jr.", None)
    assert name.given == ("MARIA", "DEL CARMEN")
    assert name.surnames == ("SMITH",)
    assert name.suffix == "JR"
    assert nz.normalize_name("Dr. John", "", "Doe", "III").given == ("JOHN",)
    assert nz.normalize_name("John", "", "Doe", "3rd").suffix == "III"
    assert nz.normalize_name("John", "", "Doe", "Esq").suffix == ""
    assert "MARIA" not in repr(name)


@pytest.mark.parametrize(
    ("nick", "canonical"),
    [
        ("Pepe", "JOSE"),
        ("Paco", "FRANCISCO"),
        ("Pancho", "FRANCISCO"),
        ("Lupe", "GUADALUPE"),
        ("Chuy", "JESUS"),
        ("Memo", "GUILLERMO"),
        ("Lalo", "EDUARDO"),
        ("Chema", "JOSE"),
        ("Nacho", "IGNACIO"),
        ("Conchita", "CONCEPCION"),
        ("Lola", "DOLORES"),
        ("Bill", "WILLIAM"),
        ("Liz", "ELIZABETH"),
        ("Jim", "JAMES"),
    ],
)
def test_nicknames_share_a_canonical_with_the_formal_name(nick: str, canonical: str) -> None:
    assert set(nz.canonical_given(nick)) & set(nz.canonical_given(canonical))
    # extra token, never a replacement
    assert nz.normalize_name(nick, None, "X").given == (nz.fold(nick),)


@pytest.mark.parametrize(
    ("nick", "formal"),
    [("Ray", "RAYMOND"), ("Chris", "CHRISTOPHER"), ("Thad", "THADDEUS"), ("Luke", "LUCAS")],
)
def test_nickname_and_formal_name_agree_both_ways(nick: str, formal: str) -> None:
    """A nickname lists the formal names it stands for, the most common first, and every
    name lists itself: mutual pairs (RAY, RAYMOND) and crowded ones (CHRIS) still meet."""
    assert set(nz.canonical_given(nick)) & set(nz.canonical_given(formal))


def test_formal_names_sharing_a_nickname_stay_apart() -> None:
    assert not set(nz.canonical_given("CHRISTOPHER")) & set(nz.canonical_given("CHRISTINA"))


def test_ocr_digits_in_names_are_read_as_letters() -> None:
    assert nz.normalize_name("J0HN", "R0SE", "5MITH") == nz.normalize_name("JOHN", "ROSE", "SMITH")
    assert nz.normalize_name("JOHN", None, "SMITH 3RD").suffix == "III"  # suffixes keep digits


def test_unknown_given_name_is_its_own_canonical() -> None:
    assert nz.canonical_given("Xochitl") == ("XOCHITL",)
    assert nz.canonical_given("") == ()


def test_phonetic_merges_spanish_spellings() -> None:
    for a, b in [("JIMENEZ", "GIMENEZ"), ("GONZALEZ", "GONZALES"), ("CASTILLO", "CASTIYO"),
                 ("RODRIGUEZ", "RODRIGES"), ("VASQUEZ", "VAZQUEZ")]:  # fmt: skip
        assert nz.phonetic(a) == nz.phonetic(b)
    assert nz.phonetic("GARCIA") != nz.phonetic("LOPEZ")


@pytest.mark.parametrize(
    ("street", "unit", "line", "unit_out"),
    [
        ("123 North Main Street Apt. 4B", None, "123 N MAIN ST", "4B"),
        ("123 N. Main St. #4b", None, "123 N MAIN ST", "4B"),
        ("123 n main st", "Apt 4B", "123 N MAIN ST", "4B"),
        ("APT 4B 123 MAIN STREET", None, "123 MAIN ST", "4B"),
        ("123 Main St 4", None, "123 MAIN ST", "4"),
        ("4500 West First Avenue Northwest", None, "4500 W 1ST AVE NW", ""),
        ("77 Sunset Boulevard Suite 200", None, "77 SUNSET BLVD", "200"),
        ("123 1/2 Elm Road", None, "123 1/2 ELM RD", ""),
        ("123 North St", None, "123 NORTH ST", ""),
        ("P.O. Box 0012", None, "PO BOX 12", ""),
        ("Post Office Box 12", None, "PO BOX 12", ""),
        ("10 Calle Martí", None, "10 CALLE MARTI", ""),
        ("1361 Key Blvd", None, "1361 KEY BLVD", ""),
        ("12 Pier Ave Lot 5", None, "12 PIER AVE", "5"),
    ],
)
def test_street_lines(street: str, unit: str | None, line: str, unit_out: str) -> None:
    parts = nz.normalize_street(street, unit)
    assert parts.line == line
    assert parts.unit == unit_out
    assert parts.has_street
    assert "MAIN" not in repr(parts)


@pytest.mark.parametrize("street", ["12345", "12345-6789", "123", "APT 4", "# 5", "", None, "  "])
def test_lines_without_a_street(street: str | None) -> None:
    assert not nz.normalize_street(street).has_street


def test_usps_suffix_table_is_complete_for_common_types() -> None:
    for full, abbr in [("STREET", "ST"), ("AVENUE", "AVE"), ("BOULEVARD", "BLVD"), ("DRIVE", "DR"),
                       ("COURT", "CT"), ("PLACE", "PL"), ("LANE", "LN"), ("ROAD", "RD"),
                       ("PARKWAY", "PKWY"), ("HIGHWAY", "HWY"), ("CIRCLE", "CIR"),
                       ("TERRACE", "TER"), ("TRAIL", "TRL"), ("CROSSING", "XING")]:  # fmt: skip
        assert nz.normalize_street(f"1 OAK {full}").line == f"1 OAK {abbr}"


def test_abbreviations_are_fixed_points() -> None:
    table = nz._street_suffixes()
    assert all(table.get(abbr) == abbr for abbr in table.values())
    assert all(nz.DIRECTIONALS.get(d) == d for d in nz.DIRECTIONALS.values())
    assert not set(table) & set(nz.DIRECTIONALS)


def test_city_state_zip() -> None:
    assert nz.normalize_zip5("90001-1234") == "90001"
    assert nz.normalize_zip5("900011234") == "90001"
    assert nz.normalize_zip5("2134") == "02134"
    assert nz.normalize_zip5("N/A") == ""
    assert nz.normalize_zip5("00000") == ""
    assert nz.normalize_state("California") == "CA"
    assert nz.normalize_state(" ca ") == "CA"
    assert nz.normalize_city("Saint Louis") == nz.normalize_city("St. Louis") == "ST LOUIS"
    assert nz.normalize_unit("Apt #04 b") == "4B"


# -- properties -------------------------------------------------------------------------------

_text = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats())
_streetish = st.lists(
    st.sampled_from(["123", "N", "North", "Main", "St", "Street", "APT", "#", "4B", "1/2", "PO",
                     "Box", "-", "Ave", "SE", "de", "la", "12345", "Lot", "Rear", "#4"]),
    max_size=8,
).map(" ".join)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(_text)
def test_fold_is_total_and_idempotent(value: object) -> None:
    out = nz.fold(value)
    assert nz.fold(out) == out
    assert set(out) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")


@settings(max_examples=150, deadline=None)
@given(_text, _text, _text, _text)
def test_names_total_and_idempotent(
    first: object, middle: object, last: object, sfx: object
) -> None:
    a = nz.normalize_name(first, middle, last, sfx)
    b = nz.normalize_name(" ".join(a.given), a.middle, " ".join(a.surnames), a.suffix)
    assert (b.given, b.middle, b.surnames, b.suffix) == (a.given, a.middle, a.surnames, a.suffix)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_text, _streetish), st.one_of(st.none(), _streetish))
@example("0:0:REAR:REAR:REAR:REAR:REAR:REAR", None)  # a run of unit flags, one stripped per parse
def test_street_total_and_idempotent(street: object, unit: object) -> None:
    a = nz.normalize_street(street, unit)
    b = nz.normalize_street(a.line, a.unit)
    assert (b.line, b.unit, b.has_street) == (a.line, a.unit, a.has_street)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["GARCIA LOPEZ", "DE LA CRUZ", "MARIA DEL CARMEN", "OBRIEN"]),
       st.sampled_from(["lower", "upper", "title", "accents", "punct", "spaces"]))  # fmt: skip
def test_equivalent_spellings_normalize_equal(name: str, variant: str) -> None:
    accented = {"GARCIA LOPEZ": "García López", "DE LA CRUZ": "de la Crúz",
                "MARIA DEL CARMEN": "María del Cármen", "OBRIEN": "O'Brién"}  # fmt: skip
    spelled = {
        "lower": name.lower(),
        "upper": name,
        "title": name.title(),
        "accents": accented[name],
        "punct": name.replace(" ", "-") + ".",
        "spaces": "  " + name.replace(" ", "   ") + " ",
    }[variant]
    assert nz.surname_components(spelled) == nz.surname_components(name)
    assert nz.given_components(spelled) == nz.given_components(name)


@settings(max_examples=100, deadline=None)
@given(st.one_of(_text, st.text(alphabet="0123456789- ", max_size=12)))
def test_zip_total_and_idempotent(value: object) -> None:
    z = nz.normalize_zip5(value)
    assert z == "" or (len(z) == 5 and z.isdigit())
    assert nz.normalize_zip5(z) == z


# -- column-wise twins equal the scalar functions ----------------------------------------------

_street_words = st.sampled_from(
    ["123", "7", "0042", "N", "North", "SE", "Main", "main.", "St", "Street", "Ave", "AVENUE",
     "APT", "#", "#4", "4B", "1/2", "PO", "Box", "Lot", "Rear", "First", "de", "la", "Calle",
     "José", ",", "12345", "Unit", "Ste", "-", "St.", "W", "Park", "Way", "Ct", "PL", "Hwy", "66",
     "Ninth", "Fall", "Key", "Pier", "O", "Suite"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_street_words, max_size=7).map(" ".join),
                          st.text(max_size=15)), min_size=1, max_size=12))  # fmt: skip
def test_street_column_equals_normalize_street(values: list[str | None]) -> None:
    import pyarrow as pa

    col = nz.street_column(pa.array(values, pa.string()))
    for i, v in enumerate(values):
        p = nz.normalize_street(v)
        e = col.entries[col.codes[i]]
        number = f"PO BOX {p.po_box}" if p.po_box else p.number
        got = (col.numbers()[i], e.rest, e.unit, e.has_street)
        assert got == (number, p.rest, p.unit, p.has_street)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.text(max_size=20), st.text(alphabet="abcXYZ019 '`.-,\t", max_size=20)
        ),
        max_size=12,
    )
)
def test_fold_column_equals_fold(values: list[str | None]) -> None:
    import pyarrow as pa

    folded, covered = nz.fold_column(pa.array(values, pa.string()))
    for i, v in enumerate(values):
        if covered[i]:
            assert folded[i].as_py() == nz.fold(v)
        else:
            assert v is None or not v.isascii()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789- x٣", max_size=12)), max_size=12))
def test_zip5_column_equals_normalize_zip5(values: list[str | None]) -> None:
    import pyarrow as pa

    got = nz.zip5_column(pa.array(values, pa.string())).to_pylist()
    assert got == [nz.normalize_zip5(v) for v in values]


@pytest.mark.parametrize("value", ["WIFE", "Daughter Of", "MRS", "fnu", "LADY OF", "Son"])
def test_a_placeholder_given_name_is_no_given_name(value: str) -> None:
    assert nz.given_components(value)[0] == ()


@pytest.mark.parametrize("value", ["MARY", "Mrs Mary", "SONIA", "LADONNA"])
def test_a_real_given_name_is_kept(value: str) -> None:
    assert nz.given_components(value)[0] != ()
