"""Approximate unlearning methods for classifiers, one file each, registered in ``UNLEARNING`` (P1)."""
