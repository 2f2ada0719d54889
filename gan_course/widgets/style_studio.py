"""The style studio: paint a photo in a painting's style from a notebook panel (ipywidgets 8).

Choose one of the course's photos and paintings, or upload your own images, set the style
weight, and press **paint**: the picture and its loss curves are redrawn as the optimisation
runs. Pressing paint again with the same choices continues the same picture; changing a choice
starts a new one. **save to gallery** writes the picture as PNG (and its summary as JSON) into a
folder that :func:`gallery` shows.
"""

import re
from pathlib import Path

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from gan_course import art, viz
from gan_course.art import style

DISPLAY_SIZE = 256  # pixels on the longer side: smaller pictures are shown enlarged
UPLOADED = "uploaded: "
STYLE_WEIGHTS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # the slider's stops


class StyleStudio:
    """``StyleStudio()``; a notebook cell ending with the object shows the panel."""

    def __init__(self, photo="mount_rainier", painting="van_gogh_starry_night_1889",
                 style_weight=None, steps=None, every=None, features="auto", profile=None,
                 gallery_dir="style_gallery"):
        cfg = style.settings(profile)
        self.profile, self.features = profile, features
        self.gallery_dir = Path(gallery_dir)
        self.uploads = {}  # label -> float image (H, W, 3)
        self.job = None
        self._job_key = None
        self.current_image = None

        self.photo = W.Dropdown(options=art.art_names("photos"), value=photo, description="photo")
        self.painting = W.Dropdown(options=art.art_names("paintings"), value=painting,
                                   description="painting")
        self.photo_upload = W.FileUpload(accept="image/*", description="your photo")
        self.painting_upload = W.FileUpload(accept="image/*", description="your painting")
        # Set values, not a log slider: the browser would round 30 to 10 ** 1.5 = 31.6 on its
        # grid, and that changed value would start a new picture.
        weight = float(style_weight or cfg["style_weight"])
        self.style_weight = W.SelectionSlider(
            options=sorted({*STYLE_WEIGHTS, weight}), value=weight, description="style weight")
        self.steps = W.IntSlider(value=steps or max(1, cfg["steps"] // 4), min=1,
                                 max=max(10, cfg["steps"]), description="steps/click")
        self.every = int(every or max(1, self.steps.value // 5))
        self.paint_button = W.Button(description="paint", button_style="primary", icon="paint-brush")
        self.save_button = W.Button(description="save to gallery", icon="save")
        self.status = W.HTML("choose a photo and a painting, then press <b>paint</b>")
        self.credits = W.HTML()
        # A box stretches its children by default; the pictures keep their own shape.
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))
        self.loss_image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))

        self.photo_upload.observe(lambda change: self._upload(change, self.photo), "value")
        self.painting_upload.observe(lambda change: self._upload(change, self.painting), "value")
        self.photo.observe(lambda change: self._show_choices(), "value")
        self.painting.observe(lambda change: self._show_choices(), "value")
        self.style_weight.observe(lambda change: self._show_choices(), "value")
        self.paint_button.on_click(lambda button: self.paint())
        self.save_button.on_click(lambda button: self.save())
        self.widget = W.VBox([
            W.HBox([self.photo, self.photo_upload]),
            W.HBox([self.painting, self.painting_upload]),
            W.HBox([self.style_weight, self.steps]),
            W.HBox([self.paint_button, self.save_button]),
            self.status, W.HBox([self.image, self.loss_image]), self.credits])
        self._show_choices()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # --- choices ---------------------------------------------------------------------------------

    def source(self, dropdown):
        """What a dropdown names: a course image's name, or an uploaded image array."""
        return self.uploads.get(dropdown.value, dropdown.value)

    def _upload(self, change, dropdown):
        files = change["new"]
        if not files:
            return
        item = files[-1]
        name = item["name"] if isinstance(item, dict) else item.name
        content = item["content"] if isinstance(item, dict) else item.content
        try:
            image = art.image_from_bytes(content, max_side=1024, label=name)
            art.load_image(image, 64, style.MIN_SIDE, what=name)
        except ValueError as err:
            self.status.value = f"<b>could not use {name}</b>: {err}"
            return
        label = UPLOADED + name
        self.uploads[label] = image
        dropdown.options = [*[o for o in dropdown.options if o != label], label]
        dropdown.value = label
        self.status.value = f"uploaded {name} ({image.shape[1]} x {image.shape[0]} pixels)"

    def add_upload(self, dropdown, name, data):
        """Add image bytes as if uploaded through ``dropdown``'s upload button (for tests)."""
        self._upload({"new": ({"name": name, "content": memoryview(data)},)}, dropdown)

    def _show_choices(self):
        """Show the chosen photo and painting side by side with their credits (after any change
        of choice: the next **paint** starts a new picture from the photo)."""
        photo, painting = (self._preview(self.source(d)) for d in (self.photo, self.painting))
        h = min(photo.shape[0], painting.shape[0])
        photo, painting = _at_height(photo, h), _at_height(painting, h)
        h = min(photo.shape[0], painting.shape[0])  # rounding may leave one a pixel short
        row = np.concatenate([photo[:h], np.ones((h, 4, 3), np.float32), painting[:h]], axis=1)
        self._show(row)
        if self.job is not None:
            self.status.value = ("a new choice: <b>paint</b> starts a new picture from the photo "
                                 "(<b>save to gallery</b> still keeps the last one)")
        self.credits.value = "<br>".join(
            f"<small>{c}</small>" for c in (art.credit(self.photo.value),
                                            art.credit(self.painting.value)) if c)

    @staticmethod
    def _preview(source):
        image = source if isinstance(source, np.ndarray) else art.art_image(source, max_side=256)
        return art.resize(image, 192)

    def _show(self, image):
        self.current_image = viz.as_image(image)
        self.image.value = viz.png_bytes(self.current_image, DISPLAY_SIZE)

    # --- painting --------------------------------------------------------------------------------

    def _key(self):
        return (self.photo.value, self.painting.value, float(self.style_weight.value))

    def paint(self, steps=None):
        """Run ``steps`` (default: the slider's) more steps, redrawing as they go."""
        if self.job is None or self._key() != self._job_key:
            self.status.value = "preparing the features..."
            try:
                self.job = style.StyleTransfer(
                    self.source(self.photo), self.source(self.painting), features=self.features,
                    profile=self.profile, verbose=0, style_weight=float(self.style_weight.value))
            except (ValueError, FileNotFoundError, RuntimeError) as err:
                self.status.value = f"<b>cannot paint</b>: {err}"
                return None
            self._job_key = self._key()
        self.paint_button.disabled = True
        try:
            self.job.run(steps or self.steps.value, callback=self._redraw, every=self.every)
        finally:
            self.paint_button.disabled = False
        return self.job.result()

    def _redraw(self, job):
        h = job.history
        self.status.value = (f"<b>step {job.steps_done}</b> &nbsp; style loss {h['style'][-1]:.4g}"
                             f" (started at {h['style'][0]:.4g}) &nbsp; content loss "
                             f"{h['content'][-1]:.4g} &nbsp; {job.seconds:.0f} s; "
                             f"features: {job.features}")
        self._show(job.image)
        self.loss_image.value = viz.figure_png(loss_figure(h))

    def save(self):
        """Save the current picture into the gallery folder; returns the PNG's path."""
        if self.job is None or not self.job.steps_done:
            self.status.value = "press <b>paint</b> first: there is no picture to save yet"
            return None
        photo, painting, style_weight = self._job_key  # the choices the picture was made with
        path = self.gallery_dir / (f"{_slug(photo)}__{_slug(painting)}__sw{style_weight:g}__"
                                   f"{self.job.steps_done}steps.png")
        self.job.result().save(path)
        self.status.value = f"saved {path}"
        return path


def _at_height(image, height):
    """``image`` scaled to ``height`` pixels high (``art.resize`` takes the longer side, which
    is the height of a portrait-format picture and the width of a landscape one)."""
    h, w = image.shape[:2]
    return art.resize(image, max(1, round(max(h, w) * height / h)))


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text).removeprefix(UPLOADED)).strip("_")


def loss_figure(history, title=None):
    """The style and content losses against the step, on a log scale."""
    fig = Figure(figsize=(4.2, 2.8), layout="constrained")
    ax = fig.add_subplot()
    for key in ("style", "content"):
        values = np.asarray(history[key], np.float64)
        ok = values > 0
        ax.semilogy(np.asarray(history["step"])[ok], values[ok], label=f"{key} loss")
    ax.set_xlabel("step")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def gallery(folder="style_gallery", ncols=3):
    """A figure of every PNG in ``folder``, captioned from the JSON summaries beside them."""
    import json

    files = sorted(Path(folder).glob("*.png"))
    if not files:
        raise FileNotFoundError(f"No pictures in {folder} yet: save some from the studio or "
                                "with result.save(...).")
    ncols = min(ncols, len(files))
    nrows = -(-len(files) // ncols)
    fig = Figure(figsize=(4 * ncols, 3.3 * nrows), layout="constrained")
    for ax, path in zip(fig.subplots(nrows, ncols, squeeze=False).ravel(), files):
        ax.imshow(art.read_image(path))
        summary = path.with_suffix(".json")
        caption = path.stem
        if summary.is_file():
            s = json.loads(summary.read_text())
            caption = (f"{Path(s['content']).stem} in the style of\n{Path(s['style']).stem}\n"
                       f"{s['steps']} steps, {s['feature_kind']} features")
        ax.set_title(caption, fontsize=8)
    for ax in fig.axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in fig.axes[len(files):]:
        ax.axis("off")
    return fig
