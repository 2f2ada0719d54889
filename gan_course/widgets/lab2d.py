"""Lesson 04's 2-D lab: a plain GAN and its cures trained side by side on a toy set, in snapshots.

``train`` trains one model (``"gan"``, the spectrally normalised ``"sn_gan"``, ``"wgan_gp"`` or the
weight-clipped ``"wgan_clip"``) with the same MLPs, optimiser, steps and batches as the others, and keeps a :class:`Snapshot` every ``every``
steps: samples, the critic's (or discriminator's) value on a grid, and the modes covered.
``plot_snapshot`` draws one as a contour map under the samples; ``SnapshotPlayer`` steps through
the snapshots of several runs side by side with a slider and a play button.
"""

import dataclasses
import time

import ipywidgets as W
import keras
import numpy as np
from matplotlib.figure import Figure

from gan_course import config, data, metrics, viz

KINDS = ("gan", "sn_gan", "wgan_gp", "wgan_clip")
LABELS = {"gan": "plain GAN", "sn_gan": "SN GAN", "wgan_gp": "WGAN-GP",
          "wgan_clip": "WGAN, clipped weights"}
DISCRIMINATORS = ("gan", "sn_gan")  # kinds whose score is a logit, drawn as a probability D(x)
GRID = 60  # grid points per axis for the contour map


@dataclasses.dataclass
class Snapshot:
    """The state of a run at one step."""

    step: int
    samples: np.ndarray  # (n, 2) points from the sampling generator
    scores: np.ndarray   # (GRID, GRID) critic scores, or discriminator probabilities D(x)
    quality: dict        # gc.metrics.evaluate_points of the samples


@dataclasses.dataclass
class LabRun:
    """One trained lab model and its snapshots."""

    kind: str
    dataset: str
    model: keras.Model
    snapshots: list
    seconds: float

    @property
    def label(self):
        return LABELS[self.kind]


def extent(dataset):
    """The square (lo, hi) the plots and the critic's grid cover for ``dataset``."""
    reach = np.abs(data.toy_points(dataset, 5000, seed=0)).max()
    return -1.25 * reach, 1.25 * reach


def grid(dataset, resolution=GRID):
    """The (resolution^2, 2) grid of points on which the critic is evaluated."""
    lo, hi = extent(dataset)
    axis = np.linspace(lo, hi, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


class SnapshotRecorder(keras.callbacks.Callback):
    """Keeps a :class:`Snapshot` at the start of training and at the end of every epoch."""

    def __init__(self, dataset, n=1000, seed=0, probability=False):
        super().__init__()
        self.dataset, self.n, self.seed = dataset, int(n), int(seed)
        self.probability = probability
        self.points = grid(dataset)
        self.snapshots = []

    def take(self):
        samples = self.model.generate(self.n, seed=self.seed)
        scores = np.asarray(self.model.discriminator.predict_on_batch(self.points), np.float64)
        if self.probability:
            scores = 1.0 / (1.0 + np.exp(-scores))
        step = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        self.snapshots.append(Snapshot(step, samples, scores.reshape(GRID, GRID),
                                       metrics.evaluate_points(samples, self.dataset)))

    def on_train_begin(self, logs=None):
        if not self.snapshots:
            self.take()

    def on_epoch_end(self, epoch, logs=None):
        self.take()


def build(kind, settings, seed=0):
    """A compiled lab model of ``kind`` for 2-D points, from the ``wgan_gp_2d``-style settings."""
    from gan_course.models import wgan_gp

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    config.seed_everything(seed)
    if kind in DISCRIMINATORS:
        return wgan_gp.build_plain_gan(settings, (2,), seed, spectral=kind == "sn_gan")
    if kind == "wgan_clip":
        settings = settings.with_hparams(clip_value=settings.hparams.get("clip_value", 0.01))
    return wgan_gp.build(settings, (2,), seed)


def train(kind, settings, dataset="toy_8gaussians", every=None, seed=0, n=1000, verbose=0):
    """Train a lab model for ``settings.steps`` steps, a snapshot every ``every`` steps."""
    every = int(every or settings.steps_per_epoch)
    if every < 1 or settings.steps % every:
        raise ValueError(f"every must divide the {settings.steps} steps, got {every}")
    model = build(kind, settings, seed)
    points, _ = data.load_arrays(dataset, "train")
    per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
    recorder = SnapshotRecorder(dataset, n=n, probability=kind in DISCRIMINATORS)
    began = time.perf_counter()
    model.fit(data.training_stream(points, per_step, seed=seed), epochs=settings.steps // every,
              steps_per_epoch=every, callbacks=[recorder], verbose=verbose, shuffle=False)
    return LabRun(kind, dataset, model, recorder.snapshots, time.perf_counter() - began)


def plot_snapshot(run, index=-1, ax=None, n_real=1000):
    """Samples of snapshot ``index`` over the critic's value as a contour map; returns the figure."""
    snap = run.snapshots[index]
    fig = ax.figure if ax is not None else Figure(figsize=(4.5, 4.5), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    lo, hi = extent(run.dataset)
    axis = np.linspace(lo, hi, GRID)
    probability = run.kind in DISCRIMINATORS
    levels = np.linspace(0, 1, 11) if probability else 14
    filled = ax.contourf(axis, axis, snap.scores, levels=levels, cmap="viridis", alpha=0.8)
    fig.colorbar(filled, ax=ax, shrink=0.8, label="D(x)" if probability else "critic f(x)")
    real = data.toy_points(run.dataset, n_real, seed=1)
    ax.scatter(real[:, 0], real[:, 1], s=3, color="white", alpha=0.5, label="real")
    ax.scatter(snap.samples[:, 0], snap.samples[:, 1], s=3, color="tab:orange", alpha=0.6,
               label="generated")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_title(f"{run.label}, step {snap.step}: {describe(snap.quality)}", fontsize=9)
    ax.legend(loc="lower right", fontsize=7, markerscale=3)
    return fig


def plot_side_by_side(runs, index=-1):
    """One panel per run, all at snapshot ``index``; returns the figure."""
    runs = list(runs.values()) if isinstance(runs, dict) else list(runs)
    fig = Figure(figsize=(4.6 * len(runs), 4.4), layout="constrained")
    for ax, run in zip(fig.subplots(1, len(runs), squeeze=False)[0], runs):
        plot_snapshot(run, index, ax)
    return fig


def describe(quality):
    """A few words on a snapshot's quality: modes covered and points near a centre."""
    if "modes" in quality:
        return (f"{quality['modes_covered']}/{quality['modes']} modes, "
                f"{quality['high_quality']:.0%} within 4 std")
    return f"{quality['near_data']:.0%} near the roll, {quality['data_covered']:.0%} of it covered"


def coverage_table(runs):
    """The modes each run covers at each snapshot, as printable text."""
    runs = list(runs.values()) if isinstance(runs, dict) else list(runs)
    steps = [s.step for s in runs[0].snapshots]
    cells = [[describe(s.quality) for s in r.snapshots] for r in runs]
    width = max(len(text) for column in [[r.label] for r in runs] + cells for text in column) + 3
    lines = [f"{'step':>6}  " + "".join(f"{r.label:<{width}}" for r in runs).rstrip()]
    for i, step in enumerate(steps):
        lines.append(f"{step:>6}  " + "".join(f"{column[i]:<{width}}" for column in cells).rstrip())
    return "\n".join(lines)


class SnapshotPlayer:
    """Step through the snapshots of several lab runs side by side: a slider and a play button.

    It opens on the first snapshot, so that play shows training from its start. ``.widget`` is
    the ipywidgets container; ``.index`` the snapshot on display; ``.show(i)`` draws snapshot
    ``i`` (frames are drawn once, then cached)."""

    def __init__(self, runs, interval=600):
        self.runs = list(runs.values()) if isinstance(runs, dict) else list(runs)
        counts = {len(r.snapshots) for r in self.runs}
        if not self.runs or len(counts) != 1 or not counts.pop():
            raise ValueError("SnapshotPlayer needs runs with the same, non-zero number of "
                             "snapshots (train them with the same settings and every)")
        last = len(self.runs[0].snapshots) - 1
        self._frames = {}
        # Shown at its own pixel size: a box would stretch it across the notebook.
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))
        self.slider = W.IntSlider(value=0, min=0, max=last, description="snapshot",
                                  continuous_update=False)
        self.play = W.Play(value=0, min=0, max=last, interval=int(interval), description="play")
        W.link((self.play, "value"), (self.slider, "value"))
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = W.VBox([W.HBox([self.play, self.slider]), self.image])
        self.show(0)

    @property
    def index(self):
        return self.slider.value

    def frame(self, index):
        """PNG bytes of snapshot ``index`` of every run, side by side."""
        if index not in self._frames:
            self._frames[index] = viz.figure_png(plot_side_by_side(self.runs, index))
        return self._frames[index]

    def show(self, index):
        self.image.value = self.frame(int(index))

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
