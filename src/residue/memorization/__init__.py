"""Memorization metrics for diffusion models (P3's FB-Mem)."""
