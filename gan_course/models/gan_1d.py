"""A GAN on a line: lesson 01's picture of D*, p_g and mode collapse, evolving as it trains.

The data is a mixture of Gaussians on the real line; both networks are small multilayer
perceptrons, trained by the course's own step (:class:`~gan_course.models.base.GAN`). Because
everything is one-dimensional, the generator's density p_g can be estimated from its samples, the
optimal discriminator D* = p_data / (p_data + p_g) computed from it, and both drawn beside the
discriminator the networks actually learnt. :func:`watch` trains and keeps such snapshots;
:func:`plot_snapshots` draws them. Settings per profile are at the bottom; the measurements
behind them are in benchmarks/RESULTS.md, section "A GAN on a line".
"""

import dataclasses

import keras
import numpy as np
from keras import layers

from gan_course import theory
from gan_course.models.base import compiled_gan
from gan_course.models.registry import register_settings


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The game at one step: the generator's samples and the discriminator on a grid."""

    step: int
    samples: np.ndarray  # (n,) generator samples
    d: np.ndarray  # D(x) = sigmoid(logit) on the grid
    d_loss: float
    g_loss: float


def mixture_pdf(x, centres, std):
    """The density of an equal-weight mixture of N(c, std^2), one per centre."""
    return np.mean([theory.gaussian_pdf(x, c, std) for c in centres], axis=0)


def mixture_samples(n, centres, std, seed=0):
    """``n`` float32 points of shape (n, 1) from the mixture, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    which = rng.integers(len(centres), size=n)
    return (np.asarray(centres)[which] + std * rng.standard_normal(n)).astype(np.float32)[:, None]


def build_generator(latent_dim=1, hidden=(32, 32), name="generator"):
    """Noise -> Dense + LeakyReLU(0.2) layers -> one number (no output squashing)."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.LeakyReLU(0.2)(layers.Dense(units)(h))
    return keras.Model(z, layers.Dense(1, dtype="float32", name="x")(h), name=name)


def build_discriminator(hidden=(32, 32), name="discriminator"):
    """One number -> Dense + LeakyReLU(0.2) layers -> one logit."""
    x = keras.Input((1,), name="x")
    h = x
    for units in hidden:
        h = layers.LeakyReLU(0.2)(layers.Dense(units)(h))
    return keras.Model(x, layers.Dense(1, dtype="float32", name="logit")(h), name=name)


def build(settings, seed=0):
    """The compiled 1-D GAN (the course's two-tape step, non-saturating loss)."""
    hp = settings.hparams
    return compiled_gan(build_generator(hp["latent_dim"], hp["hidden"]),
                        build_discriminator(hp["d_hidden"]), settings, seed)


def grid(settings, n=601):
    """The x values snapshots evaluate D on (and densities are drawn on), and their spacing."""
    lo, hi = settings.hparams["window"]
    return theory.grid(lo, hi, n)


class SnapshotCallback(keras.callbacks.Callback):
    """Keeps a :class:`Snapshot` of the game every ``every`` steps while ``fit`` trains."""

    def __init__(self, z, x, every):
        super().__init__()
        self.z, self.x, self.every = np.asarray(z, np.float32), np.asarray(x, np.float32), every
        self.snapshots = []

    def take(self, step, logs=None):
        logs = logs or {}
        samples = np.asarray(self.model.generator(self.z, training=False))[:, 0]
        logits = np.asarray(self.model.discriminator(self.x[:, None], training=False))[:, 0]
        self.snapshots.append(Snapshot(step, samples, theory.sigmoid(logits),
                                       float(logs.get("d_loss", np.nan)),
                                       float(logs.get("g_loss", np.nan))))

    def on_train_begin(self, logs=None):
        self.take(0)

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        if step % self.every == 0 and step != self.snapshots[-1].step:
            self.take(step, logs)


def watch(settings, seed=0, every=100, n_samples=20000):
    """Train a 1-D GAN for ``settings.steps`` and return a snapshot every ``every`` steps (the
    first before training). ``every`` should be a multiple of ``settings.steps_per_execution``,
    the steps Keras runs between two calls back to Python."""
    from gan_course import config, data

    hp = settings.hparams
    config.seed_everything(seed)
    model = build(settings, seed)
    points = mixture_samples(60000, hp["centres"], hp["std"], seed=seed)
    z = np.random.default_rng(seed + 1).standard_normal((n_samples, hp["latent_dim"]))
    keeper = SnapshotCallback(z, grid(settings)[0], every)
    model.fit(data.training_stream(points, settings.batch_size, seed=seed),
              steps_per_epoch=settings.steps, epochs=1, verbose=0, shuffle=False,
              callbacks=[keeper])
    return keeper.snapshots


def generator_density(samples, x, dx):
    """A histogram estimate of p_g on the grid ``x`` (bins of width 2 dx centred on the grid
    points, smoothed over 5 bins), normalised to integrate to 1 over the whole line."""
    edges = np.concatenate([x - dx / 2, [x[-1] + dx / 2]])
    counts, _ = np.histogram(samples, bins=edges)
    kernel = np.ones(5) / 5
    density = np.convolve(counts, kernel, mode="same") / (len(samples) * dx)
    return density


def mode_shares(samples, centres, std, within=3.0):
    """The share of samples within ``within`` std of each centre."""
    samples = np.asarray(samples)
    return [float(np.mean(np.abs(samples - c) <= within * std)) for c in centres]


def _pick(snapshots, steps, panels):
    if steps is not None:
        by_step = {snap.step: snap for snap in snapshots}
        missing = [step for step in steps if step not in by_step]
        if missing:
            raise ValueError(f"no snapshot at steps {missing}; snapshots were taken at "
                             f"{[snap.step for snap in snapshots]}")
        return [by_step[step] for step in steps]
    index = np.linspace(0, len(snapshots) - 1, min(panels, len(snapshots))).round().astype(int)
    return [snapshots[i] for i in index]


def plot_snapshots(snapshots, settings, steps=None, panels=6, title=None):
    """One panel per snapshot (``steps``, or ``panels`` evenly spaced): p_data, the
    generator's p_g, the discriminator it learnt and the optimal D* for that p_g."""
    from matplotlib.figure import Figure

    hp = settings.hparams
    chosen = _pick(snapshots, steps, panels)
    x, dx = grid(settings)
    p_data = mixture_pdf(x, hp["centres"], hp["std"])
    cols = min(3, len(chosen))
    rows = -(-len(chosen) // cols)
    fig = Figure(figsize=(4.0 * cols, 2.7 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True)).ravel()
    for ax, snap in zip(axes, chosen):
        p_g = generator_density(snap.samples, x, dx)
        scale = p_data.max()
        ax.fill_between(x, p_data / scale, color="tab:blue", alpha=0.25, label="$p_{data}$")
        ax.plot(x, np.minimum(p_g / scale, 1.5), color="tab:orange", label="$p_g$")
        ax.plot(x, snap.d, color="k", label="D (learnt)")
        # D* means little where both densities are negligible (a stray sample flips it to 0)
        shown = (p_data + p_g) > 0.01 * scale
        ax.plot(x, np.where(shown, theory.optimal_discriminator(p_data, p_g), np.nan), "k:",
                label="D* (optimal)")
        shares = " ".join(f"{s:.0%}" for s in mode_shares(snap.samples, hp["centres"], hp["std"]))
        ax.set_title(f"step {snap.step}: modes {shares}", fontsize=9)
        ax.set_ylim(-0.03, 1.5)
    for ax in axes[len(chosen):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title or "Densities scaled to the data's peak; D and D* between 0 and 1")
    return fig


def plot_modes(runs, settings, title=None):
    """The share of generator samples at each mode against training steps, one panel per run
    (``{label: snapshots}``): a mode collapse shows as shares falling to 0 and jumping."""
    from matplotlib.figure import Figure

    hp = settings.hparams
    fig = Figure(figsize=(5.5 * len(runs), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(runs), sharey=True))
    for ax, (label, snapshots) in zip(axes, runs.items()):
        steps = [snap.step for snap in snapshots]
        shares = np.array([mode_shares(snap.samples, hp["centres"], hp["std"])
                           for snap in snapshots])
        for k, centre in enumerate(hp["centres"]):
            ax.plot(steps, shares[:, k], marker=".", label=f"mode at {centre:+g}")
        ax.axhline(1 / len(hp["centres"]), color="grey", ls="--", lw=0.8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step")
    axes[0].set_ylabel("share of samples")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# Four modes, one noise number: the generator must cut its line of noise into four pieces, which
# it sometimes does (seed 0) and sometimes not, hopping between modes instead (seed 1).
_DATA = dict(centres=(-0.75, -0.25, 0.25, 0.75), std=0.05, window=(-1.5, 1.5), latent_dim=1, hidden=(32, 32),
             d_hidden=(32, 32), g_lr=1e-3, d_lr=1e-3, beta_1=0.5, ema_decay=0.0,
             label_smoothing=0.0)
SETTINGS = {
    # CI: enough steps for the picture to change, in a few seconds.
    "quick": dict(batch_size=128, steps=500, steps_per_epoch=500, steps_per_execution=100,
                  eval_samples=0, jit_compile=False, hparams=_DATA),
    # A laptop: the whole game, from noise to four modes (or to a collapse), in seconds.
    "classroom": dict(batch_size=128, steps=3000, steps_per_epoch=3000, steps_per_execution=100,
                      eval_samples=0, jit_compile=False, hparams=_DATA),
    # A GPU gains nothing on networks this small: the classroom run.
    "full": dict(batch_size=128, steps=3000, steps_per_epoch=3000, steps_per_execution=100,
                 eval_samples=0, jit_compile=False, hparams=_DATA),
}

register_settings("gan_1d", SETTINGS)
