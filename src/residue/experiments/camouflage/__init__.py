"""P2, camouflaged poisoning (arXiv 2212.10717): see experiments/camouflage/README.md.

Modules: ``stages`` (which set each model is trained on), ``learners`` (convex and CNN),
``trial`` (one target through all stages), ``jobs`` (the per-seed job), ``summarise``
(tables, figures, claims).
"""
