"""Evaluation metrics, one file each, registered in ``METRICS``."""
