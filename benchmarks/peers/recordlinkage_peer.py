"""recordlinkage: blocking + Jaro-Winkler comparisons + ECM (unsupervised Fellegi-Sunter).

Run in the recordlinkage venv: ``python recordlinkage_peer.py --register R --submissions S
--out DIR``. Same four blocking rules as the other peers; string comparisons binarised at
Jaro-Winkler 0.85 (ECM needs binary features). Recommended threshold: ECM probability 0.5
(what ``ECMClassifier.predict`` uses).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import numpy as np

THRESHOLD = 0.5
BLOCKS = [["last_name", "zip"], ["first_name", "zip"], ["first_name", "last_name"],
          ["street", "zip"]]  # fmt: skip


def main() -> None:
    import recordlinkage as rl

    args = common.parse_args()
    timer = common.Timer()
    with timer.stage("load"):
        reg, subs, _ = common.load(args.register, args.submissions)
    with timer.stage("block"):
        indexer = rl.Index()
        for cols in BLOCKS:
            indexer.block(left_on=cols, right_on=cols)
        pairs = indexer.index(reg, subs).unique()
    with timer.stage("compare"):
        cmp = rl.Compare()
        for col in ("first_name", "last_name", "street"):
            cmp.string(col, col, method="jarowinkler", threshold=0.85, label=col)
        for col in ("middle_initial", "city", "zip", "birth_date"):
            cmp.exact(col, col, label=col)
        features = cmp.compute(pairs, reg, subs)
    with timer.stage("train"):
        ecm = rl.ECMClassifier(binarize=None)
        ecm.fit(features)
    with timer.stage("score"):
        prob = ecm.prob(features).to_numpy(float)
    with timer.stage("decide"):
        r = features.index.get_level_values(0).to_numpy(np.int64)
        s = features.index.get_level_values(1).to_numpy(np.int64)
        decisions = common.best_per_request(subs, reg, s, r, prob, THRESHOLD)
    common.write(
        args.out,
        decisions,
        timer,
        candidate_pairs=len(pairs),
        threshold=THRESHOLD,
        threshold_label="ECM probability 0.5",
        packages=common.versions("recordlinkage", "jellyfish", "pandas", "numpy", "scikit-learn"),
    )


if __name__ == "__main__":
    main()
