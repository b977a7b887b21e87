"""One module per experiment; each registers its jobs as ``<experiment>.<step>`` in ``JOBS``."""
