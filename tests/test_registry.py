"""Registries: every kind loads, unknown names list the allowed ones."""

import pytest

from residue.errors import ConfigError
from residue.registries import DATASETS, JOBS, MODELS
from residue.registry import registry


def test_core_registries_are_filled():
    assert {"digits", "fashion_mnist", "cifar10"} <= set(DATASETS.names())
    assert {"logreg", "mlp", "cnn", "resnet18"} <= set(MODELS.names())
    assert {"baselines.train", "baselines.summarise", "report.build"} <= set(JOBS.names())


def test_unknown_name_lists_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"^runs\.x\.model: unknown model 'vit'; allowed: (\w+, )*cnn, (\w+, )*resnet18$"):
        MODELS.get("vit", "runs.x.model")
    with pytest.raises(ConfigError, match="unknown registry 'nope'"):
        registry("nope")


def test_models_build_with_the_expected_output_shape():
    import torch

    for name, shape in [("logreg", (1, 8, 8)), ("mlp", (1, 8, 8)), ("cnn", (1, 28, 28)), ("resnet18", (3, 32, 32))]:
        kw = {"width": 8} if name == "resnet18" else {}
        model = MODELS.get(name)(shape, 10, **kw)
        assert model(torch.zeros(2, *shape)).shape == (2, 10)


def test_declared_names_are_the_registered_ones():
    """The source scan the validator relies on finds exactly what importing registers."""
    import residue.registries as regs
    from residue.registry import Registry

    for reg in vars(regs).values():
        if isinstance(reg, Registry):
            assert reg.declared == set(reg.names()), reg.kind


def test_scanned_hyper_parameters_are_the_functions_keywords():
    """The config validator checks ``hp`` keys against a source scan; it must agree with the
    imported functions' signatures (parameters with a default, and keyword-only ones)."""
    import inspect

    from residue.registry import registry

    for kind in ("unlearning method", "diffusion unlearning method"):
        reg = registry(kind)
        for name in reg.names():
            params = inspect.signature(reg.get(name)).parameters.values()
            want = {p.name for p in params if p.kind is p.KEYWORD_ONLY
                    or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)}
            assert reg.keywords(name) == want, (kind, name)


def test_scanned_attack_arguments_are_the_dataclass_fields():
    """``attack_args`` keys are checked against a source scan of each attack's registered
    dataclass, inherited fields included (gradient matching's extends the brew's)."""
    import dataclasses

    from residue.registries import ATTACKS

    assert ATTACKS.names() == ["backdoor", "gaussian", "gradient_canceling", "gradient_matching"]
    for name in ATTACKS.names():
        assert ATTACKS.keywords(name) == {f.name for f in dataclasses.fields(ATTACKS.get(name))}, name


def test_validating_a_profile_imports_no_torch():
    """The DAG build validates the config; importing torch and diffusers there cost 5 s per run."""
    import subprocess
    import sys

    code = (
        "import sys; from residue.config import read, validate; "
        "validate(read('config/default.yaml')); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
