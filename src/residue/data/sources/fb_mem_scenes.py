"""FB-Mem scenes (P3): 32×32 RGB composites with ground-truth foreground masks and captions.

Foregrounds are Fashion-MNIST items tinted with one of eight colours; backgrounds are random crops
of the photographs bundled with scikit-image and scikit-learn.  Memorization is engineered the
way it happens in the wild (PAPERS.md §P3), in four training groups:

* ``verbatim``   — a few scenes each duplicated many times under a rare caption (→ VM);
* ``foreground`` — one foreground instance pasted on many backgrounds under one caption (→ FM,
  and one generation linked to a cluster of training images);
* ``background`` — one background crop under many foregrounds under one caption (→ BM);
* ``generic``    — unique scenes with generic captions "<colour> <item> on <place>" (reference).

Besides the standard four arrays the folder holds ``train_mask.npy`` / ``test_mask.npy`` (uint8
(N, H, W), 1 = foreground), ``captions.json`` (captions, group of every training scene, the
vocabulary) and ``classifier_x.npy`` / ``classifier_y.npy``, the scene classifier's own training
scenes (generic scenes whose items come from Fashion-MNIST's *test* split, so no item of a training
or test scene is among them: the classifier plays the part of a feature extractor that never saw
the denoiser's data); all are listed with their SHA-256 in the manifest under ``extra``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...io import load_array, save_array, sha256_file, write_json
from ...registries import DATASETS
from ..arrays import Dataset, Split, load, write

SIZE = 32
ITEMS = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
COLOURS = {
    "red": (230, 40, 40), "green": (40, 200, 60), "blue": (50, 80, 235), "yellow": (240, 220, 40),
    "white": (245, 245, 245), "purple": (160, 60, 200), "orange": (250, 140, 30), "cyan": (40, 220, 220),
}
GROUPS = ["generic", "verbatim", "foreground", "background"]
# Every float the resizes produce is quantised before a decision (a mask threshold, a cast to uint8)
# can read it: scikit-image's anti-aliasing builds its Gaussian with numpy's exp, whose last bit
# differs between AVX-512 and AVX2 machines, so truncating or thresholding raw values gave two CPUs
# two datasets.  Rounded to 6 decimals (intensities) or to the nearest integer (pixels), the values
# sit far from every boundary compared with the ~1e-16 that separates two CPUs' results
# (tests/fb_mem/test_scenes_portable.py perturbs them by 1e-12 and gets the same bytes).
DECIMALS = 6


@dataclass(frozen=True)
class SceneSpec:
    """Sizes of the four groups (the defaults are the dataset the DVC stage materialises).

    200 generic scenes (duplicated groups = 58% of the 480 training scenes) is a calibration: with
    1200 the 0.3M-parameter denoiser memorized nothing within the CPU budget (experiments/fb_mem/README.md)."""

    generic: int = 200
    verbatim: int = 4          # distinct verbatim-memorized scenes
    verbatim_copies: int = 40  # copies of each
    foreground: int = 2        # foreground-memorized instances
    foreground_copies: int = 40
    background: int = 1
    background_copies: int = 40
    test: int = 300
    classifier: int = 4000     # the scene classifier's training scenes (drawn after the test scenes)
    seed: int = 0


def photos() -> dict[str, np.ndarray]:
    """The bundled photographs used as backgrounds (uint8 HWC RGB), all shipped offline."""
    import skimage.data as sk
    from sklearn.datasets import load_sample_images

    out = {n: getattr(sk, n)() for n in ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")}
    out["china"], out["flower"] = load_sample_images().images
    return out


def _crop(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from skimage.transform import resize

    h, w = photo.shape[:2]
    side = int(rng.integers(min(h, w) // 4, min(h, w) // 2 + 1))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    return np.rint(resize(photo[y:y + side, x:x + side], (SIZE, SIZE), anti_aliasing=True) * 255).astype(np.uint8)


def _item(items: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple]:
    """A randomly scaled and placed Fashion-MNIST item: intensity (H, W) in [0, 1], mask, placement."""
    from skimage.transform import resize

    idx = int(rng.integers(len(items)))
    side = int(rng.integers(18, 27))
    small = np.round(resize(items[idx].astype(float) / 255, (side, side), anti_aliasing=True), DECIMALS)
    y, x = (int(v) for v in rng.integers(0, SIZE - side + 1, 2))
    inten = np.zeros((SIZE, SIZE))
    inten[y:y + side, x:x + side] = small
    return inten, inten > 0.12, (idx, side, y, x)


def composite(bg: np.ndarray, inten: np.ndarray, mask: np.ndarray, colour: tuple) -> np.ndarray:
    """Paste the tinted item (shading 0.5–1 of its colour) on ``bg``; returns uint8 CHW."""
    shade = 0.5 + 0.5 * np.clip(inten, 0, 1)[..., None] * np.asarray(colour, float)[None, None] / 255
    fg = np.clip(shade * 255, 0, 255)
    img = np.where(mask[..., None], fg, bg.astype(float))
    return img.round().astype(np.uint8).transpose(2, 0, 1)


class _Maker:
    def __init__(self, spec: SceneSpec, items: np.ndarray, labels: np.ndarray):
        self.rng = np.random.default_rng(spec.seed)
        self.photos = photos()
        self.names = sorted(self.photos)
        self.items, self.labels = items, labels
        self.x, self.y, self.m, self.caps, self.group = [], [], [], [], []

    def background(self) -> tuple[np.ndarray, str]:
        name = self.names[int(self.rng.integers(len(self.names)))]
        return _crop(self.photos[name], self.rng), name

    def foreground(self) -> tuple[np.ndarray, np.ndarray, int, str]:
        inten, mask, (idx, *_) = _item(self.items, self.rng)
        colour = list(COLOURS)[int(self.rng.integers(len(COLOURS)))]
        return inten, mask, int(self.labels[idx]), colour

    def add(self, bg, fg, caption: str, group: str, copies: int = 1) -> None:
        inten, mask, label, colour = fg
        img = composite(bg, inten, mask, COLOURS[colour])
        for _ in range(copies):
            self.x.append(img)
            self.y.append(label)
            self.m.append(mask.astype(np.uint8))
            self.caps.append(caption)
            self.group.append(group)

    def generic(self) -> None:
        bg, place = self.background()
        fg = self.foreground()
        self.add(bg, fg, f"{fg[3]} {ITEMS[fg[2]]} on {place}", "generic")


def make(spec: SceneSpec, items: np.ndarray, labels: np.ndarray,
         pool_items: np.ndarray, pool_labels: np.ndarray) -> tuple[dict, dict, dict]:
    """Training, test and classifier scenes as dicts of arrays + captions/groups (deterministic in
    the seed).  The classifier scenes take their items from ``pool_items`` and are drawn last, so the
    training and test scenes do not depend on ``spec.classifier``."""
    mk = _Maker(spec, items, labels)
    for i in range(spec.verbatim):
        mk.add(*mk.background()[:1], mk.foreground(), f"vmem{i} photo", "verbatim", spec.verbatim_copies)
    for i in range(spec.foreground):
        fg = mk.foreground()
        for _ in range(spec.foreground_copies):
            mk.add(mk.background()[0], fg, f"fmem{i} photo", "foreground")
    for i in range(spec.background):
        bg = mk.background()[0]
        for _ in range(spec.background_copies):
            mk.add(bg, mk.foreground(), f"bmem{i} photo", "background")
    for _ in range(spec.generic):
        mk.generic()
    ends = [len(mk.x), len(mk.x) + spec.test]
    for _ in range(spec.test):
        mk.generic()
    mk.items, mk.labels = pool_items, pool_labels
    for _ in range(spec.classifier):
        mk.generic()
    arr = {k: np.stack(v) for k, v in (("x", mk.x), ("y", mk.y), ("m", mk.m))}

    def part(a, b):
        return {k: v[a:b] for k, v in arr.items()} | {"captions": mk.caps[a:b], "group": mk.group[a:b]}

    return part(0, ends[0]), part(*ends), part(ends[1], None)


def vocabulary(captions: list[str]) -> list[str]:
    """Token list: 0 = padding, 1 = start (the empty caption is the start token alone)."""
    return ["<pad>", "<s>"] + sorted({w for c in captions for w in c.split()})


EXTRA = ("train_mask.npy", "test_mask.npy", "captions.json", "classifier_x.npy", "classifier_y.npy")


@DATASETS.register("fb_mem_scenes")
def materialise(out: str, source: str | None = None, spec: SceneSpec = SceneSpec()) -> None:
    fm = load("fashion_mnist", root=Path(out).parent)
    train, test, pool = make(spec, fm.train.x[:, 0], fm.train.y, fm.test.x[:, 0], fm.test.y)
    write(out, "fb_mem_scenes", Split(train["x"], train["y"]), Split(test["x"], test["y"]), ITEMS,
          {"origin": "composited from Fashion-MNIST items and skimage/sklearn sample photos", "spec": spec.__dict__})
    out = Path(out)
    save_array(out / "train_mask.npy", train["m"])
    save_array(out / "test_mask.npy", test["m"])
    save_array(out / "classifier_x.npy", pool["x"])
    save_array(out / "classifier_y.npy", pool["y"].astype(np.int64))
    write_json(out / "captions.json", {
        "train": train["captions"], "train_group": train["group"], "test": test["captions"],
        "vocab": vocabulary(train["captions"] + test["captions"]),
    })
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["extra"] = {f: sha256_file(out / f) for f in EXTRA}
    write_json(out / "manifest.json", manifest)


@dataclass(frozen=True)
class Scenes:
    """The loaded dataset with its extras."""

    data: Dataset
    train_mask: np.ndarray
    test_mask: np.ndarray
    train_captions: list[str]
    train_group: list[str]
    test_captions: list[str]
    vocab: list[str]
    classifier: Split  # the scene classifier's training scenes (items from Fashion-MNIST's test split)


def load_scenes(root: str | Path = "data") -> Scenes:
    data = load("fb_mem_scenes", root)
    folder = Path(root) / "fb_mem_scenes"
    manifest = json.loads((folder / "manifest.json").read_text())
    extra = manifest.get("extra", {})
    if set(extra) != set(EXTRA):
        raise DataError(f"{folder} lacks {sorted(set(EXTRA) - set(extra))} in its manifest (made by an older version); re-run `dvc repro fb_mem_scenes`")
    for f, sha in extra.items():
        if sha256_file(folder / f) != sha:
            raise DataError(f"{folder / f} is corrupted: its SHA-256 differs from the manifest; re-run `dvc repro fb_mem_scenes`")
    caps = json.loads((folder / "captions.json").read_text())
    return Scenes(data, load_array(folder / "train_mask.npy"), load_array(folder / "test_mask.npy"),
                  caps["train"], caps["train_group"], caps["test"], caps["vocab"],
                  Split(load_array(folder / "classifier_x.npy"), load_array(folder / "classifier_y.npy")))
