"""The matching stages, in pipeline order.

``levels`` (what a comparison level means) -> ``blocking`` (candidate pairs) -> ``compare``
(agreement levels) -> ``training`` (the m/u model) -> ``score`` (match weights) -> ``decide``
(outcomes). ``pipeline`` runs blocking to scoring in one pass over the register; each stage's
compiled kernels sit beside it (``*_kernels.py``) with their NumPy twins.
"""
