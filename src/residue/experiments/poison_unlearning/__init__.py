"""P1 — "Machine Unlearning Fails to Remove Data Poisoning Attacks" (arXiv 2406.17216).

See experiments/poison_unlearning/README.md for the claims, criteria and deviations."""
