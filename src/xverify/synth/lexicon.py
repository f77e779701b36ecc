"""Small curated word lists the generator needs besides the census/SSA frequency tables.

Kept in code (not data files) because they are short, reviewed by hand, and change with the code.
"""

from __future__ import annotations

# Census spells particle surnames without spaces; Hispanic bearers usually write the particles.
PARTICLE_SURNAMES: dict[str, str] = {
    "DELACRUZ": "DE LA CRUZ",
    "DELEON": "DE LEON",
    "DEJESUS": "DE JESUS",
    "DELAROSA": "DE LA ROSA",
    "DELATORRE": "DE LA TORRE",
    "DELOSSANTOS": "DE LOS SANTOS",
    "DELVALLE": "DEL VALLE",
    "DELAGARZA": "DE LA GARZA",
    "DELUNA": "DE LUNA",
    "DELRIO": "DEL RIO",
    "DELTORO": "DEL TORO",
    "DELAFUENTE": "DE LA FUENTE",
    "DELAO": "DE LA O",
    "DELAPAZ": "DE LA PAZ",
    "DELCID": "DEL CID",
    "DELREAL": "DEL REAL",
    "DELAPENA": "DE LA PEÑA",
    "DELCASTILLO": "DEL CASTILLO",
    "DELACERDA": "DE LA CERDA",
    "DELAVEGA": "DE LA VEGA",
    "DELANGEL": "DEL ANGEL",
    "DELAMORA": "DE LA MORA",
    "DELARIVA": "DE LA RIVA",
    "DELALUZ": "DE LA LUZ",
    "DELBOSQUE": "DEL BOSQUE",
    "DELVILLAR": "DEL VILLAR",
    "DELCAMPO": "DEL CAMPO",
    "DELCARMEN": "DEL CARMEN",
    "DELOSANGELES": "DE LOS ANGELES",
    "DELPINO": "DEL PINO",
    "DELOSRIOS": "DE LOS RIOS",
    "DELAHOZ": "DE LA HOZ",
    "DELPOZO": "DEL POZO",
    "DELSOL": "DEL SOL",
    "DELMORAL": "DEL MORAL",
    "DELAHOYA": "DE LA HOYA",
    "DELAROCHA": "DE LA ROCHA",
    "DELOSREYES": "DE LOS REYES",
}

# Spanish spellings with diacritics of common Hispanic surnames and given names.
ACCENTED: dict[str, str] = {
    name.replace("Á", "A")
    .replace("É", "E")
    .replace("Í", "I")
    .replace("Ó", "O")
    .replace("Ú", "U")
    .replace("Ñ", "N"): name
    for name in [
        "GARCÍA",
        "RODRÍGUEZ",
        "HERNÁNDEZ",
        "LÓPEZ",
        "GONZÁLEZ",
        "PÉREZ",
        "SÁNCHEZ",
        "RAMÍREZ",
        "MARTÍNEZ",
        "GÓMEZ",
        "DÍAZ",
        "FERNÁNDEZ",
        "JIMÉNEZ",
        "ÁLVAREZ",
        "GUTIÉRREZ",
        "VÁSQUEZ",
        "VÁZQUEZ",
        "MÉNDEZ",
        "CHÁVEZ",
        "MUÑOZ",
        "NÚÑEZ",
        "PEÑA",
        "CASTAÑEDA",
        "IBÁÑEZ",
        "ORDÓÑEZ",
        "YÁÑEZ",
        "MONTAÑO",
        "BRISEÑO",
        "PATIÑO",
        "MARTÍN",
        "ROMÁN",
        "BELTRÁN",
        "ALARCÓN",
        "CALDERÓN",
        "COLÓN",
        "LEÓN",
        "RINCÓN",
        "MONDRAGÓN",
        "SUÁREZ",
        "VELÁSQUEZ",
        "VELÁZQUEZ",
        "MÁRQUEZ",
        "BENÍTEZ",
        "DOMÍNGUEZ",
        "ENRÍQUEZ",
        "ÁVILA",
        "GÁLVEZ",
        "QUIÑONES",
        "ACUÑA",
        "MUÑIZ",
        "ZÚÑIGA",
        "RÍOS",
        "GUZMÁN",
        "ESPAÑA",
        "ARAGÓN",
        "CORTÉS",
        "SOLÍS",
        "VÉLEZ",
        "ÁNGELES",
        "DURÁN",
        "SERRANO",
        "MEJÍA",
        "JOSÉ",
        "JESÚS",
        "RAMÓN",
        "JOAQUÍN",
        "MARÍA",
        "ÁNGEL",
        "RAÚL",
        "ÓSCAR",
        "RUBÉN",
        "AGUSTÍN",
        "ADRIÁN",
        "GERMÁN",
        "HÉCTOR",
        "VÍCTOR",
        "SOFÍA",
        "LUCÍA",
        "NÉSTOR",
        "EFRAÍN",
        "JULIÁN",
        "SEBASTIÁN",
        "TOMÁS",
        "NICOLÁS",
        "ANDRÉS",
        "MÓNICA",
        "VERÓNICA",
        "ANGÉLICA",
        "INÉS",
        "CONCEPCIÓN",
        "ASUNCIÓN",
        "ENCARNACIÓN",
    ]
}

# Hispanic compound given names (stored whole in ``first_name``), with relative weights.
COMPOUND_GIVEN: dict[str, tuple[tuple[str, int], ...]] = {
    "F": (
        ("MARIA DEL CARMEN", 10),
        ("MARIA GUADALUPE", 12),
        ("MARIA DE JESUS", 6),
        ("MARIA DE LOS ANGELES", 6),
        ("MARIA ELENA", 8),
        ("MARIA TERESA", 6),
        ("MARIA ISABEL", 6),
        ("MARIA LUISA", 5),
        ("MARIA FERNANDA", 4),
        ("MARIA JOSE", 3),
        ("ANA MARIA", 6),
        ("ROSA MARIA", 5),
        ("MARIA DEL ROSARIO", 4),
        ("MARIA DEL PILAR", 3),
    ),
    "M": (
        ("JOSE LUIS", 12),
        ("JUAN CARLOS", 10),
        ("JOSE ANTONIO", 8),
        ("MIGUEL ANGEL", 8),
        ("JOSE MANUEL", 6),
        ("JUAN JOSE", 5),
        ("LUIS ALBERTO", 4),
        ("JOSE MARIA", 3),
        ("JUAN PABLO", 4),
        ("JOSE DE JESUS", 5),
        ("JUAN MANUEL", 4),
        ("JOSE ALFREDO", 3),
    ),
}

# Spanish nicknames (nickname -> given name) used to distort submissions.
SPANISH_NICKNAMES: dict[str, str] = {
    "PEPE": "JOSE",
    "CHEPE": "JOSE",
    "PACO": "FRANCISCO",
    "PANCHO": "FRANCISCO",
    "LUPE": "GUADALUPE",
    "LUPITA": "GUADALUPE",
    "CHUY": "JESUS",
    "CHUCHO": "JESUS",
    "MEMO": "GUILLERMO",
    "LALO": "EDUARDO",
    "NACHO": "IGNACIO",
    "CHELO": "CONSUELO",
    "LOLA": "DOLORES",
    "CONCHA": "CONCEPCION",
    "PILI": "PILAR",
    "TOÑO": "ANTONIO",
    "KIKE": "ENRIQUE",
    "QUIQUE": "ENRIQUE",
    "RAFA": "RAFAEL",
    "MANOLO": "MANUEL",
    "MANNY": "MANUEL",
    "CHAVA": "SALVADOR",
    "GOYO": "GREGORIO",
    "CHABELA": "ISABEL",
    "MALENA": "MAGDALENA",
    "LUCHO": "LUIS",
    "POLO": "LEOPOLDO",
    "NANDO": "FERNANDO",
    "FITO": "RODOLFO",
    "CHARO": "ROSARIO",
    "BETO": "ALBERTO",
    "TERE": "TERESA",
    "MAYTE": "MARIA TERESA",
    "CHEMA": "JOSE MARIA",
    "JUANCHO": "JUAN",
    "MARU": "MARIA EUGENIA",
    "CUCA": "REFUGIO",
}

_NAMED_STREETS = (
    "MAIN, OAK, PINE, MAPLE, CEDAR, ELM, WASHINGTON, LAKE, HILL, PARK, WALNUT, SPRING, CHURCH, "
    "HIGHLAND, JEFFERSON, LINCOLN, MADISON, JACKSON, FRANKLIN, RIVER, SUNSET, RIDGE, MEADOW, "
    "FOREST, WILLOW, CHERRY, MILL, CENTER, UNION, COLLEGE, VALLEY, LAUREL, HICKORY, DOGWOOD, "
    "BIRCH, ASH, CHESTNUT, SYCAMORE, MAGNOLIA, POPLAR, SPRUCE, ADAMS, MONROE, WILSON, GRANT, "
    "KING, MARKET, BROAD, WATER, BRIDGE, SCHOOL, STATE, PROSPECT, PLEASANT, FAIRVIEW, GREEN, "
    "ORCHARD, VIEW, LAKESHORE, BAY, HARBOR, OCEAN, BEACH, DESERT, CANYON, MESA, VISTA, "
    "ALAMEDA, SAN PEDRO, SANTA FE, EL CAMINO REAL, LAS FLORES, LOS ROBLES, PALO VERDE, "
    "MISSION, SAN JACINTO, RIO GRANDE, CESAR CHAVEZ, BUENA VISTA, VALENCIA, CORONADO, "
    "CORTEZ, SAN ANTONIO, SANTA ROSA, LA PALOMA, DEL MAR, ALVARADO, PICO, OLYMPIC, "
    "MARTIN LUTHER KING JR, KENNEDY, ROOSEVELT, TRUMAN, EISENHOWER, COLUMBUS, "
    "DELAWARE, HUDSON, POTOMAC, OHIO, MISSOURI, COLORADO, DAKOTA, CAROLINA, GEORGIA, "
    "VIRGINIA, INDIANA, ARLINGTON, CAMBRIDGE, OXFORD, WINDSOR, DEVON, KENT, YORK, "
    "BROOKSIDE, CREEKSIDE, STONEY BROOK, FOX RUN, DEER PATH, QUAIL HOLLOW, EAGLE, "
    "HAWTHORNE, JUNIPER, AUTUMN, WINTER, SUMMER, HARVEST, PRAIRIE, MEADOWLARK, CARDINAL"
)
STREET_NAMES: tuple[str, ...] = tuple(_NAMED_STREETS.split(", ")) + tuple(
    f"{n}{'TH' if 10 <= n % 100 <= 20 else {1: 'ST', 2: 'ND', 3: 'RD'}.get(n % 10, 'TH')}"
    for n in range(1, 60)
)

# USPS Publication 28 street suffixes: (abbreviation, full word, relative weight).
STREET_TYPES: tuple[tuple[str, str, int], ...] = (
    ("ST", "STREET", 30),
    ("AVE", "AVENUE", 18),
    ("RD", "ROAD", 12),
    ("DR", "DRIVE", 14),
    ("LN", "LANE", 7),
    ("BLVD", "BOULEVARD", 5),
    ("CT", "COURT", 6),
    ("PL", "PLACE", 3),
    ("WAY", "WAY", 4),
    ("CIR", "CIRCLE", 3),
    ("PKWY", "PARKWAY", 2),
    ("TER", "TERRACE", 2),
    ("TRL", "TRAIL", 2),
    ("HWY", "HIGHWAY", 1),
)

DIRECTIONALS: tuple[tuple[str, str], ...] = (
    ("N", "NORTH"),
    ("S", "SOUTH"),
    ("E", "EAST"),
    ("W", "WEST"),
)

UNIT_DESIGNATORS: tuple[tuple[str, int], ...] = (("APT", 70), ("UNIT", 15), ("#", 10), ("STE", 5))

ALLOWED_STATUTES: tuple[str, ...] = ("8 U.S.C. 1253(a)(1)", "18 U.S.C. 1546")
BAD_STATUTES: tuple[str, ...] = ("8 U.S.C. 1357", "INA 287(g)", "EXEC ORDER 14159", "N/A")

ADDRESS_PLACEHOLDERS: tuple[str, ...] = (
    "FAILED TO PROVIDE",
    "UNKNOWN ADDRESS",
    "UNKNOWN",
    "N/A",
    "NONE",
    "NO ADDRESS",
    "ADDRESS UNKNOWN",
    "NOT PROVIDED",
)

# Given-name fields of survey and field records that hold a role, a title or a placeholder
# instead of a name (with relative weights); a request naming one states no given name.
PLACEHOLDER_GIVEN: tuple[tuple[str, int], ...] = (
    ("WIFE", 8),
    ("MRS", 8),
    ("RESIDENT", 6),
    ("DAUGHTER OF", 4),
    ("LADY OF", 3),
    ("SON OF", 3),
    ("HUSBAND", 3),
    ("OCCUPANT", 3),
    ("MR", 3),
    ("MISS", 2),
    ("DAUGHTER", 2),
    ("SON", 2),
    ("WIFE OF", 2),
    ("BABY", 1),
    ("UNKNOWN", 2),
    ("FNU", 2),  # "first name unknown" in federal records
    ("NFN", 1),  # "no first name"
)

REASON_TEMPLATES: tuple[str, ...] = (
    "The subject is the named respondent in removal proceedings under case {case}; a current "
    "mailing address is required to serve notice and to locate the subject for enforcement.",
    "Investigation {case} concerns the use of fraudulent identity and employment documents; the "
    "subject's last known address is needed to execute a lawful arrest warrant.",
    "A final order of removal was entered against the subject and the subject failed to depart "
    "within the period allowed; the address is needed to locate the subject (ref. {case}).",
    "The subject is suspected of presenting a counterfeit permanent resident card to an "
    "employer; the information is directly relevant to investigation {case}.",
    "Records indicate the subject remained in the United States after the period of admission "
    "expired; locating the subject is necessary to carry out the order in case {case}.",
)

INDUSTRIES: list[str] = [
    "LANDSCAPING",
    "CONSTRUCTION",
    "LOGISTICS",
    "FOODS",
    "HEALTH",
    "MEDICAL",
    "DENTAL",
    "ROOFING",
    "PLUMBING",
    "ELECTRIC",
    "TRUCKING",
    "CLEANING",
    "STAFFING",
    "RESTAURANT",
    "DAIRY",
    "FARMS",
    "PACKING",
    "MANUFACTURING",
    "MOTORS",
    "AUTO",
    "SUPPLY",
    "SERVICES",
    "SOLUTIONS",
    "TECHNOLOGIES",
    "HOLDINGS",
    "HOSPITALITY",
    "RETAIL",
]
COMPANY_SUFFIXES: tuple[str, ...] = ("LLC", "INC", "CO", "CORP", "LTD", "LP", "GROUP")
EMPLOYER_PREFIXES: list[str] = [
    "ACME",
    "SUNRISE",
    "PACIFIC",
    "ATLANTIC",
    "MIDWEST",
    "SOUTHERN",
    "NORTHERN",
    "GOLDEN",
    "EAGLE",
    "SUMMIT",
    "PIONEER",
    "LIBERTY",
    "PREMIER",
    "UNITED",
    "NATIONAL",
    "AMERICAN",
    "FIRST",
    "STAR",
    "EVERGREEN",
    "RIVERSIDE",
    "LAKEVIEW",
]

# 2020 population (thousands) and Hispanic percentage per state (rounded, U.S. Census Bureau).
STATES: dict[str, tuple[int, int]] = {
    "AL": (5024, 5), "AK": (733, 7), "AZ": (7152, 31), "AR": (3012, 8), "CA": (39538, 39),
    "CO": (5774, 22), "CT": (3606, 17), "DE": (990, 10), "DC": (690, 11), "FL": (21538, 26),
    "GA": (10712, 10), "HI": (1455, 11), "ID": (1839, 13), "IL": (12812, 18), "IN": (6786, 8),
    "IA": (3190, 7), "KS": (2938, 13), "KY": (4506, 4), "LA": (4658, 7), "ME": (1362, 2),
    "MD": (6177, 11), "MA": (7030, 13), "MI": (10077, 5), "MN": (5706, 6), "MS": (2961, 3),
    "MO": (6155, 5), "MT": (1084, 4), "NE": (1962, 12), "NV": (3105, 29), "NH": (1378, 4),
    "NJ": (9289, 21), "NM": (2118, 49), "NY": (20201, 19), "NC": (10439, 10), "ND": (779, 4),
    "OH": (11799, 4), "OK": (3959, 11), "OR": (4237, 14), "PA": (13003, 8), "RI": (1097, 17),
    "SC": (5118, 6), "SD": (887, 4), "TN": (6910, 6), "TX": (29146, 40), "UT": (3272, 15),
    "VT": (643, 2), "VA": (8631, 10), "WA": (7705, 13), "WV": (1794, 2), "WI": (5894, 7),
    "WY": (577, 10),
}  # fmt: skip
