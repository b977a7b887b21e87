"""Errors a user can act on: each prints as one line naming the key or file and what is allowed."""


class ResidueError(Exception):
    """Base class; ``python -m residue`` prints these as ``error: <message>`` and exits 2."""


class ConfigError(ResidueError):
    """A configuration key is unknown, of the wrong type, or names an unknown registry entry."""


class DataError(ResidueError):
    """A dataset file is missing, corrupted, or not what its manifest promises."""


class CheckpointError(DataError):
    """A saved model or checkpoint is missing, truncated or altered (its sha256 sidecar disagrees).

    Prints as ``<problem>: <fix>``; ``problem`` alone serves a caller that applies its own fix."""

    def __init__(self, problem: str, fix: str = ""):
        super().__init__(f"{problem}: {fix}" if fix else problem)
        self.problem = problem
