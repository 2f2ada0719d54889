"""How well the painting-or-photo classifier recognises pictures it never saw, by cross-validation.

    python benchmarks/art_classifier_folds.py [--steps 600] [--colour 1] [--filters 16 32 64]

The training split of ``art/photos`` and ``art/paintings`` (held-out pictures are never used here)
are split into 4 folds. For each fold the classifier is trained on the other three and judged
on the patches of the fold's unseen pictures: the share of photo patches it calls photos and of
painting patches it calls paintings, when "painting" means a probability of at least 0.5, 0.7 or
0.9. One row per fold and the mean; the choices behind
``gan_course.art.judge`` were made on these numbers, not on the held-out photos.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from gan_course.art import (
    judge,  # noqa: E402
    patches,  # noqa: E402
)


def folds(items, k):
    return [items[i::k] for i in range(k)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--colour", type=float, default=1.0,
                        help="strength of the hue, saturation and grey changes (0: none)")
    parser.add_argument("--only", type=int, nargs="*", help="run only these folds")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--filters", type=int, nargs=3, default=list(judge.FILTERS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    photos, paintings = patches.pair_images("art/photos:art/paintings", min_side=judge.SIZE)
    photo_folds = folds(list(range(len(photos))), args.folds)
    painting_folds = folds(list(range(len(paintings))), args.folds)
    print(f"steps {args.steps} of {args.batch}, colour {args.colour}, filters {args.filters}")
    thresholds = (0.5, 0.7, 0.9)
    print("fold  " + "  ".join(f"photos/paintings right at p>={t}" for t in thresholds))
    rows = []
    for f, (out_photos, out_paintings) in enumerate(zip(photo_folds, painting_folds)):
        if args.only and f not in args.only:
            continue
        model = judge.fit([p for i, p in enumerate(photos) if i not in out_photos],
                          [p for i, p in enumerate(paintings) if i not in out_paintings],
                          args.steps, args.seed, args.batch, colour=args.colour,
                          filters=tuple(args.filters), verbose=0)
        p_photos = judge.picture_probabilities([photos[i] for i in out_photos], model)
        p_paintings = judge.picture_probabilities([paintings[i] for i in out_paintings], model)
        row = [(np.mean(p_photos < t), np.mean(p_paintings >= t)) for t in thresholds]
        rows.append(row)
        print(f"{f:>4}  " + "  ".join(f"{a:>16.0%} / {b:<16.0%}" for a, b in row), flush=True)
    mean = np.mean(rows, axis=0)
    print("mean  " + "  ".join(f"{a:>16.0%} / {b:<16.0%}" for a, b in mean))


if __name__ == "__main__":
    main()
