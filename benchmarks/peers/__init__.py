"""Per-system adapters, each a plain script run as its own process (peers in their own venv).

Every adapter reads the prepared inputs of one size (``peer_register.parquet``: one row per
person x distinct address with a ``years`` bitmask; ``submissions.csv``) and writes
``decisions.parquet`` (request_id, tin or null, score, linked) and ``timings.json``.
:mod:`common` is shared by all and imports only numpy, pandas and pyarrow.
"""
