"""Attacks on xverify's encodings, default against hardened (issue 18 item 8).

    python -m benchmarks.attacks run --size 1m        # results/attacks-<size>.json
    python -m benchmarks.attacks report               # README table from the latest JSON

See :mod:`benchmarks.attacks.attacks` for what each attack does and what it measures.
"""
