"""The gan-course command line: train, sample, check, lessons, stylize, restore, doctor."""

import argparse
import sys

# The trainable models, named here so that ``--help`` does not have to import TensorFlow;
# tests/test_cli.py checks that this list matches ``gan_course.models.names()``.
MODELS = ("mlp_gan", "dcgan", "wgan_gp", "cgan", "cyclegan", "pix2pix", "unet_l1", "art_gan")
TASKS = ("inpaint", "denoise", "upscale")  # the restorers' (gan_course.art.damage.TASKS)


def _restoration_dataset(model, dataset, task):
    """``--task`` joined to ``--dataset`` as a restorer's dataset, ``TASK:PICTURES``."""
    if task is None:
        return dataset
    if model not in ("pix2pix", "unet_l1"):
        raise ValueError(f"--task is for the restorers (pix2pix, unet_l1), not {model}")
    if dataset is None:
        return f"{task}:art/photos+art/paintings"
    given, sep, rest = dataset.partition(":")
    if sep and given in TASKS:
        if given != task:
            raise ValueError(f"--dataset {dataset!r} names the task {given!r}, --task {task!r}: "
                             f"give one of them")
        return dataset
    return f"{task}:{dataset}"


def _cmd_train(args):
    from gan_course import runs

    dataset = _restoration_dataset(args.model, args.dataset, args.task)
    run = runs.train(args.model, dataset=dataset, profile=args.profile, seed=args.seed,
                     out_dir=args.out, resume=args.resume, overwrite=args.overwrite,
                     strategy=args.strategy, precision=args.precision)
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
    from gan_course.classroom import gradebook, grading

    one = len(args.paths) == 1 and args.paths[0].endswith(".ipynb")
    if one and args.out is None and args.jobs is None:
        return grading.main(args.paths[0], timeout=args.timeout)
    return gradebook.main(args.paths, jobs=args.jobs, out=args.out or "gradebook.csv",
                          timeout=args.timeout)


def _cmd_lessons(args):
    from gan_course.classroom import course, lessons

    if args.action == "build":
        return lessons.main_build() or course.main_build()
    if args.action == "nbgrader":
        from gan_course.classroom import nbgrader

        return nbgrader.main(args.out)
    return lessons.main_verify() or course.main_verify()


def _cmd_stylize(args):
    from gan_course.art import style

    overrides = {} if args.style_weight is None else {"style_weight": args.style_weight}
    style.output_paths(args.out, (args.content, args.style), overwrite=args.force)
    result = style.transfer(args.content, args.style, steps=args.steps, features=args.features,
                            profile=args.profile, seed=args.seed, **overrides)
    picture, summary = result.save(args.out)
    s = result.summary()
    print(f"wrote {picture} and {summary}: {s['steps']} steps in {s['seconds']:.0f} s with "
          f"{s['features']}; style loss {s['style_loss_first']:.4g} -> {s['style_loss_last']:.4g}")
    return 0


def _restorer(task, run_dir):
    """The run that restores: ``run_dir``'s (checked), else the task's shipped restorer."""
    from gan_course import runs
    from gan_course.models import pix2pix_restore

    if run_dir is not None:
        return pix2pix_restore.check_restorer(runs.load_run(run_dir), task, run_dir)
    try:
        return runs.pretrained(f"pix2pix/{task}")
    except ValueError as err:
        raise ValueError(f"{err} Train one (gan-course train pix2pix --task {task} --out "
                         f"runs/restore_{task}) and pass --run runs/restore_{task}.") from None


def _cmd_restore(args):
    from gan_course.models import pix2pix_restore

    picture, summary, s = pix2pix_restore.restore_file(
        args.image, args.task, args.out, lambda: _restorer(args.task, args.run), args.mask,
        args.force)
    size = "x".join(map(str, s["output_size"]))
    print(f"wrote {picture} ({size}) and {summary}: {args.task} by {s['restorer']} in "
          f"{s['seconds']:.1f} s")
    return 0


def _cmd_doctor(args):
    from gan_course import doctor

    return doctor.main()


def build_parser():
    parser = argparse.ArgumentParser(prog="gan-course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and write a run directory")
    p.add_argument("model", help=f"one of {', '.join(MODELS)}")
    p.add_argument("--dataset", default=None, help="dataset name (default: the model's own)")
    p.add_argument("--task", choices=TASKS, default=None,
                   help="pix2pix and unet_l1: what to learn to restore (the pictures: --dataset, "
                        "default art/photos+art/paintings)")
    p.add_argument("--profile", default=None, help="quick, classroom or full")
    p.add_argument("--out", default=None, help="run directory (default: runs/MODEL)")
    p.add_argument("--seed", type=int, default=None, help="default 0 (resuming: the run's own)")
    p.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out instead of refusing")
    p.add_argument("--strategy", choices=["default", "mirrored", "multiworker"], default=None,
                   help="tf.distribute strategy (default: mirrored on several GPUs, else one "
                        "device; multiworker reads TF_CONFIG)")
    p.add_argument("--precision", choices=["mixed", "float32"], default=None,
                   help="default: the profile's (mixed for the full profile on a GPU); "
                        "a resumed run keeps its own")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("sample", help="write samples of a trained run to an .npz file")
    p.add_argument("run_dir")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--labels", default=None, help="comma-separated class labels, cycled")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("check", help="grade student notebooks: one (a table and its score) "
                                     "or a class (a gradebook)")
    p.add_argument("paths", nargs="+", metavar="DIR_OR_FILES",
                   help="notebooks, or folders of them (one folder per student, or flat)")
    p.add_argument("--jobs", type=int, default=None,
                   help="notebooks graded at once, each in its own kernel (default: half the "
                        "CPU cores)")
    p.add_argument("--out", default=None,
                   help="the gradebook's CSV file, gradebook.md beside it (default: "
                        "gradebook.csv; written whenever more than one notebook is graded)")
    p.add_argument("--timeout", type=int, default=900,
                   help="seconds allowed for each notebook to run (then each check gets 120 s)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("lessons", help="build lessons/ from solutions/, verify they match, or "
                                       "write the solutions marked for nbgrader")
    p.add_argument("action", choices=["build", "verify", "nbgrader"])
    p.add_argument("--out", default="nbgrader",
                   help="nbgrader: the course folder, its source/ written (default: nbgrader)")
    p.set_defaults(func=_cmd_lessons)

    p = sub.add_parser("stylize", help="paint a photo in the style of a painting (writes "
                                          "OUT.png and OUT.json)")
    p.add_argument("content", help="a photo: a course photo's name or an image file")
    p.add_argument("--style", required=True,
                   help="a painting's name, an image file, or folder:PATH")
    p.add_argument("--out", required=True, help="output .png; the summary goes to the .json beside it")
    p.add_argument("--force", action="store_true",
                   help="replace OUT.png and OUT.json if they exist (never an input image)")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps (default: the profile's)")
    p.add_argument("--style-weight", type=float, default=None, help="weight of the style loss")
    p.add_argument("--features", default="auto", choices=["auto", "vgg19", "random"])
    p.add_argument("--profile", default=None, help="quick, classroom or full")
    p.add_argument("--seed", type=int, default=0, help="seed of the random features")
    p.set_defaults(func=_cmd_stylize)

    p = sub.add_parser("restore", help="restore a picture of your own: fill holes, remove noise "
                                          "or enlarge 4x (writes OUT.png and OUT.json)")
    p.add_argument("image", help="the picture, an image file")
    p.add_argument("--task", choices=TASKS, required=True)
    p.add_argument("--mask", default=None,
                   help="inpaint: an image of the picture's size, white where it is missing")
    p.add_argument("--out", required=True, help="output .png; a summary goes to the .json beside it")
    p.add_argument("--run", default=None,
                   help="a pix2pix run directory (default: the shipped restorer of the task)")
    p.add_argument("--force", action="store_true",
                   help="replace OUT.png and OUT.json if they exist (never the picture or mask)")
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("doctor", help="versions, devices, profile and data found")
    p.set_defaults(func=_cmd_doctor)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError) as err:
        print(f"gan-course {args.command}: error: {_words(err)}", file=sys.stderr)
        return 2


def _words(err):
    """An error in one line; the system's own file errors name the file and what was wrong."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        hint = ("; a part of that path is a file where a folder was expected"
                if isinstance(err, NotADirectoryError) else "")
        return f"{err.filename}: {err.strerror}{hint}"
    return str(err)


if __name__ == "__main__":
    sys.exit(main())
