"""Levels are defined once: in ``xverify.matching.levels``, and nowhere else as a number."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import xverify
from xverify.matching import levels as L
from xverify.matching.compare import TF_LEVELS, holds
from xverify.matching.levels import LEVEL_LABELS, LEVELS, Comparison, Rule

PACKAGE = Path(xverify.__file__).parent
#: expressions that hold a level: a levels matrix or column, a comparison index, a pattern
LEVEL_EXPR = re.compile(r"\blev(el)?s?\b|\blv\b|\blevel_\w+|Comparison\.|\bC\.[A-Z]|\bpats\b")


def _int(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


def _values(node: ast.AST) -> list[ast.AST]:
    """The expressions a level assignment can take its value from."""
    if isinstance(node, ast.IfExp):
        return _values(node.body) + _values(node.orelse)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "select":
        choices = node.args[1] if len(node.args) > 1 else None
        elts = list(choices.elts) if isinstance(choices, ast.List | ast.Tuple) else []
        return elts + node.args[2:] + [k.value for k in node.keywords if k.arg == "default"]
    return [node]


def level_literals(source: str) -> list[int]:
    """Line numbers of integer literals used as levels: compared with or assigned to a level,
    directly or through a module constant (``GIVEN_AGREES = 3``)."""
    tree = ast.parse(source)
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                pairs = [(t, node.value)]
                if isinstance(t, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs = list(zip(t.elts, node.value.elts, strict=False))
                constants.update(
                    {n.id: node.lineno for n, v in pairs if isinstance(n, ast.Name) and _int(v)}
                )

    def literal(node: ast.AST) -> bool:
        return _int(node) or (isinstance(node, ast.Name) and node.id in constants)

    def line(node: ast.AST) -> int:
        return constants[node.id] if isinstance(node, ast.Name) else node.lineno  # type: ignore[attr-defined]

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = [s for s in sides if isinstance(s, ast.Name) and s.id in constants]
            if any(literal(s) for s in sides) and any(
                LEVEL_EXPR.search(ast.unparse(s)) for s in sides if not literal(s)
            ):
                found.extend([line(s) for s in named] or [node.lineno])
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(LEVEL_EXPR.search(ast.unparse(t)) for t in targets) and any(
                _int(v) for v in _values(node.value)
            ):
                found.append(node.lineno)
        elif (
            isinstance(node, ast.keyword) and (node.arg or "").endswith("_min") and _int(node.value)
        ):
            found.append(node.value.lineno)
    return found


def test_no_level_literal_outside_the_levels_module() -> None:
    sources = [p for p in PACKAGE.rglob("*.py") if p != Path(L.__file__)]
    assert any(p.name == "compare_kernels.py" for p in sources)
    offenders = [
        f"{p.relative_to(PACKAGE)}:{line}"
        for p in sources
        for line in level_literals(p.read_text())
    ]
    assert not offenders, "level numbers belong in matching/levels.py: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "snippet",
    [
        "ok = levels[:, int(Comparison.ADDRESS)] >= 2",
        "same = lv == -1",
        "lev[p, C.GIVEN] = 5 if a else 4",
        "lev[:, C.SUFFIX] = np.select([a, b], [MISSING, 1], 0)",
        "level = 3",
        "x = Interaction(a, b, unless_min=1)",
        "AGREES = 3\nok = d['level_given'] >= AGREES",
        "A, B = 5, 4\nok = lv[:, 0] >= B",
    ],
)
def test_the_literal_check_finds_level_numbers(snippet: str) -> None:
    assert level_literals(snippet) == [1]  # the literal's own line


@pytest.mark.parametrize(
    "snippet",
    [
        "ok = levels[:, int(Comparison.ADDRESS)] >= Address.FUZZY_PLACE",
        "lev[p, C.GIVEN] = Given.ALL_EXACT if a else Given.SOME_EXACT",
        "n = len(rows) > 0",
        "level = np.full(n, MISSING, dtype=np.int8)",
    ],
)
def test_the_literal_check_lets_named_levels_pass(snippet: str) -> None:
    assert level_literals(snippet) == []


def test_every_comparison_declares_labelled_levels_from_zero() -> None:
    for c in Comparison:
        specs = LEVELS[c]
        assert [s.level for s in specs] == list(range(len(specs)))
        assert all(s.label and s.comparison is c for s in specs)
        assert len({s.label for s in specs}) == len(specs), c


def test_labels_belong_to_their_own_comparison() -> None:
    # IntEnum members of different comparisons compare equal (Given.FUZZY == Address.BUILDING):
    # each label must come from its own comparison's table
    assert LEVEL_LABELS[Comparison.GIVEN][L.Given.FUZZY] == "dice>=lo|phonetic"
    assert LEVEL_LABELS[Comparison.ADDRESS][L.Address.BUILDING] == "same building, no unit asked"
    assert LEVEL_LABELS[Comparison.MIDDLE] == ("differs", "initial agrees")
    assert not any(s.tf_adjusted for s in LEVELS[Comparison.ADDRESS])


def test_rules_name_the_levels_they_hold_for() -> None:
    for rule in Rule:
        held = [s.level for s in LEVELS[rule.comparison] if rule in s.rules]
        assert held == list(range(rule.min_level, len(LEVELS[rule.comparison])))
    # a rule over the levels matrix reads its own comparison's column only
    import numpy as np

    levels = np.full((1, len(Comparison)), L.MISSING, np.int8)
    levels[0, Comparison.ADDRESS] = L.Address.FUZZY_PLACE
    assert holds(Rule.ADDRESS_AGREES, levels)[0]
    assert not holds(Rule.STREET_LINE_AGREES, levels)[0]


def test_term_frequency_adjusts_the_exact_name_levels_only() -> None:
    assert TF_LEVELS == {
        Comparison.GIVEN: (L.Given.SOME_EXACT, L.Given.ALL_EXACT),
        Comparison.SURNAME: (L.Surname.SOME_EXACT, L.Surname.ALL_EXACT),
    }
