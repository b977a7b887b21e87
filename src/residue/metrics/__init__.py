"""Evaluation metrics, one file each; an experiment calls the ones its claims need (no config names a metric)."""
