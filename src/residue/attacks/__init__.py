"""Poisoning attacks, one file each (P1, P2).  Each registers the dataclass of its config arguments
(P1's ``attack_args``) in ``ATTACKS``: the config loader checks the keys against it, the P1
scenario builds it."""
