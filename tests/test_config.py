"""Config validation: every profile is valid; bad input fails with one line naming the key."""

from dataclasses import dataclass

import pytest
import yaml

from residue.config import load, typed, validate
from residue.errors import ConfigError
from residue.training import TrainSpec

from .conftest import ROOT, run


@pytest.mark.parametrize("profile", ["default", "smoke", "paper"])
def test_profiles_are_valid(profile):
    load(ROOT / "config" / f"{profile}.yaml")


def smoke():
    return yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c.update(foo=1), "at <top level>: unknown key 'foo'; allowed: "),
        (lambda c: c["baselines"]["runs"]["digits_logreg"]["train"].update(epochs="three"), "train.epochs: 'three' is not of type integer"),
        (lambda c: c["baselines"]["runs"]["digits_logreg"].update(model="transformer"), "unknown model 'transformer'; allowed: "),
        (lambda c: c["baselines"]["runs"]["digits_logreg"].update(dataset="mnist"), "unknown dataset 'mnist'; allowed: "),
        (lambda c: c["baselines"]["runs"]["digits_logreg"]["train"].update(optimizer="lion"), "unknown optimizer 'lion'; allowed: adam, sgd"),
        (lambda c: c["baselines"]["runs"]["digits_logreg"]["train"].update(lr=-1), "train.lr: -1 is less than or equal to the minimum of 0"),
        (lambda c: c.update(experiments=["nope"]), "experiments[0]: 'nope' is not one of baselines"),
        (lambda c: c["poison_unlearning"]["methods"][0]["hp"].update(lrr=0.1),
         "poison_unlearning.methods[0].hp.lrr: unknown hyper-parameter 'lrr' of unlearning method 'gd'; allowed: batch_size, lr, momentum"),
        (lambda c: c["poison_unlearning"]["methods"][0].update(tune={"steps": [1, 2]}),
         "poison_unlearning.methods[0].tune.steps: unknown hyper-parameter 'steps' of unlearning method 'gd'"),
        (lambda c: c["relearning"]["methods"][0].setdefault("hp", {}).update(alpah=1.0),
         ".hp.alpah: unknown hyper-parameter 'alpah' of diffusion unlearning method"),
        (lambda c: c["camouflage"]["runs"]["convex"].update(unlearn_hp={"ssd": {"lambda": 1.0}}),
         "camouflage.runs.convex.unlearn_hp.ssd.lambda: unknown hyper-parameter 'lambda' of unlearning method 'ssd'; allowed: alpha, lam"),
        (lambda c: c["poison_unlearning"]["settings"][0]["attack_args"].update(sgima=0.1),
         "poison_unlearning.settings[0].attack_args.sgima: unknown argument 'sgima' of attack 'gaussian'; allowed: clip, fraction, sigma"),
        (lambda c: c["poison_unlearning"]["settings"][3].update(seeds=[0, 100]),
         "poison_unlearning.settings[3].seeds: seed(s) [100] are also tuning seeds (poison_unlearning.tuning.seeds [100])"),
        (lambda c: c["poison_unlearning"].update(seeds=[101], tuning={"seeds": [101]}),
         "poison_unlearning.seeds: seed(s) [101] are also tuning seeds"),
    ],
)
def test_bad_config_names_the_key(mutate, message):
    cfg = smoke()
    mutate(cfg)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_typed_builds_nested_dataclasses_and_rejects_unknown_keys():
    @dataclass(frozen=True)
    class Run:
        dataset: str
        train: TrainSpec
        seeds: list[int]

    run_ = typed(Run, {"dataset": "digits", "train": {"epochs": 2, "lr": 0.5}, "seeds": [1, 2]})
    assert run_.train == TrainSpec(epochs=2, lr=0.5) and run_.seeds == [1, 2]
    with pytest.raises(ConfigError, match="Run.train: unknown key 'epoch'; allowed: batch_size"):
        typed(Run, {"dataset": "digits", "train": {"epoch": 2}, "seeds": []})


def test_snakemake_refuses_a_bad_config_before_any_job(tmp_path):
    bad = smoke()
    bad["baselines"]["runs"]["digits_logreg"]["train"]["epochs"] = "three"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = run(["snakemake", "-n", "--configfile", str(path)], cwd=ROOT)
    assert out.returncode != 0
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: config error at baselines.runs.digits_logreg.train.epochs: 'three' is not of type integer"]


def test_check_config_cli(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("profile: x\nexperiments: [baselines]\nbogus: 1\n")
    out = run(["python", "-m", "residue", "check-config", str(path)], cwd=ROOT)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("error: config error at <top level>: unknown key 'bogus'; allowed: baselines, ")
