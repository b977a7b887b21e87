"""Unlearning methods for diffusion models, registered in ``DIFFUSION_UNLEARNING`` (P4)."""
