"""Dataset sources: one module per dataset, each registering ``materialise(out, source)``."""
