"""Splink (DuckDB backend): EM-trained Fellegi-Sunter with term-frequency adjustments.

Run in the splink venv: ``python splink_peer.py --register R --submissions S --out DIR``.
Configured as the Splink tutorials do for person linkage: name comparisons with
term-frequency adjustments, u by random sampling, lambda from deterministic rules, m by EM
over two blocking rules, and the same four prediction blocking rules the other peers use.
Recommended threshold: match probability 0.9. The score written is the match weight (log2
Bayes factor incl. prior; probability 0.9 = weight log2(9)): probabilities saturate at 1.0 in
floating point, which would make the threshold sweep blind at the top.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import numpy as np

THRESHOLD = math.log2(0.9 / 0.1)  # match probability 0.9 as a match weight
COLUMNS = ["uid", "first_name", "middle_initial", "last_name", "street", "city", "zip",
           "birth_date"]  # fmt: skip


def main() -> None:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    args = common.parse_args()
    timer = common.Timer()
    with timer.stage("load"):
        reg, subs, _ = common.load(args.register, args.submissions)
        n_reg = len(reg)
        reg["uid"] = np.arange(n_reg, dtype=np.int64)
        subs["uid"] = np.arange(len(subs), dtype=np.int64) + n_reg
        db = DuckDBAPI()
        left = db.register(reg[COLUMNS], dataset_display_name="register")
        right = db.register(subs[COLUMNS], dataset_display_name="requests")
    rules = [
        block_on("last_name", "zip"),
        block_on("first_name", "zip"),
        block_on("first_name", "last_name"),
        block_on("street", "zip"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("middle_initial"),
            cl.JaroWinklerAtThresholds("street", [0.95, 0.88]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("zip", [1]),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    with timer.stage("train"):
        linker = Linker([left, right], settings)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "last_name", "zip", "street")], recall=0.6
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("first_name", "last_name")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("street", "zip")
        )
    with timer.stage("block+score"):
        pred = linker.inference.predict(threshold_match_probability=0.001)
        df = pred.as_pandas_dataframe()
    with timer.stage("decide"):
        a, b = df["uid_l"].to_numpy(np.int64), df["uid_r"].to_numpy(np.int64)
        r, s = np.minimum(a, b), np.maximum(a, b) - n_reg
        decisions = common.best_per_request(
            subs, reg, s, r, df["match_weight"].to_numpy(float), THRESHOLD
        )
    from splink.blocking_analysis import count_comparisons_from_blocking_rules  # untimed

    try:
        counts = count_comparisons_from_blocking_rules(
            [left, right],
            blocking_rules=rules,
            link_type="link_only",
            unique_id_column_name="uid",
            record_sample_proportion=1.0,
        )
        pairs = int(counts[-1]["cumulative_comparison_count"])
    except Exception as exc:  # counting is informative only
        print(f"comparison count failed: {exc!r}", file=sys.stderr)
        pairs = -1
    common.write(
        args.out,
        decisions,
        timer,
        candidate_pairs=pairs,
        threshold=THRESHOLD,
        threshold_label="match probability 0.9 (weight 3.17)",
        predicted_pairs=len(df),
        packages=common.versions("splink", "duckdb", "pandas", "numpy"),
    )


if __name__ == "__main__":
    main()
