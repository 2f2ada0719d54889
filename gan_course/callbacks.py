"""Keras callbacks that turn a ``fit`` call into a course run: history, samples, checkpoints."""

import json
import math
from pathlib import Path

import keras
import numpy as np

from gan_course import viz
from gan_course.models.base import TrainingDiverged


def _step(model):
    return int(keras.ops.convert_to_numpy(model.g_optimizer.iterations))


class StepHistory(keras.callbacks.Callback):
    """Records every metric averaged over each logging interval, keyed by optimisation step.

    With ``steps_per_execution=k`` Keras reports every k steps; the averages come from the
    trackers' running totals, so each entry is the exact mean over the steps since the last one.
    ``path`` (history.json) is rewritten at the end of every epoch.
    """

    def __init__(self, path=None, history=None):
        super().__init__()
        self.path = Path(path) if path else None
        self.history = history or {"step": []}
        self._last = {}

    def on_train_begin(self, logs=None):
        start = _step(self.model)  # a resumed run drops entries past its checkpoint
        keep = sum(1 for s in self.history["step"] if s <= start)
        self.history = {k: v[:keep] for k, v in self.history.items()}

    def on_epoch_begin(self, epoch, logs=None):
        self._last = {}

    def on_train_batch_end(self, batch, logs=None):
        entry = {}
        for tracker in self.model.metrics:
            total = float(keras.ops.convert_to_numpy(tracker.total))
            count = float(keras.ops.convert_to_numpy(tracker.count))
            prev_total, prev_count = self._last.get(tracker.name, (0.0, 0.0))
            if count > prev_count:
                entry[tracker.name] = (total - prev_total) / (count - prev_count)
            self._last[tracker.name] = (total, count)
        if not entry:
            return
        self.history["step"].append(_step(self.model))
        for name, value in entry.items():
            self.history.setdefault(name, []).append(round(value, 6))

    def on_epoch_end(self, epoch, logs=None):
        if self.path:
            self.path.write_text(json.dumps(self.history))


class StopOnNaN(keras.callbacks.Callback):
    """Stops training with a clear message as soon as a loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if "loss" in name and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise TrainingDiverged(
                    f"{name} became {float(value)} at step {_step(self.model)}: training stopped. "
                    "The networks' weights have blown up; lower the learning rates, check that "
                    "images are in [-1, 1], and resume from the last checkpoint."
                )


class SampleGrid(keras.callbacks.Callback):
    """After every epoch, draws a fixed latent batch: ``samples.png`` and a GIF of training.

    ``draw()``, if given, makes the grid's images instead (e.g. a CycleGAN's fixed photos, their
    paintings and their round trips)."""

    def __init__(self, run_dir, latents=None, labels=None, ncols=None, draw=None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.latents = latents
        self.labels = labels
        self.ncols = ncols
        self.draw = draw
        (self.run_dir / "frames").mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        args = (self.latents,) if self.labels is None else (self.latents, self.labels)
        images = self.draw() if self.draw else self.model.decode(*args)
        grid = viz.image_grid(images, ncols=self.ncols)
        viz.save_image(grid, self.run_dir / "samples.png")
        viz.save_image(grid, self.run_dir / "frames" / f"epoch_{epoch + 1:04d}.png")
        frames = sorted((self.run_dir / "frames").glob("epoch_*.png"))[: epoch + 1]
        viz.write_gif([_read_png(f) for f in frames], self.run_dir / "training.gif")


class SamplePoints(keras.callbacks.Callback):
    """After every epoch, scatters a 2-D model's points from fixed latents over real points:
    ``samples.png`` and a GIF of training, as :class:`SampleGrid` does for images."""

    def __init__(self, run_dir, latents, real):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.latents = latents
        self.real = real
        self.reach = 1.25 * float(np.abs(real).max())  # fixed limits: frames of one size
        (self.run_dir / "frames").mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        import io

        fig = viz.plot_points(self.real, self.model.decode(self.latents),
                              title=f"step {_step(self.model)}")
        ax = fig.axes[0]
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlim(-self.reach, self.reach)
        ax.set_ylim(-self.reach, self.reach)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        png = buf.getvalue()
        (self.run_dir / "samples.png").write_bytes(png)
        (self.run_dir / "frames" / f"epoch_{epoch + 1:04d}.png").write_bytes(png)
        frames = sorted((self.run_dir / "frames").glob("epoch_*.png"))[: epoch + 1]
        viz.write_gif([_read_png(f)[..., :3] for f in frames], self.run_dir / "training.gif")


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a ``tf.train.CheckpointManager`` checkpoint at the end of every epoch."""

    def __init__(self, manager, epoch_variable):
        super().__init__()
        self.manager = manager
        self.epoch_variable = epoch_variable

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_variable.assign(epoch + 1)
        self.manager.save(checkpoint_number=epoch + 1)


def _read_png(path):
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img, np.float32) / 255.0


class QualityHistory(keras.callbacks.Callback):
    """After every epoch (a run's checkpoint), judges ``n`` fresh samples of an image set with
    the course's classifier and appends step, FID, confidence and the rarest class's share to the
    JSON file ``path``; a resumed run keeps the entries up to its checkpoint."""

    def __init__(self, path, dataset="mnist", n=1000, seed=123):
        super().__init__()
        self.path = Path(path)
        self.dataset, self.n, self.seed = dataset, int(n), int(seed)
        self.history = {"step": [], "fid": [], "confident": [], "min_class_share": []}

    def on_train_begin(self, logs=None):
        if self.path.exists():
            saved = json.loads(self.path.read_text())
            keep = sum(1 for s in saved["step"] if s <= _step(self.model))
            self.history = {k: v[:keep] for k, v in saved.items()}

    def on_epoch_end(self, epoch, logs=None):
        from gan_course import metrics

        quality = metrics.evaluate(self.model.generate(self.n, seed=self.seed), self.dataset)
        self.history["step"].append(_step(self.model))
        for key in ("fid", "confident", "min_class_share"):
            self.history[key].append(round(float(quality[key]), 5))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.history))
