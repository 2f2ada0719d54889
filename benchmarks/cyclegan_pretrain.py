"""Train the shipped photo-to-painting CycleGAN: one command, its seed and settings here.

    python benchmarks/cyclegan_pretrain.py OUT_DIR [--painter van_gogh] [--seed 0]

Writes OUT_DIR/config.json with :data:`SETTINGS` (the classroom profile's, wider and longer)
and trains with ``gc.train(..., resume=True)``: run it again after an interruption and it goes
on from the last epoch's checkpoint. Every ``snapshot_every`` steps the two generators' weights
are saved under OUT_DIR/snapshots/ so that quality can be measured against steps afterwards
(``--measure``: the bar's numbers of each snapshot, as JSON lines in OUT_DIR/quality.jsonl).
``--ship`` writes the final generators, float16, to gan_course/assets/pretrained/ with the run's
config and metrics. ``--restyle`` measures a shipped painter's style again with the course's
current ruler and rewrites its metrics.json (the round trip, which needs the painting-to-photo
generator the package does not ship, keeps its training-time numbers).
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import models  # noqa: E402

SNAPSHOT_EVERY = 1000
# The classroom networks trained four times as long (8,000 steps, the rate decaying over the last
# half as the paper's): the student's painter and the shipped one differ only in training time.
# (Wider networks, 32 filters and six residual blocks, cost about three times as much per step:
# more than the 2-core machine shared by the course's tests could give them.)
OVERRIDES = dict(steps=8000, steps_per_epoch=500)
HPARAMS = {}


def settings():
    base = models.profile("classroom")["cyclegan"].as_dict()
    return {**base, **OVERRIDES, "hparams": {**base["hparams"], **HPARAMS}}


def snapshot_file(out, step):
    """Where the averaged generators of the run in ``out`` are saved at ``step``."""
    return Path(out) / "snapshots" / f"step_{step:06d}.weights.h5"


class Snapshots(keras.callbacks.Callback):
    """The averaged generators' weights every ``every`` steps (at the end of an epoch)."""

    def __init__(self, out, every, steps_per_epoch):
        super().__init__()
        self.out, self.every, self.per_epoch = Path(out), every, steps_per_epoch

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.per_epoch
        if step % self.every == 0:
            path = snapshot_file(self.out, step)
            path.parent.mkdir(parents=True, exist_ok=True)
            # the averaged (EMA) generators: what translate uses and the package ships
            self.model.ema_generator.save_weights(path)


def train_longer(model, dataset, out, seed, chosen):
    """Train ``model`` on ``dataset`` with the settings ``chosen`` in ``out``, resumably: the
    first call writes ``out/config.json``, later calls go on from its last checkpoint; the
    averaged generators are saved every :data:`SNAPSHOT_EVERY` steps. Shared by every
    ``*_pretrain.py``."""
    spec_path = out / "config.json"
    if not spec_path.exists():
        out.mkdir(parents=True, exist_ok=True)
        size = chosen["hparams"]["image_size"]
        spec = {"model": model, "dataset": dataset, "profile": "classroom", "seed": seed,
                "precision": "float32", "image_shape": [size, size, 3], "settings": chosen}
        spec_path.write_text(json.dumps(spec, indent=2))
    spec = json.loads(spec_path.read_text())
    return gc.train(model, dataset=dataset, seed=seed, out_dir=out, resume=True, verbose=2,
                    callbacks=[Snapshots(out, SNAPSHOT_EVERY,
                                         spec["settings"]["steps_per_epoch"])])


def train(out, painter, seed):
    return train_longer("cyclegan", f"art/photos:art/paintings/{painter}", out, seed, settings())


def measure(out):
    run = gc.load_run(out)
    with open(out / "quality.jsonl", "w") as f:
        for snapshot in sorted((out / "snapshots").glob("step_*.weights.h5")):
            run.model.ema_generator.load_weights(snapshot)
            quality, bar = run.evaluate()
            row = {"step": int(snapshot.name[5:11]), **quality, "bar_met": all(bar.values())}
            f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def ship(run_dir, name, root=None):
    """Copy a finished run's averaged photo-to-painting generator (float16), config and metrics
    into the package's pretrained assets (or ``root``); returns the folder."""
    from gan_course.models import shipped

    run = gc.load_run(run_dir)
    network = run.model.ema_generator.get_layer("photo2painting")
    return shipped.write(network, run_dir, Path(root or shipped.ASSETS) / name)


def restyle(name, root=None):
    """A shipped painter's style distances measured again (``cyclegan_quality.style_report``) on
    the patches its run was judged on, its bar and ``meets_bar`` updated; returns the quality."""
    from gan_course.art import patches
    from gan_course.models import cyclegan_pretrained, cyclegan_quality, shipped

    folder, spec, painter = cyclegan_pretrained.load(name, Path(root or shipped.ASSETS))
    metrics = json.loads((folder / "metrics.json").read_text())
    quality, size = metrics["quality"], spec["image_shape"][0]
    scale = spec["settings"]["hparams"].get("crop_scale", patches.SCALE)
    n = quality["patches"]
    # the patches CycleGAN.evaluate judges: held-out photos (seed 2024), the target's paintings
    photos = patches.sample_patches(patches.domain_images("art/photos", size, "test"), n, size,
                                    2024, scale)
    paintings, other = cyclegan_quality.painting_patches(
        patches.split_pair(spec["dataset"])[1], n, size, scale)
    quality.update(cyclegan_quality.style_report(photos, painter.translate(photos), paintings,
                                                 other))
    metrics["bar"] = cyclegan_quality.bar(quality)
    metrics["meets_bar"] = all(metrics["bar"].values())
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return quality


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--painter", default="van_gogh")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", action="store_true", help="judge every snapshot")
    parser.add_argument("--ship", action="store_true", help="copy the final run into the package")
    parser.add_argument("--restyle", action="store_true",
                        help="measure the shipped painter's style again (OUT is not used)")
    args = parser.parse_args()
    if args.restyle:
        print(json.dumps(restyle(f"cyclegan/{args.painter}"), indent=2))
    elif args.measure:
        measure(args.out)
    elif args.ship:
        print(ship(args.out, f"cyclegan/{args.painter}"))
    else:
        train(args.out, args.painter, args.seed)


if __name__ == "__main__":
    main()
