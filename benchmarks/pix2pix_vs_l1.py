"""pix2pix against its L1-only U-Net and the no-learning baseline, on held-out pictures.

    python benchmarks/pix2pix_vs_l1.py --task inpaint [--profile classroom] [--out runs/bench]

Trains ``pix2pix`` and ``unet_l1`` for the same steps with the same seed (or resumes them), then
prints PSNR, SSIM, detail (high-frequency energy against the original's: 1 is the original's)
and, for inpainting, the error inside the holes, for both models and the baseline, with each
run's training time and its bar. The numbers for lesson 09 and RESULTS.md come from here.
"""

import argparse
import json
from pathlib import Path

import gan_course as gc
from gan_course.art import damage
from gan_course.models import pix2pix

COLUMNS = ("psnr", "ssim", "detail", "hole_error")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=damage.TASKS, required=True)
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/pix2pix_vs_l1")
    parser.add_argument("--json", default=None, help="also write the table here")
    args = parser.parse_args(argv)
    dataset = f"{args.task}:{pix2pix.DOMAINS}"
    rows = {}
    for model in ("pix2pix", "unet_l1"):
        run = gc.train(model, dataset=dataset, profile=args.profile, seed=args.seed,
                       out_dir=Path(args.out) / f"{model}_{args.task}", resume=True, verbose=0)
        q = run.metrics["quality"]
        rows[model] = {**{k: q.get(k) for k in COLUMNS}, "seconds": run.metrics["wall_seconds"],
                       "bar met": all(run.metrics["bar"].values())}
    rows[q["baseline"]] = {k: q.get(f"baseline_{k}") for k in COLUMNS}
    print(f"{args.task}, {args.profile} profile, seed {args.seed}, held-out patches")
    print(f"{'':26}" + "".join(f"{c:>11}" for c in (*COLUMNS, "seconds")))
    for name, row in rows.items():
        cells = "".join("{:>11}".format("-" if row.get(c) is None else f"{row[c]:.3f}")
                        for c in (*COLUMNS, "seconds"))
        print(f"{name:26}{cells}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
