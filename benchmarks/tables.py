"""Markdown tables generated from committed results, put between markers in a README."""

from __future__ import annotations


def between(text: str, begin: str, end: str, body: str) -> str:
    """``text`` with what lies between the ``begin`` and ``end`` marker lines replaced by
    ``body`` (``ValueError`` when a marker is missing)."""
    if begin not in text or end not in text:
        raise ValueError(f"no markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"
