"""Lesson 09's restoration studio: damage a picture, restore it with each model, compare.

``restorers`` is ``{task: {label: translate}}``, each ``translate`` with the contract of
``Run.translate`` for a restorer (a damaged picture in [0, 1], and for inpainting ``mask=``, in;
the restored picture out). The studio shows the damaged picture, the baseline that learns
nothing (the surrounding colour, the noisy picture, bicubic enlargement), each restorer's
picture and the original side by side, with PSNR, SSIM and detail under each.
"""

import ipywidgets as W
import numpy as np

from gan_course import art, viz
from gan_course.art import damage
from gan_course.models import pix2pix_quality
from gan_course.widgets.common import Panel, gallery_image, image_view

BASELINES = {"inpaint": "surrounding colour", "denoise": "noisy input", "upscale": "bicubic"}


def restorations(picture, task, restorers, strength=0.5, seed=0):
    """``(columns, numbers)`` for one picture ([0, 1], sides cut to multiples of 4): ``columns``
    maps a label to a picture of the original's size (damaged, baseline, each restorer's,
    original), ``numbers`` a label to its measures against the original."""
    h, w = (s // damage.FACTOR * damage.FACTOR for s in np.shape(picture)[:2])
    original = np.asarray(picture, np.float32)[:h, :w]
    damaged, mask = damage.damaged_picture(original, task, strength, seed)
    if task == "inpaint":
        shown = damaged
        baseline = np.asarray(damage.surrounding_fill(damaged, mask[..., None]), np.float32)
    elif task == "denoise":
        shown, baseline = damaged, damaged
    else:
        baseline = np.asarray(damage.enlarged(damaged, (h, w)), np.float32)
        shown = np.repeat(np.repeat(damaged, damage.FACTOR, 0), damage.FACTOR, 1)  # its pixels
    columns = {"damaged": shown, BASELINES[task]: baseline}
    for label, translate in restorers.items():
        columns[label] = translate(damaged, mask=mask) if mask is not None else translate(damaged)
    columns["original"] = original
    masks = None if mask is None else mask[None]
    numbers = {label: pix2pix_quality.measures(p[None], original[None], masks)
               for label, p in columns.items() if label not in ("damaged", "original")}
    return columns, numbers


def numbers_table(numbers):
    """The measures as an HTML table, one row per picture."""
    keys = [k for k in ("psnr", "ssim", "detail", "texture_error", "hole_error")
            if k in next(iter(numbers.values()))]
    head = "".join(f"<th style='padding:0 8px'>{k.replace('_', ' ')}</th>" for k in keys)
    rows = "".join(f"<tr><td>{label}</td>" + "".join(
        f"<td style='text-align:right;padding:0 8px'>{values[k]:.3f}</td>" for k in keys)
        + "</tr>" for label, values in numbers.items())
    return f"<table><tr><th></th>{head}</tr>{rows}</table>"


class RestoreStudio(Panel):
    """Pick a picture, a damage and its strength: see it damaged, restored by every model and
    the baseline, and the original, with the numbers. ``.show(name_or_array)`` does what the
    picker does; ``.save(path)`` writes the row on display as a PNG."""

    def __init__(self, restorers, pictures, max_side=256, display_height=192):
        restorers = {task: dict(models) for task, models in dict(restorers).items() if models}
        if not restorers or any(damage.check_task(t) is None for t in restorers):
            raise ValueError("restorers must be {task: {label: translate}} for at least one of "
                             f"{', '.join(damage.TASKS)}")
        self.restorers, self.max_side = restorers, int(max_side)
        self.display_height = int(display_height)
        self.columns = self.numbers = None
        self.picker = W.Dropdown(options=list(pictures), description="picture")
        self.task = W.ToggleButtons(options=list(restorers), description="damage")
        self.strength = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05,
                                      description="strength", continuous_update=False)
        self.seed = W.IntText(value=0, description="seed", layout=W.Layout(width="140px"))
        self.status, self.table, self.image = W.HTML(), W.HTML(), image_view()
        for control in (self.picker, self.task, self.strength, self.seed):
            control.observe(lambda change: self.show(self.picker.value), names="value")
        self.widget = W.VBox([W.HBox([self.picker, self.task]),
                              W.HBox([self.strength, self.seed]), self.status, self.image,
                              self.table])

    def show(self, source):
        """Damage and restore a course picture by name, or an array (H, W, 3) in [0, 1]."""
        picture = art.load_image(source, self.max_side, min_side=16, what="picture")
        task = self.task.value
        self.columns, self.numbers = restorations(picture, task, self.restorers[task],
                                                  self.strength.value, self.seed.value)
        self._show(gallery_image([list(self.columns.values())], height=self.display_height))
        labels = " | ".join(self.columns)
        self.status.value = (f"{art.describe(source)}, {task} at strength "
                             f"{self.strength.value:.2f}: {labels}")
        self.table.value = numbers_table(self.numbers)
        return self.columns

    def _show(self, image, image_widget=None):
        self.current_image = viz.as_image(image)
        self.image.value = viz.png_bytes(self.current_image)

    def save(self, path):
        """Write the pictures on display side by side to a PNG."""
        if self.columns is None:
            raise ValueError("Nothing restored yet: pick a picture first.")
        return viz.save_image(gallery_image([list(self.columns.values())]), path)
