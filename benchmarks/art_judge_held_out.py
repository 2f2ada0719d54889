"""The painting-or-photo judge on pictures it never saw: trained on the training split of
``art/photos`` and ``art/paintings``, measured on the held-out pictures, per school.

    python benchmarks/art_judge_held_out.py [--steps 600] [--colour 1] [--save PATH]

Prints, for thresholds 0.5, 0.7 and 0.9 on the painting probability, the share of held-out patches
called right (photos photos, paintings paintings) for the photos, all paintings and each school.
``--save`` writes the trained weights (without the optimiser's state) to PATH.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from gan_course.art import judge, patches  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--colour", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--filters", type=int, nargs=3, default=list(judge.FILTERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save")
    args = parser.parse_args()

    photos, paintings = patches.pair_images("art/photos:art/paintings", min_side=judge.SIZE)
    model = judge.fit(photos, paintings, args.steps, args.seed, args.batch, args.colour,
                      tuple(args.filters), verbose=0)
    print(f"steps {args.steps} of {args.batch}, colour {args.colour}, filters {args.filters}, "
          f"seed {args.seed}")
    for group in judge.HELD_OUT_GROUPS:
        p = judge.picture_probabilities(patches.domain_images(group, judge.SIZE, "test"), model,
                                        512)
        row = [np.mean(p < t) if group == "art/photos" else np.mean(p >= t)
               for t in (0.5, 0.7, 0.9)]
        print(f"{group:<24} " + "  ".join(f"p>={t}: {r:6.1%}" for t, r in zip((0.5, 0.7, 0.9), row)),
              flush=True)
    if args.save:
        plain = judge.build_classifier(tuple(args.filters))
        plain.set_weights(model.get_weights())
        plain.save_weights(args.save)


if __name__ == "__main__":
    main()
