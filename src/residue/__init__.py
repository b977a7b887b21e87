"""residue: what models keep after unlearning, reproduced end to end with lineage.

The package is organised by idea (see DESIGN.md): ``data``, ``models``, ``training``,
``attacks``, ``unlearning``, ``diffusion``, ``memorization``, ``segmentation``, ``metrics``,
``report`` and one module per experiment in ``experiments``.  Snakemake rules reach it through
``python -m residue``.
"""

__version__ = "0.1.0"
