"""Training runs: ``gc.train`` writes a run directory, ``gc.load_run`` brings one back.

A run directory holds ``config.json`` (what was trained), ``checkpoint/`` (resumable),
``samples.png``, ``training.gif``, ``history.json`` (losses per step) and ``metrics.json``
(steps, wall seconds, steps/s, device, profile, quality and whether it meets the course's bar).
"""

import json
import time
import warnings
from pathlib import Path

import numpy as np

from gan_course import callbacks as cbs
from gan_course import config, data, models


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to a different model."""


class NotARunError(ValueError):
    """A folder's ``config.json`` is not the one ``gc.train`` writes."""


class RunMismatchError(ValueError):
    """``resume=True`` asked for another model, dataset or seed than the run directory holds."""


class Run:
    """A trained (or training) model together with its run directory."""

    def __init__(self, directory, spec, model, checkpoint, manager):
        self.directory = Path(directory)
        self.spec = spec
        self.model = model
        self._checkpoint = checkpoint
        self._manager = manager

    name = property(lambda self: self.spec["model"])
    dataset = property(lambda self: self.spec["dataset"])
    profile = property(lambda self: self.spec["profile"])
    precision = property(lambda self: run_precision(self.spec))

    @property
    def epoch(self):
        return int(self._checkpoint.epoch.numpy())

    @property
    def metrics(self):
        return _read_json(self.directory / "metrics.json")

    @property
    def history(self):
        return _read_json(self.directory / "history.json")

    def generate(self, n, seed=0, labels=None):
        """``n`` samples as float32 numpy: images (n, H, W, C) in [0, 1], or points (n, 2)."""
        if labels is None:
            return self.model.generate(n, seed=seed)
        if not self.model.conditional:
            raise ValueError(f"{self.name} is not a conditional model: it takes no labels "
                             f"(conditional models such as cgan do)")
        return self.model.generate(n, seed=seed, labels=labels)

    def decode(self, z, *labels):
        return self.model.decode(z, *labels)

    @property
    def directions(self):
        """The ways an image-to-image model translates (a shipped painter: photo to painting)."""
        return tuple(getattr(self.model, "directions", ()))

    def translate(self, images, direction=None, **options):
        """Image-to-image models (cyclegan, pix2pix): pictures in [0, 1] of any size, translated
        in ``direction`` (default: the model's first, e.g. photo to painting, or restore);
        ``options`` go to the model (a restorer's ``mask``)."""
        if not hasattr(self.model, "translate"):
            raise ValueError(f"{self.name} does not translate images; image-to-image models "
                             f"such as cyclegan and pix2pix do")
        return self.model.translate(images, direction or self.directions[0], **options)

    def latents(self, n, seed=0, **kwargs):
        """``n`` latents from the model's own prior (what the widgets draw)."""
        return self.model.latents(n, seed=seed, **kwargs)

    def evaluate(self, n=None):
        """Quality numbers of fresh samples, as written to metrics.json."""
        recipe = models.get(self.name)
        n = n or self.spec["settings"]["eval_samples"]
        quality = recipe.evaluate(self.model, self.dataset, n)
        return quality, recipe.bar(quality)

    def save_samples(self, path, n=64, seed=0, labels=None):
        """Write ``n`` samples to an ``.npz`` readable without the library (see DESIGN.md);
        returns the file written (``.npz`` is added to a path without it, as NumPy does)."""
        out = {}
        if labels is not None:
            labels = np.resize(np.asarray(labels, np.int64), n)
            out["labels"] = labels
        samples = np.asarray(self.generate(n, seed=seed, labels=labels), np.float32)
        out["points" if samples.ndim == 2 else "images"] = samples
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **out)
        return path


def train(model, dataset=None, profile=None, seed=None, out_dir=None, resume=False, verbose="auto",
          callbacks=(), overwrite=False, strategy=None, precision=None):
    """Train ``model`` (``mlp_gan``, ``dcgan``, ...) on ``dataset`` and return its :class:`Run`.

    The run is checkpointed every epoch. ``resume=True`` continues a run directory where it
    stopped (a finished run is simply loaded); without it an existing run is never overwritten
    unless ``overwrite=True``. ``seed`` defaults to 0 for a new run.

    ``strategy``: ``"mirrored"``, ``"multiworker"``, ``"default"`` or a ``tf.distribute.Strategy``
    (default: a MirroredStrategy on several GPUs, else one device). ``precision``: ``"mixed"`` or
    ``"float32"`` (default: the profile's choice on this machine, mixed only for the full profile
    on a GPU). Both are recorded in ``config.json``; a resumed or loaded run keeps its precision
    unless ``precision`` is given, whatever machine it is on.
    """
    recipe = models.get(model)
    if dataset is not None and recipe.data is None and dataset not in recipe.datasets:
        raise ValueError(f"{model} trains on {', '.join(recipe.datasets)}, not {dataset!r}")
    if precision is not None:
        config.check_precision(precision)
    prof = models.profile(profile)
    out = Path(out_dir or Path("runs") / model)
    strategy = config.make_strategy(strategy)
    if (out / "config.json").exists() and not resume:
        if not overwrite:
            raise FileExistsError(
                f"{out} already holds a run. Pass resume=True (--resume) to continue it, "
                f"overwrite=True (--overwrite) to start again, or choose another out_dir (--out)."
            )
        read_spec(out, broken_ok=True)  # another program's config.json is never deleted
        if is_chief(strategy):
            _clear_run(out)
    if resume and (out / "config.json").exists():
        spec = read_spec(out)
        _check_same_run(out, spec, model, dataset, seed)
        if profile is not None and spec["profile"] != prof.name:
            warnings.warn(f"{out} was trained with the {spec['profile']} profile; resuming it as "
                          f"such. Pass overwrite=True to train it again with the {prof.name} "
                          f"profile.", stacklevel=2)
        if precision is not None:
            spec["precision"] = precision
    else:
        dataset = dataset or recipe.default_dataset
        image_shape, _ = training_data(recipe, dataset, prof[recipe.workload(dataset)])
        spec = {"model": model, "dataset": dataset, "profile": prof.name,
                "seed": 0 if seed is None else int(seed),
                "precision": precision or config.default_precision(prof),
                "image_shape": list(image_shape),
                "settings": prof[recipe.workload(dataset)].as_dict()}
    spec["strategy"] = config.strategy_name(strategy)
    spec["replicas"] = int(strategy.num_replicas_in_sync)
    out = _worker_directory(out, strategy, resume)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(spec, indent=2))
    run = _build(out, spec, strategy)
    return _fit(run, verbose, callbacks)


def _check_same_run(out, spec, model, dataset, seed):
    """Raise :class:`RunMismatchError` unless the run in ``out`` is the one asked for."""
    asked = {"model": model, "dataset": dataset, "seed": seed}
    wrong = [f"{key} {value!r} (the run has {spec[key]!r})" for key, value in asked.items()
             if value is not None and value != spec[key]]
    if wrong:
        held = f"{spec['model']} on {spec['dataset']} with seed {spec['seed']}"
        raise RunMismatchError(
            f"Cannot resume {out}: it holds {held}, but you asked for {', '.join(wrong)}. "
            f"To start a new run, pass overwrite=True (--overwrite) to replace it, or choose "
            f"another out_dir (--out); to continue it, ask for the same model, dataset and seed."
        )


def is_chief(strategy):
    """Whether this process writes the run: always, except on the other workers of a
    multi-worker strategy (the chief is task ``chief``, else ``worker`` 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if task_type is None:
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "chief" or (task_type == "worker" and resolver.task_id == 0
                                    and not has_chief)


def _worker_directory(out, strategy, resume=False):
    """Where this process writes the run. The other workers of a multi-worker run save their
    checkpoints with the chief (saving is collective) but into a temporary copy of ``out``."""
    if is_chief(strategy):
        return out
    import shutil
    import tempfile

    resolver = strategy.cluster_resolver
    copy = Path(tempfile.mkdtemp(prefix=f"gan-course-{resolver.task_type}{resolver.task_id}-"))
    if resume and (out / "checkpoint").is_dir():  # start from the chief's checkpoint
        shutil.copytree(out / "checkpoint", copy / "checkpoint")
    return copy


def pretrained(name, root=None):
    """A network trained for longer than a lesson, shipped with the package, as a Run whose
    ``translate`` works: a painter paints photos (``gc.pretrained("cyclegan/van_gogh")``), a
    restorer restores (``"pix2pix/inpaint"``). Its ``metrics`` are the ones its training
    measured; ``gc.models.shipped.names()`` lists the shipped ones (``root``: another folder
    laid out as the package's assets)."""
    from gan_course.models import shipped

    models.discover()  # each model that ships networks registers its loader
    directory, spec, network = shipped.load(name, root or shipped.ASSETS)
    return Run(directory, spec, network, checkpoint=None, manager=None)


def load_run(out_dir, precision=None, strategy=None):
    """Rebuild a run from its directory and restore its latest checkpoint.

    The model computes in the run's own precision (``config.json``), whatever this machine's
    default, unless ``precision`` says otherwise; ``strategy`` as for :func:`train`."""
    out = Path(out_dir)
    if not (out / "config.json").is_file():
        raise FileNotFoundError(f"{out} is not a run directory (no config.json)")
    spec = read_spec(out)
    if precision is not None:
        spec["precision"] = config.check_precision(precision)
    run = _build(out, spec, config.make_strategy(strategy))
    _restore(run)
    return run


SPEC_KEYS = ("model", "dataset", "profile", "seed", "image_shape", "settings")


def read_spec(out, broken_ok=False):
    """The ``config.json`` of the run directory ``out``: a :class:`NotARunError` naming the file
    when it is not what ``gc.train`` writes, a ValueError when it is not readable JSON (unless
    ``broken_ok``: a run's file cut short, then None)."""
    path = Path(out) / "config.json"
    try:
        spec = _read_json(path)
    except ValueError:
        if broken_ok:
            return None
        raise
    missing = [key for key in SPEC_KEYS if not isinstance(spec, dict) or key not in spec]
    if missing:
        raise NotARunError(f"{path} is not a training run's config.json: it lacks "
                         f"{', '.join(missing)} (gc.train writes {', '.join(SPEC_KEYS)}). "
                         f"Give the folder of a run, or train into another out_dir.")
    return spec


def run_precision(spec):
    """The precision a run computes in; runs saved before it was recorded trained in float32
    (mixed precision was for the full profile on a GPU, whose runs record it)."""
    return spec.get("precision", "float32")


def _build(out, spec, strategy):
    import tensorflow as tf

    settings = config.RunSettings(**spec["settings"])
    config.grow_gpu_memory()
    with (config.seeded(spec["seed"]), config.precision_policy(run_precision(spec)),
          strategy.scope()):
        model = models.get(spec["model"]).build(settings, tuple(spec["image_shape"]), spec["seed"])
        checkpoint = tf.train.Checkpoint(**_checkpointed(model),
                                         epoch=tf.Variable(0, dtype=tf.int64))
    manager = tf.train.CheckpointManager(checkpoint, out / "checkpoint", max_to_keep=2)
    return Run(out, spec, model, checkpoint, manager)


def _checkpointed(model, loss_scale=True):
    """What a checkpoint keeps. The optimizers are saved without their loss-scale wrapper, whose
    state is kept apart (``loss_scale``), so a run restores in either precision."""
    objects = dict(generator=model.generator, discriminator=model.discriminator,
                   ema_generator=model.ema_generator, d_optimizer=_inner(model.d_optimizer),
                   g_optimizer=_inner(model.g_optimizer),
                   random_states=_random_states(model.generator, model.discriminator))
    if model.extra_state:  # only models with extra state save it: older runs still restore
        objects["extra_state"] = [v.value for v in model.extra_state]
    scaled = [o for o in (model.d_optimizer, model.g_optimizer) if o is not _inner(o)]
    if scaled and loss_scale:
        objects["loss_scale"] = [v.value for o in scaled for v in (o.dynamic_scale, o.step_counter)]
    return objects


def _inner(optimizer):
    return getattr(optimizer, "inner_optimizer", optimizer)


def _random_states(*networks):
    """The seed states of random layers (dropout). Keras keeps them out of a network's
    checkpoint, but a resumed run must draw the same masks as an unbroken one."""
    return [v.value for net in networks for v in net.non_trainable_variables
            if v.path.endswith("seed_generator_state")]


def _restore(run):
    import tensorflow as tf

    path = run._manager.latest_checkpoint
    if path is None:
        return
    try:
        names = {name for name, _ in tf.train.list_variables(path)}
        checkpoint = run._checkpoint
        if not any(name.startswith("loss_scale/") for name in names):
            # saved in float32: restore the rest, the loss scale starts afresh
            checkpoint = tf.train.Checkpoint(**_checkpointed(run.model, loss_scale=False),
                                             epoch=run._checkpoint.epoch)
        checkpoint.restore(path).assert_existing_objects_matched()
    except Exception as err:
        raise CheckpointError(
            f"Cannot restore the checkpoint {path}: {type(err).__name__}: {str(err)[:300]}\n"
            f"It is corrupt or was written by a different model or profile than {run.directory}"
            f"/config.json describes. Delete {run.directory} (or pass overwrite=True) to start again."
        ) from None


def _fit(run, verbose, extra_callbacks):
    _restore(run)
    settings = config.RunSettings(**run.spec["settings"])
    start_epoch = run.epoch
    if start_epoch < settings.epochs:
        _, stream_from = training_data(models.get(run.name), run.spec["dataset"], settings,
                                       run.model)
        stream = stream_from(run.spec["seed"], start_epoch * settings.steps_per_epoch)
        history = cbs.StepHistory(run.directory / "history.json", run.history or None)
        callbacks = [cbs.StopOnNaN(), history,
                     cbs.EpochCheckpoint(run._manager, run._checkpoint.epoch),
                     *_sample_callbacks(run), *extra_callbacks]
        began = time.perf_counter()
        with config.remapper_off():  # every model, also those with a fit of their own
            run.model.fit(stream, epochs=settings.epochs, initial_epoch=start_epoch,
                          steps_per_epoch=settings.steps_per_epoch, callbacks=callbacks,
                          verbose=verbose, shuffle=False)
        seconds = time.perf_counter() - began
        previous = run.metrics or {}
        _write_metrics(run, settings, previous.get("wall_seconds", 0.0) + seconds,
                       (run.epoch - start_epoch) * settings.steps_per_epoch / seconds)
    elif _measures_out_of_date(run):
        kept = run.metrics or {}
        _write_metrics(run, settings, kept.get("wall_seconds", 0), kept.get("steps_per_second", 0))
    return run


def _measures_out_of_date(run):
    """Whether a finished run lacks metrics.json or holds one an older course version wrote."""
    metrics = run.metrics or {}
    try:  # a number the bar now reads is missing, or the bar asks other things
        return set(models.get(run.name).bar(metrics["quality"])) != set(metrics["bar"])
    except (KeyError, TypeError):
        return True


def _sample_callbacks(run):
    if len(run.spec["image_shape"]) == 1:  # points of a 2-D set
        real, _ = data.load_arrays(run.dataset, "test")
        return [cbs.SamplePoints(run.directory, run.model.latents(1000, seed=1234), real[:1000])]
    if len(run.spec["image_shape"]) != 3:
        return []
    if hasattr(run.model, "sample_grid"):  # a model that draws its own grid (cyclegan)
        return [cbs.SampleGrid(run.directory, draw=run.model.sample_grid, ncols=8)]
    if run.model.conditional:  # one column per class
        classes = run.model.classes
        return [cbs.SampleGrid(run.directory, run.model.latents(8 * classes, seed=1234),
                               np.resize(np.arange(classes), 8 * classes), ncols=classes)]
    return [cbs.SampleGrid(run.directory, run.model.latents(64, seed=1234))]


def training_data(recipe, dataset, settings, model=None, examples=None):
    """``(image_shape, stream(seed, start_step))``: what ``model`` trains on. The recipe's own
    data, or the arrays of a course dataset (its first ``examples``) streamed in resumable
    shuffled batches, with labels for a conditional model, and as many batches per step as the
    model takes (WGAN-GP: one per critic update, stacked into one)."""
    if recipe.data is not None:
        return recipe.data(dataset, settings)
    images, labels = _training_arrays(dataset)
    if examples is not None:
        images, labels = images[:examples], labels[:examples]
    per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
    conditional = getattr(model, "conditional", False)

    def stream(seed, start_step):
        return data.training_stream(images, per_step, seed=seed, start_step=start_step,
                                    labels=labels if conditional else None)

    return images.shape[1:], stream


def _training_arrays(dataset):
    """What a run trains on: uint8 images (scaled on the fly by the stream) or 2-D points."""
    if dataset in data.TOY_SETS:
        return data.load_arrays(dataset, "train")
    return data.load_uint8(dataset, "train")


def _write_metrics(run, settings, wall_seconds, steps_per_second):
    summary = config.device_summary(run.profile)
    quality, bar = run.evaluate()
    metrics = {
        "model": run.name, "dataset": run.dataset, "profile": run.profile,
        "steps": run.epoch * settings.steps_per_epoch, "batch_size": settings.batch_size,
        "wall_seconds": round(wall_seconds, 2), "steps_per_second": round(steps_per_second, 2),
        "device": summary["device"], "gpus": summary["gpus"], "cpu_cores": summary["cpu_cores"],
        "precision": run.precision, "mixed_precision": run.precision == "mixed",
        "strategy": run.spec.get("strategy", "default"), "replicas": run.spec.get("replicas", 1),
        "tensorflow": summary["tensorflow"],
        "quality": quality, "bar": bar, "meets_bar": all(bar.values()),
    }
    (run.directory / "metrics.json").write_text(json.dumps(metrics, indent=2))


def format_metrics(m):
    """A short human summary of metrics.json."""
    q = m.get("quality", {})
    lines = [f"{m['model']} on {m['dataset']} ({m['profile']} profile, {m['device']}): "
             f"{m['steps']} steps in {m['wall_seconds']:.0f} s ({m['steps_per_second']:.1f} steps/s)"]
    lines += [f"  {k}: {v:.4g}" if isinstance(v, float) else f"  {k}: {v}" for k, v in q.items()]
    lines += [f"  bar {name}: {'met' if ok else 'NOT met'}" for name, ok in m.get("bar", {}).items()]
    return "\n".join(lines)


def _read_json(path):
    """A JSON file of a run directory (None if it is absent); a clear error if it is broken."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not readable JSON ({err}); it was cut short or edited. "
                         f"Delete the run directory (or pass overwrite=True) to start again.") from None


def _clear_run(out):
    import shutil

    for name in ("checkpoint", "frames"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("config.json", "metrics.json", "history.json", "samples.png", "training.gif"):
        (out / name).unlink(missing_ok=True)
