"""The training monitor: a live panel of loss curves and samples for ``model.fit``."""

import time

import ipywidgets as W
import keras
import numpy as np

from gan_course import viz
from gan_course.widgets.common import Panel, draw_latents, image_view


class TrainingMonitor(Panel, keras.callbacks.Callback):
    """A live panel for ``model.fit``: loss curves, samples from fixed latents, and a status line.

    Every batch's logs are recorded in ``self.history`` (a dict of lists with a ``"step"`` key,
    the format of a run's history.json); every ``every`` reports the panel is redrawn (Keras
    reports once per ``steps_per_execution`` steps; the step shown is the optimizer's). Samples
    come from ``decode`` or, if None, ``self.model.decode``, always on the same latents so the
    pictures show the generator changing rather than the noise (a model with a ``sample_grid(n)``
    method, such as the CycleGAN, draws that grid instead). In a notebook the panel shows
    itself when training starts (or display it earlier by ending a cell with it).
    """

    def __init__(self, every=50, decode=None, latent=None, history_keys=("d_loss", "g_loss"),
                 n_samples=16, seed=0):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.every = int(every)
        self.decode = decode
        self.fixed_z = None if latent is None else np.asarray(latent, dtype=np.float32)
        self.history_keys = tuple(history_keys)
        self.n_samples = int(n_samples)
        self.seed = seed
        self.history = {"step": []}
        self.step = 0
        self.reports = 0
        self.current_image = None
        self._tick = None

        self.status = W.HTML(value="waiting for training to start")
        self.loss_image = image_view()
        self.image = image_view()
        self.widget = W.VBox([self.status, W.HBox([self.loss_image, self.image])])

    def on_train_begin(self, logs=None):
        self._tick = (time.perf_counter(), self.step)
        if not self._displayed and _in_notebook():
            self._ipython_display_()

    def on_train_batch_end(self, batch, logs=None):
        # Keras reports once per ``steps_per_execution`` steps: count reports for ``every``, and
        # read the true step from the generator's optimizer when the model has one.
        self.reports += 1
        optimizer = getattr(self.model, "g_optimizer", None)
        self.step = int(optimizer.iterations.numpy()) if optimizer is not None else self.reports
        self.history["step"].append(self.step)
        n = len(self.history["step"])
        for key, value in (logs or {}).items():
            values = self.history.setdefault(key, [float("nan")] * (n - 1))
            values.append(float(np.asarray(value)))
        for values in self.history.values():  # keys absent from this batch's logs
            if len(values) < n:
                values.append(float("nan"))
        if self.reports % self.every == 0:
            self.refresh()

    def on_train_end(self, logs=None):
        if self.step and (self._tick is None or self._tick[1] != self.step):
            self.refresh()

    def refresh(self):
        """Redraw the status line, the loss curves and the sample grid now."""
        now = time.perf_counter()
        t0, s0 = self._tick or (now, self.step)
        rate = (self.step - s0) / (now - t0) if now > t0 else float("nan")
        self._tick = (now, self.step)
        latest = "  ".join(f"{k} {self.history[k][-1]:.4f}" for k in self.history
                           if k != "step" and self.history[k])
        self.status.value = f"<b>step {self.step}</b> &nbsp; {latest} &nbsp; {rate:.1f} steps/s"

        keys = [k for k in self.history_keys if k in self.history]
        if keys:
            self.loss_image.value = viz.figure_png(viz.plot_losses(self.history, keys=keys))
        decode = self.decode or getattr(self.model, "decode", None)
        if self.decode is None and hasattr(self.model, "sample_grid"):
            # A model that draws its own rows (a CycleGAN: photos, paintings, round trips).
            self._show(viz.image_grid(self.model.sample_grid(self.n_samples),
                                      ncols=self.n_samples))
        elif decode is not None:
            if self.fixed_z is None:
                self.fixed_z = self._fixeddraw_latents()
            self._show(viz.decode_batch(decode, self.fixed_z))

    def _fixeddraw_latents(self):
        """Latents from the model's own prior (``model.latents``), else N(0, I) of its size."""
        if hasattr(self.model, "latents"):
            return self.model.latents(self.n_samples, seed=self.seed)
        latent_dim = getattr(self.model, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("TrainingMonitor: pass latent= (fixed latents) or train a "
                             "model with a latent_dim attribute")
        return draw_latents(np.random.default_rng(self.seed), self.n_samples, latent_dim)


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
