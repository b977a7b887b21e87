"""Memorization mitigations (NeMo, NeMo-C, Wanda pruning, Wen et al.), registered in ``MITIGATIONS`` (P3)."""
