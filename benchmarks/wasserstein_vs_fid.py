"""Does WGAN-GP's Wasserstein estimate follow the FID? Lesson 04's classroom run, as a script.

    python benchmarks/wasserstein_vs_fid.py --out runs/wgan_vs_fid [--seed 0]

Trains ``gc.train("wgan_gp", dataset="mnist")`` in the active profile with
``gc.callbacks.QualityHistory`` (2,000 samples at each checkpoint, as the lesson), then prints per
checkpoint the estimate averaged over the steps since the previous one, the FID and the confident
share, and Spearman's rank correlation between estimate and FID.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from scipy import stats  # noqa: E402

import gan_course as gc  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the run directory (resumes if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = gc.models.profile()["wgan_gp"]
    log = gc.callbacks.QualityHistory(os.path.join(args.out, "quality.json"), "mnist",
                                      n=settings.eval_samples)
    run = gc.train("wgan_gp", dataset="mnist", out_dir=args.out, resume=True, seed=args.seed,
                   callbacks=[log], verbose=0)
    quality = json.loads((run.directory / "quality.json").read_text())
    averaged = gc.viz.means_between(run.history["step"], run.history["wasserstein"],
                                    quality["step"])
    print(f"{'step':>6} {'estimate':>9} {'FID':>8} {'confident':>10}")
    for row in zip(quality["step"], averaged, quality["fid"], quality["confident"]):
        print(f"{row[0]:>6} {row[1]:>9.3f} {row[2]:>8.2f} {row[3]:>10.3f}")
    rho = stats.spearmanr(averaged, quality["fid"]).statistic
    print(f"Spearman rank correlation (estimate, FID) over {len(averaged)} checkpoints: {rho:+.2f}")
    print(f"training {run.metrics['wall_seconds']:.0f} s (evaluations included); final: "
          f"{json.dumps({k: run.metrics['quality'][k] for k in ('confident', 'min_class_share', 'fid')})}")


if __name__ == "__main__":
    main()
