"""The art GAN's choices measured at equal steps: DiffAugment on or off, spectral norm on or off,
hinge or non-saturating + R1, patches or whole paintings.

    python benchmarks/art_gan_ablation.py OUT_DIR [--variants base no_augment ...]
                                          [--steps N] [--dataset art/paintings/van_gogh]

Each variant is the classroom run with one setting changed, trained into OUT_DIR/VARIANT
(resumable) and measured by the lesson's bar (KID, precision, recall, memorisation against the
school's held-out crops). Whole-painting runs are also measured against held-out crops at the
patch runs' scale, so the two can be compared on one reference. Prints one line per variant
and appends it to OUT_DIR/results.jsonl.
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import gan_course as gc  # noqa: E402
from gan_course import models  # noqa: E402
from gan_course.models import art_gan_quality  # noqa: E402

VARIANTS = {
    "base": {},
    "no_augment": {"augment": []},
    "r1": {"loss": "r1", "r1_gamma": 0.1},
    "spectral_norm": {"spectral_norm": True, "g_lr": 2e-3},  # the first classroom recipe
    "whole": {"crop_scale": [1.0, 1.0]},
    "small_patches": {"crop_scale": [0.1, 0.5]},
    "no_mixing": {"mixing": 0.0},
    "lr_low": {"g_lr": 5e-4, "d_lr": 5e-4},
}


def settings(variant, steps=None):
    base = models.profile("classroom")["art_gan"].as_dict()
    if steps:
        base["steps"] = int(steps)
    base["hparams"] = {**base["hparams"], **VARIANTS[variant]}
    return base


def train(out, variant, dataset, steps=None, seed=0, callbacks=()):
    spec_path = out / "config.json"
    if not spec_path.exists():
        out.mkdir(parents=True, exist_ok=True)
        spec = {"model": "art_gan", "dataset": dataset, "profile": "classroom", "seed": seed,
                "precision": "float32", "image_shape": [64, 64, 3],
                "settings": settings(variant, steps)}
        spec_path.write_text(json.dumps(spec, indent=2))
    return gc.train("art_gan", dataset=dataset, seed=seed, out_dir=out, resume=True, verbose=2,
                    callbacks=list(callbacks))


def measure(run, dataset, n=256):
    """The bar's numbers of ``run`` against its own crops and against patch-scale crops."""
    quality = dict(run.metrics["quality"])
    model = run.model
    patch_scale = tuple(settings("base")["hparams"]["crop_scale"])
    if tuple(model.crop_scale) != patch_scale:
        saved = model.crop_scale
        model.crop_scale = patch_scale
        try:
            patch_q = art_gan_quality.evaluate(model, dataset, n)
        finally:
            model.crop_scale = saved
        quality.update({f"{k}_at_patch_scale": v for k, v in patch_q.items()
                        if isinstance(v, float)})
    return quality


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--dataset", default="art/paintings/van_gogh")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for variant in args.variants:
        began = time.perf_counter()
        run = train(args.out / variant, variant, args.dataset, args.steps, args.seed)
        row = {"variant": variant, "steps": run.metrics["steps"],
               "train_seconds": run.metrics["wall_seconds"],
               "total_seconds": round(time.perf_counter() - began, 1),
               **measure(run, args.dataset), "bar": run.metrics["bar"]}
        with open(args.out / "results.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                          for k, v in row.items()}), flush=True)


if __name__ == "__main__":
    main()
