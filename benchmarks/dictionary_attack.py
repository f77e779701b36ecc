"""Why xverify never offers unkeyed hashing: a dictionary reverses hashed names in seconds.

Hashes every surname of the 2010 Census table (shipped in the package) with plain SHA-256, then
"attacks" a file of unkeyed surname hashes by lookup; then shows the same attack finds nothing
against keyed tokens (HMAC under a secret the attacker does not hold).

    python benchmarks/dictionary_attack.py
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from importlib.resources import files

import pandas as pd


def main() -> None:
    surnames = pd.read_parquet(str(files("xverify") / "data" / "surnames.parquet"))
    col = "name" if "name" in surnames.columns else surnames.columns[0]
    names = surnames[col].astype(str).tolist()
    victims = [*names[:5000:7], "GARCIA", "NGUYEN", "OKAFOR"]

    leaked = {hashlib.sha256(v.encode()).hexdigest() for v in victims}
    t0 = time.perf_counter()
    table = {hashlib.sha256(n.encode()).hexdigest(): n for n in names}
    found = [table[h] for h in leaked if h in table]
    dt = time.perf_counter() - t0
    print(
        f"unkeyed SHA-256: reversed {len(found)}/{len(leaked)} surname hashes "
        f"with a {len(names):,}-name dictionary in {dt:.2f} s"
    )

    secret = os.urandom(32)
    keyed = {hmac.new(secret, v.encode(), "sha256").hexdigest() for v in victims}
    hits = sum(1 for h in keyed if h in table)
    print(f"keyed HMAC-SHA-256 (secret unknown to the attacker): reversed {hits}/{len(keyed)}")


if __name__ == "__main__":
    main()
