"""Neural style transfer (Gatys, Ecker & Bethge 2016): a photo painted in a painting's style.

An image's *content* is where its features are; its *style* is which features occur together,
wherever they are: the Gram matrix of a layer's activations. Starting from the photo, the pixels
are optimised so that the image's Gram matrices approach the painting's while its deep features
stay close to the photo's::

    loss = style_weight * style_loss + content_weight * content_loss + tv_weight * tv_loss

``transfer(content, style)`` does it in one call; :class:`StyleTransfer` keeps the optimisation
to run some steps at a time (the style studio does). Images are names of the course's paintings
and photos (``gc.art.art_names()``), paths of image files, or float arrays (H, W, 3) in [0, 1];
a style may also be ``folder:PATH``, whose images' Gram matrices are averaged.
"""

import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np

from gan_course import art
from gan_course.art import vgg

MIN_SIDE = 32  # pixels; block5 of the network sees a 32-pixel image as 2 x 2 positions

# Per profile. Measured on 2 CPU cores (benchmarks/style_transfer.py; benchmarks/RESULTS.md):
# Adam's small steps from the photo keep the photo's layout; L-BFGS lowers the style loss faster
# but, with the random features, goes on until the painting's own shapes replace the photo's.
SETTINGS = {
    "quick": dict(size=64, style_size=96, steps=12),
    "classroom": dict(size=224, style_size=384, steps=150),
    "full": dict(size=512, style_size=768, steps=400),
}
DEFAULTS = dict(
    style_layers=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"),
    layer_weights=(1.0, 1.0, 4.0, 8.0),
    content_layer="block4_conv2",
    style_weight=30.0,
    content_weight=1.0,
    tv_weight=30.0,  # measured against 0, 10 and 100 (RESULTS.md, "Neural style transfer")
    learning_rate=0.02,
    optimizer="adam",
)


def settings(profile=None):
    """Image sizes and step count for a profile, plus the shared defaults, as one dict."""
    from gan_course import config

    return {**DEFAULTS, **SETTINGS[config.profile(profile).name]}


# --- the four losses -----------------------------------------------------------------------------

def gram_matrix(features):
    """Gram matrix of activations (B, H, W, C) -> (B, C, C), or (H, W, C) -> (C, C).

    ``G[c, d] = sum over positions of F[., c] * F[., d] / (H * W)``: how strongly channels ``c`` and
    ``d`` fire together, on average over the positions, so images of any size compare.
    """
    import tensorflow as tf

    f = tf.convert_to_tensor(features, tf.float32)
    positions = tf.cast(tf.shape(f)[-3] * tf.shape(f)[-2], tf.float32)
    if f.shape.rank == 3:
        return tf.einsum("ijc,ijd->cd", f, f) / positions
    return tf.einsum("bijc,bijd->bcd", f, f) / positions


def content_loss(features, target):
    """Mean squared difference between an image's activations and the photo's."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.convert_to_tensor(features, tf.float32) - target))


def style_loss(features, target_grams, weights):
    """``sum over layers l of weights[l] * mean((gram(features[l]) - target_grams[l])**2)``.

    ``features``, ``target_grams`` and ``weights`` are dicts keyed by layer name (or sequences in
    the same order).
    """
    import tensorflow as tf

    keys = list(features) if isinstance(features, dict) else range(len(features))
    terms = [weights[k] * tf.reduce_mean(tf.square(gram_matrix(features[k]) - target_grams[k]))
             for k in keys]
    return tf.add_n(terms)


def total_variation_loss(image):
    """Mean squared difference between vertically and between horizontally neighbouring pixels.

    Small when the image is smooth; it penalises the pixel-level noise the optimisation creates.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(image, tf.float32)
    return (tf.reduce_mean(tf.square(x[..., 1:, :, :] - x[..., :-1, :, :]))
            + tf.reduce_mean(tf.square(x[..., :, 1:, :] - x[..., :, :-1, :])))


# --- images in -----------------------------------------------------------------------------------

def load(source, max_side, what="image"):
    """A name, path or array as a batch (1, H, W, 3) in [0, 1], at most ``max_side`` pixels."""
    return art.load_image(source, max_side, MIN_SIDE, what)[None]


def style_images(style, max_side):
    """The style image(s) as a list of batches (1, H, W, 3): one, or each image of a folder."""
    if isinstance(style, str) and style.startswith(art.FOLDER_PREFIX):
        return [load(path, max_side, "style image") for path in art.set_files(style)]
    return [load(style, max_side, "style image")]


# --- the optimisation -----------------------------------------------------------------------------

def check_weights(s):
    """A clear ValueError unless every loss weight in the settings ``s`` is a finite number
    >= 0: a negative weight would make the transfer maximise its loss."""
    named = {k: s[k] for k in ("style_weight", "content_weight", "tv_weight")}
    named.update({f"layer_weights[{i}]": w for i, w in enumerate(s["layer_weights"])})
    for name, value in named.items():
        try:
            ok = np.isfinite(float(value)) and float(value) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{name} must be a finite number >= 0 (how much that loss counts; "
                             f"a negative weight would push the picture away from it), got "
                             f"{value!r}")


class StyleTransfer:
    """One style transfer in progress: ``.run(steps)`` continues it, ``.image`` is the picture.

    Settings default to the profile's (:func:`settings`). Each style layer's weight is divided by
    the mean square of the painting's Gram matrix at that layer, and the content loss by the mean
    square of the photo's features, so each term starts near the same size whichever features
    are used (ImageNet and random features differ in scale a thousandfold). ``history`` holds the
    weighted-by-layer (not by ``style_weight``) losses per step.
    """

    def __init__(self, content, style, *, features="auto", profile=None, seed=0, verbose=1,
                 **overrides):
        unknown = set(overrides) - set(settings("quick"))
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; valid: "
                            f"{sorted(settings('quick'))}")
        self.settings = {**settings(profile), **overrides}
        s = self.settings
        check_weights(s)
        if s["size"] < MIN_SIDE or s["style_size"] < MIN_SIDE:
            raise ValueError(f"size and style_size must be at least {MIN_SIDE} pixels")
        if len(s["layer_weights"]) != len(s["style_layers"]):
            raise ValueError(f"{len(s['style_layers'])} style layers but "
                             f"{len(s['layer_weights'])} layer weights")
        if s["optimizer"] not in ("adam", "lbfgs"):
            raise ValueError(f"optimizer must be 'adam' or 'lbfgs', got {s['optimizer']!r}")
        self.content_name, self.style_name = art.describe(content), art.describe(style)
        self.verbose = verbose
        content_image = load(content, s["size"], "content image")
        styles = style_images(style, s["style_size"])
        layers = vgg.check_layers([*s["style_layers"], s["content_layer"]])
        self.net = vgg.feature_net(layers, features, seed=seed, verbose=verbose > 0)
        self.features = self.net.description
        self._prepare_targets(content_image, styles)
        self._build(content_image)
        self.history = {"step": [], "style": [], "content": [], "tv": [], "total": []}
        self.seconds, self.evaluations = 0.0, 0  # evaluations of the loss and its gradient

    def _prepare_targets(self, content_image, styles):
        import tensorflow as tf

        s = self.settings
        grams = {layer: [] for layer in s["style_layers"]}
        for image in styles:
            found = self.net(image)
            for layer in grams:
                grams[layer].append(gram_matrix(found[layer]))
        self.target_grams = {k: tf.reduce_mean(tf.stack(v), axis=0) for k, v in grams.items()}
        self.layer_weights = {
            k: float(w) / max(float(tf.reduce_mean(tf.square(self.target_grams[k]))), 1e-30)
            for k, w in zip(s["style_layers"], s["layer_weights"])}
        self.target_content = self.net(content_image)[s["content_layer"]]
        self.content_scale = 1.0 / max(float(tf.reduce_mean(tf.square(self.target_content))),
                                       1e-30)

    def losses(self, image):
        """``{"style", "content", "tv", "total"}`` of an image batch (1, H, W, 3), as tensors."""
        s = self.settings
        found = self.net(image)
        style = style_loss({k: found[k] for k in s["style_layers"]}, self.target_grams,
                           self.layer_weights)
        content = self.content_scale * content_loss(found[s["content_layer"]],
                                                    self.target_content)
        tv = total_variation_loss(image)
        total = s["style_weight"] * style + s["content_weight"] * content + s["tv_weight"] * tv
        return {"style": style, "content": content, "tv": tv, "total": total}

    def _build(self, content_image):
        import keras
        import tensorflow as tf

        self.variable = tf.Variable(content_image, dtype=tf.float32, name="image")
        self.optimizer = keras.optimizers.Adam(self.settings["learning_rate"])

        @_compiled
        def adam_step():
            """One Adam step on the pixels; returns the losses of the image it started from."""
            with tf.GradientTape() as tape:
                losses = self.losses(self.variable)
            gradient = tape.gradient(losses["total"], self.variable)
            self.optimizer.apply_gradients([(gradient, self.variable)])
            self.variable.assign(tf.clip_by_value(self.variable, 0.0, 1.0))
            return losses

        @_compiled
        def losses_and_gradient(image):
            with tf.GradientTape() as tape:
                tape.watch(image)
                losses = self.losses(image)
            return losses, tape.gradient(losses["total"], image)

        self._adam_step, self._losses_and_gradient = adam_step, losses_and_gradient
        self._current_losses = _compiled(lambda: self.losses(self.variable))

    @property
    def image(self):
        """The picture so far: float32 (H, W, 3) in [0, 1]."""
        return np.clip(self.variable.numpy()[0], 0.0, 1.0)

    @property
    def steps_done(self):
        return self.history["step"][-1] if self.history["step"] else 0

    def _record(self, step, losses):
        """Losses of the image after ``step`` steps (step 0: the starting image)."""
        self.history["step"].append(int(step))
        for key in ("style", "content", "tv", "total"):
            self.history[key].append(float(losses[key]))

    def run(self, steps=None, callback=None, every=10):
        """Optimise ``steps`` more steps (default: the profile's); ``callback(self)`` runs every
        ``every`` steps and at the end. Returns ``self``.

        ``history`` holds the losses of the image after each step, from step 0 (the photo).
        """
        import keras

        steps = int(self.settings["steps"] if steps is None else steps)
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        bar = (keras.utils.Progbar(steps, unit_name="step", stateful_metrics=["style", "content"])
               if self.verbose else None)
        start, first = time.perf_counter(), self.steps_done
        if not self.history["step"]:
            self._record(0, self._current_losses())
        if self.settings["optimizer"] == "lbfgs":
            self._run_lbfgs(first, steps, bar, callback, every)
        else:
            for i in range(1, steps + 1):
                losses = self._adam_step()  # the losses of the image after step i - 1
                if first + i - 1 > self.steps_done:
                    self._record(first + i - 1, losses)
                if i == steps or (callback is not None and i % every == 0):
                    self._record(first + i, self._current_losses())
                self.evaluations += 1
                self._report(i, steps, bar, callback, every)
        self.seconds += time.perf_counter() - start
        return self

    def _report(self, done, steps, bar, callback, every):
        if bar is not None:
            bar.update(done, [("style", self.history["style"][-1]),
                              ("content", self.history["content"][-1])], finalize=done == steps)
        if callback is not None and (done % every == 0 or done == steps):
            callback(self)

    def _run_lbfgs(self, first, steps, bar, callback, every):
        """L-BFGS-B from SciPy (pixels bounded to [0, 1]); each function evaluation is one call of
        the compiled loss and gradient. A step is one L-BFGS iteration, which usually costs one
        evaluation (a few more when its line search backtracks)."""
        import scipy.optimize
        import tensorflow as tf

        shape = tuple(self.variable.shape)
        last = {}

        def fun(flat):
            losses, gradient = self._losses_and_gradient(
                tf.constant(flat.reshape(shape), tf.float32))
            last.update(x=flat.copy(), losses=losses)
            return float(losses["total"]), gradient.numpy().ravel().astype(np.float64)

        def after_iteration(flat):
            self.variable.assign(flat.reshape(shape).astype(np.float32))
            same = "x" in last and np.array_equal(last["x"], flat)
            done = self.steps_done + 1 - first
            self._record(first + done, last["losses"] if same else self._current_losses())
            self._report(done, steps, bar, callback, every)

        result = scipy.optimize.minimize(
            fun, self.variable.numpy().ravel().astype(np.float64), jac=True, method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 1.0), callback=after_iteration,
            options={"maxiter": steps, "maxfun": 2 * steps, "gtol": 0.0, "ftol": 0.0})
        self.variable.assign(result.x.reshape(shape).astype(np.float32))
        self.evaluations += int(result.nfev)

    def result(self):
        """A :class:`StyleResult` of the picture so far."""
        return StyleResult(self.image, {k: list(v) for k, v in self.history.items()},
                           self.features, self.net.kind, self.seconds, self.content_name,
                           self.style_name, dict(self.settings), self.evaluations)


def _compiled(fn):
    """``tf.function(fn)``. Every transfer compiles its own steps, for its own images and
    features; TensorFlow would count those as wasteful retracing of one function and warn, so the
    warning is switched off for these functions."""
    import tensorflow as tf

    compiled = tf.function(fn)
    compiled._omit_frequent_tracing_warning = True  # read by TensorFlow's retracing detector
    return compiled


@dataclasses.dataclass
class StyleResult:
    """A finished picture and how it was made."""

    image: np.ndarray  # float32 (H, W, 3) in [0, 1]
    history: dict  # step, style, content, tv, total: one value per step
    features: str  # which features made it, e.g. "VGG19 with ImageNet weights"
    feature_kind: str  # "vgg19" or "random"
    seconds: float
    content: str
    style: str
    settings: dict
    evaluations: int = 0  # of the loss and its gradient

    @property
    def steps(self):
        return self.history["step"][-1]

    def summary(self):
        """What the JSON file beside a saved picture holds."""
        h = self.history
        return {
            "content": self.content, "style": self.style, "features": self.features,
            "feature_kind": self.feature_kind, "steps": self.steps,
            "seconds": round(self.seconds, 2), "evaluations": self.evaluations,
            "style_loss_first": h["style"][0], "style_loss_last": h["style"][-1],
            "content_loss_first": h["content"][0], "content_loss_last": h["content"][-1],
            "style_loss_ratio": h["style"][-1] / h["style"][0] if h["style"][0] else None,
            "image_size": list(self.image.shape[:2]),
            "settings": {k: list(v) if isinstance(v, tuple) else v
                         for k, v in self.settings.items()},
        }

    def save(self, path, overwrite=True):
        """Write the picture as PNG at ``path`` and its summary as JSON beside it; returns both.
        Never over the content or style images (see :func:`output_paths`)."""
        from gan_course import viz

        path, summary = output_paths(path, (self.content, self.style), overwrite)
        path.parent.mkdir(parents=True, exist_ok=True)
        viz.save_image(self.image, str(path))
        summary.write_text(json.dumps(self.summary(), indent=2) + "\n")
        return path, summary


def output_paths(out, sources=(), overwrite=False):
    """``(picture, summary)``: ``out`` (a .png) and the .json beside it, checked before any work.

    A ValueError when ``out`` does not end in .png, when either file is one of the ``sources``
    (names, paths or ``folder:PATH`` of the content and style images) or when a folder on the
    way is a file; a FileExistsError when either exists, unless ``overwrite``."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".png":
        raise ValueError(f"the picture is saved as PNG: give a path ending in .png, got {out}")
    summary = out.with_suffix(".json")
    inputs = {p.resolve() for source in sources for p in _files_of(source)}
    for path in (out, summary):
        if path.resolve() in inputs:
            raise ValueError(f"{path} is one of the input images; writing there would replace "
                             f"it: choose another output path")
    folder = next(p for p in out.parents if p.exists() or p == p.parent)
    if not folder.is_dir():
        raise ValueError(f"cannot write {out}: {folder} is a file, expected a folder")
    there = [str(p) for p in (out, summary) if p.exists()]
    if there and not overwrite:
        raise FileExistsError(f"{' and '.join(there)} already exist(s); choose another output "
                              f"path, or pass --force (overwrite=True) to replace it")
    return out, summary


def _files_of(source):
    """The image files a content or style source reads ([] for arrays and unknown names)."""
    if isinstance(source, str) and source.startswith(art.FOLDER_PREFIX):
        folder = Path(source[len(art.FOLDER_PREFIX):]).expanduser()
        return list(folder.iterdir()) if folder.is_dir() else []
    if isinstance(source, (str, os.PathLike)):
        try:
            return [art.art_path(source)]
        except (ValueError, FileNotFoundError):
            return []
    return []


def transfer(content, style, steps=None, *, features="auto", profile=None, seed=0, verbose=1,
             callback=None, every=10, **overrides):
    """Paint ``content`` in the style of ``style``; returns a :class:`StyleResult`.

    ``gc.style.transfer("mount_rainier", "van_gogh_starry_night_1889")``. Keyword settings
    (``style_weight``, ``size``, ``style_layers``, ...) override the profile's; ``features`` is
    ``"auto"`` (VGG19 when its ImageNet weights can be had, else random), ``"vgg19"`` or
    ``"random"``.
    """
    job = StyleTransfer(content, style, features=features, profile=profile, seed=seed,
                        verbose=verbose, **overrides)
    return job.run(steps, callback=callback, every=every).result()


def edge_similarity(a, b, blur=2.0):
    """How well two images' edges line up: the correlation (-1..1) of their luminance gradient
    magnitudes, after ``b`` is resized to ``a``'s height and width and both are blurred by a
    Gaussian of ``blur`` pixels (so brush texture counts less than the layout's edges). A stylised picture that keeps
    the photo's layout scores well above the painting itself."""
    from PIL import Image
    from scipy import ndimage

    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if b.shape != a.shape:
        u8 = Image.fromarray(np.round(np.clip(b, 0, 1) * 255).astype(np.uint8))
        b = np.asarray(u8.resize(a.shape[1::-1], Image.LANCZOS), np.float32) / 255.0

    def edges(x):
        lum = ndimage.gaussian_filter(x @ np.float32([0.299, 0.587, 0.114]), blur)
        return np.hypot(ndimage.sobel(lum, 0), ndimage.sobel(lum, 1)).ravel()

    return float(np.corrcoef(edges(a), edges(b))[0, 1])
