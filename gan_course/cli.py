"""The ``gan-course`` command line: train, sample, check, lessons, doctor."""

import argparse
import sys

# The trainable models, named here so that ``--help`` does not have to import TensorFlow;
# tests/test_cli.py checks that this list matches ``gan_course.models.names()``.
MODELS = ("mlp_gan", "dcgan", "cyclegan")


def _cmd_train(args):
    from gan_course import runs

    run = runs.train(args.model, dataset=args.dataset, profile=args.profile, seed=args.seed,
                     out_dir=args.out, resume=args.resume)
    print(runs.format_metrics(run.metrics))
    return 0


def _cmd_sample(args):
    from gan_course import runs

    labels = [int(v) for v in args.labels.split(",")] if args.labels else None
    path = runs.load_run(args.run_dir).save_samples(args.out, n=args.n, seed=args.seed,
                                                    labels=labels)
    print(f"wrote {path}")
    return 0


def _cmd_check(args):
    from gan_course import grading

    return grading.main(args.notebook, timeout=args.timeout)


def _cmd_lessons(args):
    from gan_course import lessons

    if args.action == "build":
        return lessons.main_build()
    return lessons.main_verify()


def _cmd_doctor(args):
    from gan_course import doctor

    return doctor.main()


def build_parser():
    parser = argparse.ArgumentParser(prog="gan-course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and write a run directory")
    p.add_argument("model", help=f"one of {', '.join(MODELS)}")
    p.add_argument("--dataset", default=None, help="dataset name (default: the model's own)")
    p.add_argument("--profile", default=None, help="quick, classroom or full")
    p.add_argument("--out", default=None, help="run directory (default: runs/MODEL)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("sample", help="write samples of a trained run to an .npz file")
    p.add_argument("run_dir")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--labels", default=None, help="comma-separated class labels, cycled")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("check", help="grade a student notebook against the reference checks")
    p.add_argument("notebook")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("lessons", help="build lessons/ from solutions/, or verify they match")
    p.add_argument("action", choices=["build", "verify"])
    p.set_defaults(func=_cmd_lessons)

    p = sub.add_parser("doctor", help="versions, devices, profile and data found")
    p.set_defaults(func=_cmd_doctor)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"gan-course {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
