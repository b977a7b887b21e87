"""P4 — DiMRA / DiMUM (arXiv 2512.03564): relearning attacks on diffusion unlearning, and
unlearning by memorization.  See experiments/relearning/README.md.

Jobs: ``relearning.classifier`` / ``.original`` / ``.replay`` (the models every unlearning run shares, :mod:`.shared`),
``relearning.unlearn`` / ``.dimra`` (:mod:`.jobs`), ``relearning.poison_relearn`` (:mod:`.poison_relearn`,
beyond the paper: relearning after P1's classifier unlearning), ``relearning.summarise`` (:mod:`.summarise`).
"""
