"""Approximate unlearning methods for classifiers, one file each, registered in ``UNLEARNING`` (P1).

The entry point is :func:`unlearn` (``residue.unlearning.base``)."""

from .base import unlearn

__all__ = ["unlearn"]
