"""Judge 2-D samples written by ``gan-course sample`` against a toy set's modes, independently.

    gan-course train wgan_gp --dataset toy_8gaussians --out runs/w8
    gan-course sample runs/w8 --n 4000 --out w8.npz
    python benchmarks/eval_points.py w8.npz --dataset toy_8gaussians

Plain NumPy on the ``points`` array of the npz: it does not import the course library, so it
checks the library's own mode-coverage numbers rather than repeating them. The centres are those
of DESIGN.md (8 Gaussians: radius 2, one centre at (2, 0), std 0.02; 25 Gaussians: a grid at -4,
-2, 0, 2, 4, std 0.05). Each sample is assigned to its nearest centre; a mode counts as covered
when it holds at least 5% of the samples; a sample is close when it lies within 4 standard
deviations of its centre. Prints the numbers and whether the bar (every mode covered, >= 80%
close) is met; exits 1 when it is not.
"""

import argparse
import sys

import numpy as np


def centres_and_std(dataset):
    if dataset == "toy_8gaussians":
        angles = np.arange(8) * 2 * np.pi / 8
        return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02
    grid = np.arange(-2, 3) * 2.0
    return np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2), 0.05


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz")
    parser.add_argument("--dataset", default="toy_8gaussians",
                        choices=["toy_8gaussians", "toy_25gaussians"])
    args = parser.parse_args(argv)
    with np.load(args.npz) as f:
        if "points" not in f:
            print(f"{args.npz} holds {', '.join(f)}, not 'points': sample a run on a 2-D set")
            return 2
        points = np.asarray(f["points"], np.float64)
    centres, std = centres_and_std(args.dataset)
    distances = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    shares = np.bincount(distances.argmin(axis=1), minlength=len(centres)) / len(points)
    covered = int((shares >= 0.05).sum())
    close = float((distances.min(axis=1) <= 4 * std).mean())
    print(f"{args.npz}: {len(points)} points, judged against {args.dataset}")
    print(f"modes covered (>= 5% of samples): {covered} of {len(centres)}; shares "
          + " ".join(f"{s:.1%}" for s in shares))
    print(f"within 4 std ({4 * std:g}) of a centre: {close:.1%}")
    met = covered == len(centres) and close >= 0.8
    print(f"bar (every mode covered, >= 80% within 4 std): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
