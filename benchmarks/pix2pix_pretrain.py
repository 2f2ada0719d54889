"""Train a shipped restorer: one command per task, its seed and settings here.

    python benchmarks/pix2pix_pretrain.py OUT_DIR --task inpaint [--model unet_l1] [--seed 0]
                                          [--measure | --ship]

Writes OUT_DIR/config.json with :func:`settings` (the classroom networks, trained longer) and
trains with ``gc.train(..., resume=True)``: run it again after an interruption and it goes on
from the last epoch's checkpoint. Every 1,000 steps the averaged U-Net is saved under
OUT_DIR/snapshots/, so that quality can be measured against steps afterwards (``--measure``: the
bar's numbers of each snapshot, JSON lines in OUT_DIR/quality.jsonl). ``--ship`` writes the final
U-Net, float16, to gan_course/assets/pretrained/pix2pix/TASK with the run's config and metrics
(measured again with the current measures and bar).
``--model unet_l1`` trains the L1-only U-Net for the same steps: the baseline the shipped
restorers are measured against (it is not shipped).
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cyclegan_pretrain import measure, train_longer  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import models  # noqa: E402
from gan_course.art import damage  # noqa: E402
from gan_course.models import pix2pix, shipped  # noqa: E402

# The classroom networks trained five times as long, the rate decaying over the last quarter as
# in the classroom run: the student's restorer and the shipped one differ only in training time.
OVERRIDES = dict(steps=10000, steps_per_epoch=500)


def settings(task, model="pix2pix", adversarial_weight=None):
    base = models.profile("classroom")[f"{model}_{task}"].as_dict()
    weight = {} if adversarial_weight is None else {"adversarial_weight": adversarial_weight}
    return {**base, **OVERRIDES, "hparams": {**base["hparams"], **weight}}


def train(out, task, seed, model="pix2pix", adversarial_weight=None):
    return train_longer(model, f"{task}:{pix2pix.DOMAINS}", out, seed,
                        settings(task, model, adversarial_weight))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--task", choices=damage.TASKS, required=True)
    parser.add_argument("--model", choices=("pix2pix", "unet_l1"), default="pix2pix")
    parser.add_argument("--adversarial-weight", type=float, default=None,
                        help="the critic's weight against L1's 100 (default: the classroom's 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", action="store_true", help="measure every snapshot")
    parser.add_argument("--ship", action="store_true", help="copy the final run into the package")
    args = parser.parse_args()
    if args.measure:
        measure(args.out)
    elif args.ship:
        if json.loads((args.out / "config.json").read_text())["model"] != "pix2pix":
            parser.error(f"{args.out} is not a pix2pix run: only pix2pix restorers ship")
        run = gc.load_run(args.out)
        # measured again with the course's current measures and bar, as the package ships it
        quality, bar = run.evaluate()
        metrics = {**run.metrics, "quality": quality, "bar": bar, "meets_bar": all(bar.values())}
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        print(shipped.write(run.model.ema_generator, args.out,
                            shipped.ASSETS / "pix2pix" / args.task))
    else:
        train(args.out, args.task, args.seed, args.model, args.adversarial_weight)


if __name__ == "__main__":
    main()
