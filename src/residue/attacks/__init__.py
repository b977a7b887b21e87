"""Poisoning attacks, one file each, registered in ``ATTACKS`` (P1, P2)."""
