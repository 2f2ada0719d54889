"""What lesson 08's bar says of pictures whose answer is known, beside trained generators.

    python benchmarks/art_gan_ruler.py [RUN_DIR | art_gan/SCHOOL ...] [--dataset D] [--n 256]

Every row is measured as the lesson measures a run (``art_gan_quality.quality``: the judge's
features, detail and layout spread, against crops of the school's held-out paintings, cut at the
classroom crop scale). The known rows: other held-out crops (a perfect generator), crops of the
training paintings (a copier), the same crops blurred to 8 x 8 pixels (smooth colour fields),
one crop in many tints (one layout), one crop repeated (a collapse), uniform noise, and crops of
another school and of photos. Each named run or shipped generator adds a row of its ``n``
samples (seed 2024, as ``evaluate``). Prints a markdown table.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import models  # noqa: E402
from gan_course.art import patches  # noqa: E402
from gan_course.models import art_gan_quality  # noqa: E402

COLUMNS = ("kid", "precision", "recall", "copied_share", "nearest_train_ratio", "detail",
           "layout_spread")


def crops(dataset, split, n, seed, scale):
    return patches.sample_patches(patches.domain_images(dataset, 64, split), n, 64, seed, scale)


def known_sets(n, scale, fresh_held, fresh_train):
    """Pictures whose verdict is known: name -> (n, 64, 64, 3) in [0, 1]."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    small = tf.image.resize(fresh_train, [8, 8], method="area")
    one = fresh_held[:1]
    return {
        "other held-out crops (a perfect generator)": fresh_held,
        "crops of the training paintings (a copier)": fresh_train,
        "the same crops blurred to 8 x 8 (colour fields)":
            np.clip(tf.image.resize(small, [64, 64], method="bicubic").numpy(), 0, 1),
        "one held-out crop in many tints (one layout)":
            np.clip(one * rng.uniform(0.8, 1.2, (n, 1, 1, 3)), 0, 1).astype("float32"),
        "one held-out crop repeated (a collapse)": np.repeat(one, n, axis=0),
        "uniform noise": rng.uniform(0, 1, fresh_held.shape).astype("float32"),
        "crops of Morisot's paintings": crops("art/paintings/morisot", "train", n, 96, scale),
        "crops of photos": crops("art/photos", "train", n, 95, scale),
    }


def generated(source, n):
    if os.path.isdir(source):
        return gc.load_run(source).model.generate(n, seed=2024)
    return gc.pretrained(source).model.generate(n, seed=2024)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="run directories or shipped generator names")
    parser.add_argument("--dataset", default="art/paintings/van_gogh")
    parser.add_argument("--n", type=int, default=256)
    args = parser.parse_args()
    n, dataset = args.n, args.dataset
    scale = tuple(models.profile("classroom")["art_gan"].hparams["crop_scale"])
    held, other = (crops(dataset, "test", n, seed, scale) for seed in (2025, 2026))
    paintings = patches.domain_images(dataset, 64, "train")
    sets = known_sets(n, scale, crops(dataset, "test", n, 7, scale),
                      crops(dataset, "train", n, 99, scale))
    sets.update({source: generated(source, n) for source in args.sources})
    print("| pictures | " + " | ".join(COLUMNS) + " | bar |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for name, pictures in sets.items():
        q = art_gan_quality.quality(pictures, held, other, paintings, scale)
        bar = art_gan_quality.bar(q)
        failed = [line.split(":")[0].split(" <")[0] for line, met in bar.items() if not met]
        verdict = "met" if not failed else "fails: " + "; ".join(failed)
        print(f"| {name} | " + " | ".join(f"{q[c]:.3f}" for c in COLUMNS) + f" | {verdict} |",
              flush=True)


if __name__ == "__main__":
    main()
