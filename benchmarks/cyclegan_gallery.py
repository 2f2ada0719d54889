"""Judge a trained CycleGAN run again and paint the held-out photos whole.

    python benchmarks/cyclegan_gallery.py RUN_DIR [--out gallery.png] [--side 256]

Prints the run's quality numbers and its bar (as metrics.json has them, recomputed with the
classifier now in the package), the cycle and identity losses at the start and end of training
(history.json), and writes the held-out photos and two paintings, each with its translation and
round trip, to one PNG.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import art, viz  # noqa: E402
from gan_course.art import patches
from gan_course.widgets import paint_studio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", default=None, help="PNG (default: RUN_DIR/gallery.png)")
    parser.add_argument("--side", type=int, default=None, help="longer side painted (pixels)")
    args = parser.parse_args()

    run = gc.load_run(args.run_dir)
    began = time.perf_counter()
    quality, bar = run.evaluate()
    print(f"{run.epoch} epochs; evaluated in {time.perf_counter() - began:.0f} s")
    for name, value in quality.items():
        print(f"  {name}: {value:.4g}" if isinstance(value, float) else f"  {name}: {value}")
    for name, met in bar.items():
        print(f"  bar {name}: {'met' if met else 'NOT met'}")
    history = run.history
    for key in ("cycle_loss", "identity_loss"):
        values = np.asarray(history[key])
        tenth = max(1, len(values) // 10)
        print(f"  {key}: first tenth {values[:tenth].mean():.3f}, last tenth "
              f"{values[-tenth:].mean():.3f}")

    side = args.side or run.spec["settings"]["hparams"]["paint_side"]
    rows = []
    for name in patches.HELD_OUT_PHOTOS:
        (photo, painted, back), seconds = paint_studio.round_trip(
            run.translate, art.load_image(name, side))
        rows.append([photo, painted, back])
        print(f"  {name}: {photo.shape[1]} x {photo.shape[0]} painted in {seconds:.2f} s")
    for name in ("van_gogh_starry_night_1889", "monet_water_lilies_1919"):
        (painting, photo, again), _ = paint_studio.round_trip(
            run.translate, art.load_image(name, side), "painting2photo")
        rows.append([painting, photo, again])
    out = args.out or os.path.join(args.run_dir, "gallery.png")
    viz.save_image(paint_studio.gallery_image(rows), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
