"""Interactive notebook panels for exploring a generator and watching it train (ipywidgets 8).

Each panel is a small class: ``.widget`` is the ipywidgets container (a notebook cell can simply
end with the object), ``.image`` the ``ipywidgets.Image`` showing PNG bytes and ``.current_image``
the numpy image on display. Generator functions follow the contract in :mod:`gan_course.viz`:
``decode(z) -> images`` in [0, 1], or ``decode(z, labels)`` for a conditional model.
"""

import time

import ipywidgets as W
import keras
import numpy as np

from gan_course import viz

# Small images (28 x 28 digits) are upscaled to about this many pixels, nearest neighbour.
DISPLAY_SIZE = 256


class _Panel:
    """Shows ``self.widget`` when a notebook displays the object; renders images into it."""

    widget = None
    _displayed = False

    def _ipython_display_(self):
        from IPython.display import display

        self._displayed = True
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        self._displayed = True
        return self.widget._repr_mimebundle_(**kwargs)

    def _show(self, image, image_widget=None):
        """Put an image (or a batch, tiled) on display and keep it as ``current_image``."""
        self.current_image = viz.as_image(image)
        (image_widget or self.image).value = viz.png_bytes(self.current_image, DISPLAY_SIZE)


def _image_view():
    """An image shown at its own pixel size (about ``DISPLAY_SIZE``).

    A box stretches its children across by default: in a VBox a 252-pixel digit grew to the
    notebook's full width (about 970 px) and pushed the controls below the fold.
    """
    return W.Image(format="png", layout=W.Layout(align_self="flex-start"))


def _latents(rng, n, latent_dim):
    return rng.standard_normal((n, latent_dim)).astype(np.float32)


def _prior(sample, latent_dim, decode=None):
    """``draw(rng, n)``: latents from ``sample(n, seed=...)``; without it, from the model whose
    bound ``decode`` this is (``run.decode`` or ``model.decode``: its ``latents``, the prior it
    was trained on, e.g. an InfoGAN's one-hot category and uniform codes), else N(0, I)."""
    sample = sample or _latents_of(decode)
    if sample is None:
        return lambda rng, n: _latents(rng, n, latent_dim)
    return lambda rng, n: np.asarray(sample(n, seed=int(rng.integers(2**31))), np.float32)


def _latents_of(decode):
    owner = getattr(decode, "__self__", None)
    return getattr(owner, "latents", None) or getattr(getattr(owner, "model", None), "latents", None)


def _check_latent_dim(latent_dim):
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    return int(latent_dim)


class InterpolationPlayer(_Panel):
    """Walk between two random latents: a slider ``t`` in [0, 1], a play button, lerp/slerp.

    Slerp (the default) follows the great circle between the endpoints. A Gaussian latent in
    many dimensions almost always has norm close to sqrt(latent_dim): the samples live on a thin
    shell. The straight line (lerp) cuts inside that shell, through latents the generator never
    saw while training, so its midpoints tend to look faded; slerp stays on the shell.

    Endpoints come from the model's own prior: ``sample(n, seed=...)`` (e.g. ``model.latents``),
    else the ``latents`` of the run or model whose ``decode`` is passed, else N(0, I).
    """

    def __init__(self, decode, latent_dim, seed=0, n_frames=32, mode="slerp", sample=None):
        if mode not in ("slerp", "lerp"):
            raise ValueError(f"mode must be 'slerp' or 'lerp', got {mode!r}")
        self.decode = decode
        self.latent_dim = _check_latent_dim(latent_dim)
        self.n_frames = max(2, int(n_frames))
        self._rng = np.random.default_rng(seed)
        self._draw = _prior(sample, self.latent_dim, decode)
        self.z0, self.z1 = self._draw(self._rng, 2)

        self.image = _image_view()
        self.t_slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=1 / (self.n_frames - 1),
                                      description="t", readout_format=".2f")
        self.play = W.Play(value=0, min=0, max=self.n_frames - 1, interval=120,
                           description="play")
        self.mode_toggle = W.ToggleButtons(options=["slerp", "lerp"], value=mode,
                                           description="path")
        self.new_button = W.Button(description="new endpoints", icon="refresh")

        self.play.observe(lambda ch: setattr(self.t_slider, "value",
                                             ch["new"] / (self.n_frames - 1)), names="value")
        self.t_slider.observe(lambda _: self.update(), names="value")
        self.mode_toggle.observe(lambda _: self.update(), names="value")
        self.new_button.on_click(lambda _: self.new_endpoints())
        self.widget = W.VBox([self.image, W.HBox([self.play, self.t_slider]),
                              W.HBox([self.mode_toggle, self.new_button])])
        self.update()

    @property
    def latent(self):
        """The latent on display, float32 (latent_dim,)."""
        return viz.interpolate(self.z0, self.z1, self.t_slider.value, self.mode_toggle.value)

    def new_endpoints(self):
        """Draw two new endpoints (from the seeded stream) and redraw."""
        self.z0, self.z1 = self._draw(self._rng, 2)
        self.update()

    def update(self):
        self._show(viz.decode_batch(self.decode, self.latent[None])[0])

    def strip(self, steps=8):
        """The whole path as a batch of ``steps`` images (e.g. for ``viz.show_images``)."""
        return viz.interpolation_strip(self.decode, self.z0, self.z1, steps,
                                       self.mode_toggle.value)


def latent_directions(decode, latent_dim, n_directions=4, n_samples=2000, seed=0,
                      batch_size=250, sample=None):
    """Latent directions that change the decoded images most, and the image variance each
    explains.

    The principal components of latents alone are useless: Gaussian latents are isotropic.
    Instead (the GANSpace recipe of Harkonen et al. 2020, applied to pixels): decode a batch of
    random latents, find the top principal components of the flattened images, and regress each
    image-PC score on the latents; the regression weights point along the latent direction
    that best moves that component. Directions are orthonormalised in order (unit length: for a
    standard normal latent, one unit along a direction is one standard deviation of the prior;
    for other latents, such as an InfoGAN's one-hot category and bounded codes, it is not, and
    a direction mixes noise and code). Returns float32 (n_directions, latent_dim) and the
    explained-variance ratios (n_directions,). ``sample(n, seed=...)`` draws the model's own
    latents where they are not N(0, I) (an InfoGAN's codes).
    """
    latent_dim = _check_latent_dim(latent_dim)
    if not 1 <= n_directions <= latent_dim:
        raise ValueError(f"n_directions must be between 1 and latent_dim={latent_dim}, "
                         f"got {n_directions}")
    if n_samples < 2 * n_directions:
        raise ValueError(f"n_samples must be at least 2 * n_directions, got {n_samples}")
    rng = np.random.default_rng(seed)
    z = _prior(sample, latent_dim, decode)(rng, n_samples)
    x = np.concatenate([viz.decode_batch(decode, z[i:i + batch_size]).reshape(
        len(z[i:i + batch_size]), -1) for i in range(0, n_samples, batch_size)])
    return regressed_directions(z, x - x.mean(axis=0), n_directions, rng)


def regressed_directions(z, centred_images, n_directions, rng):
    """The latent directions along which the images' top principal components grow.

    ``centred_images`` (n, pixels) are the images decoded from latents ``z`` (n, latent_dim),
    each with a mean taken away (the batch's, or its class's). Finds their top principal
    components, regresses each image's score on its latent and orthonormalises the weights in
    order. Returns float32 directions (n_directions, latent_dim) and the share of the variance
    each component explains."""
    x = np.asarray(centred_images, np.float64)
    # Randomised PCA (Halko et al. 2011): cheap even for 2000 x 12288 pixels.
    k = min(n_directions + 10, *x.shape)
    q, _ = np.linalg.qr(x @ rng.standard_normal((x.shape[1], k)))
    for _ in range(2):  # power iterations sharpen the top components
        q, _ = np.linalg.qr(x @ (x.T @ q))
    u, s, _ = np.linalg.svd(q.T @ x, full_matrices=False)
    scores = (q @ u[:, :n_directions]) * s[:n_directions]  # (n_samples, n_directions)
    explained = s[:n_directions] ** 2 / max((x ** 2).sum(), 1e-12)

    weights = np.linalg.lstsq(np.asarray(z, np.float64), scores, rcond=None)[0]
    directions, r = np.linalg.qr(weights)  # (latent_dim, n_directions)
    directions *= np.where(np.diag(r) < 0, -1.0, 1.0)  # point each where its PC grows
    return directions.T.astype(np.float32), explained.astype(np.float32)


class _DirectionSliders(_Panel):
    """A panel whose sliders move a base latent ``self.base`` along ``self.directions`` (one
    slider each) and redraw at once; a subclass says how to draw a latent (``_draw_latent``)."""

    _hold = False

    def _controls(self, descriptions, slider_range, new_label, on_new, reset_label):
        """The sliders, and below them the buttons for a new base latent and a reset."""
        self.sliders = [W.FloatSlider(value=0.0, min=-slider_range, max=slider_range, step=0.1,
                                      description=text, style={"description_width": "initial"})
                        for text in descriptions]
        self.new_button = W.Button(description=new_label, icon="refresh")
        self.reset_button = W.Button(description=reset_label, icon="undo")
        for s in self.sliders:
            s.observe(lambda _: self.update(), names="value")
        self.new_button.on_click(lambda _: on_new())
        self.reset_button.on_click(lambda _: self.reset())
        return W.VBox(self.sliders + [W.HBox([self.new_button, self.reset_button])])

    @property
    def latent(self):
        """The latent on display: the base plus each slider's value times its direction."""
        amounts = np.array([s.value for s in self.sliders], dtype=np.float32)
        return self.base + amounts @ self.directions

    def reset(self):
        """Put every slider back to 0 (one redraw, not one per slider)."""
        self._hold = True
        try:
            for s in self.sliders:
                s.value = 0.0
        finally:
            self._hold = False
        self.update()

    def update(self):
        if not self._hold:
            self._show(self._draw_latent(self.latent[None])[0])


class LatentExplorer(_DirectionSliders):
    """Sliders that move a base latent along the directions that change the images most.

    The directions come from :func:`latent_directions` (PCA of decoded images, mapped back to
    the latent space by regression). Each slider adds ``value * direction`` to the base latent.
    ``sample`` draws base latents from the model's own prior (pass ``model.latents``).
    """

    def __init__(self, decode, latent_dim, n_directions=4, seed=0, n_pca_samples=2000,
                 slider_range=3.0, sample=None):
        self.decode = decode
        self.latent_dim = _check_latent_dim(latent_dim)
        self.directions, self.explained = latent_directions(
            decode, self.latent_dim, n_directions, n_pca_samples, seed, sample=sample)
        self._rng = np.random.default_rng([seed, 1])
        self._draw = _prior(sample, self.latent_dim, decode)
        self.base = self._draw(self._rng, 1)[0]

        self.image = _image_view()
        controls = self._controls([f"PC{i + 1} ({ratio:.0%})" for i, ratio in
                                   enumerate(self.explained)], slider_range, "new base",
                                  self.new_base, "reset")
        self.widget = W.HBox([self.image, controls])
        self.update()

    def new_base(self):
        """Draw a new base latent, keeping the slider positions."""
        self.base = self._draw(self._rng, 1)[0]
        self.update()

    def _draw_latent(self, z):
        return viz.decode_batch(self.decode, z)


class TrainingMonitor(_Panel, keras.callbacks.Callback):
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
        self.loss_image = _image_view()
        self.image = _image_view()
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
                self.fixed_z = self._fixed_latents()
            self._show(viz.decode_batch(decode, self.fixed_z))

    def _fixed_latents(self):
        """Latents from the model's own prior (``model.latents``), else N(0, I) of its size."""
        if hasattr(self.model, "latents"):
            return self.model.latents(self.n_samples, seed=self.seed)
        latent_dim = getattr(self.model, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("TrainingMonitor: pass latent= (fixed latents) or train a "
                             "model with a latent_dim attribute")
        return _latents(np.random.default_rng(self.seed), self.n_samples, latent_dim)


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def __getattr__(name):
    # Lesson 05's class picker lives in its own module, which builds on the panels here.
    if name == "ClassPicker":
        from gan_course.class_picker import ClassPicker

        return ClassPicker
    raise AttributeError(f"module 'gan_course.widgets' has no attribute {name!r}")
