"""P3 — FB-Mem (arXiv 2508.12148): foreground/background memorization and its mitigations.

Jobs: ``fb_mem.train`` (text-conditional denoiser, learned segmenter, scene classifier for one
training seed), ``fb_mem.evaluate`` (generations under every mitigation for one sampling seed,
scored by FB-Mem and the whole-image baselines), ``fb_mem.summarise`` (tables, figures, claims).
"""
