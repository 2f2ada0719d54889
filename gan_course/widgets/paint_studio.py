"""Whole pictures through an image-to-image model: round trips, a gallery, and a paint studio.

``translate(images, direction)`` is any function with the contract of ``Run.translate``:
pictures (H, W, 3) in [0, 1] of any size in, the same size out. :class:`PaintStudio` is the
lesson 07 panel that paints a student's own uploaded photo (or one of the course's photos, with
its credit) with a trained CycleGAN.
"""

import time

import ipywidgets as W
from matplotlib.figure import Figure

from gan_course import art, viz
from gan_course.widgets.common import Panel, gallery_image, image_view  # noqa: F401 (lesson 07)

DIRECTIONS = {"photo2painting": "painting2photo", "painting2photo": "photo2painting"}
COLUMNS = ("input", "translated", "round trip")


def directions_of(translate):
    """The directions a ``translate`` function's model goes (``Run.directions``; both if it does
    not say)."""
    return tuple(getattr(getattr(translate, "__self__", None), "directions", DIRECTIONS))


def round_trip(translate, image, direction="photo2painting"):
    """``(image, translated, translated back)`` for one picture, and the seconds the first
    translation took. A model that goes one way only (a shipped painter) has no way back: the
    third picture is None."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    began = time.perf_counter()
    there = translate(image, direction)
    seconds = time.perf_counter() - began
    ways = directions_of(translate)
    back = translate(there, DIRECTIONS[direction]) if DIRECTIONS[direction] in ways else None
    return (image, there, back), seconds


def show_gallery(rows, captions=(), title=None, columns=COLUMNS):
    """A figure with one row of pictures per entry of ``rows`` and a caption under each row
    (e.g. a photo's credit)."""
    fig = Figure(figsize=(12, 3.2 * len(rows) + (0.4 if title else 0)), layout="constrained")
    # One subfigure per row, so that a long caption spans its row instead of widening a column.
    for r, (subfig, row) in enumerate(zip(fig.subfigures(len(rows), 1, squeeze=False)[:, 0],
                                          rows)):
        for c, ax in enumerate(subfig.subplots(1, len(rows[0]), squeeze=False)[0]):
            ax.imshow(viz.as_image(row[c]))
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and c < len(columns):
                ax.set_title(columns[c])
        if r < len(captions) and captions[r]:
            subfig.supxlabel(captions[r], fontsize=8, x=0.01, ha="left")
    if title:
        fig.suptitle(title)
    return fig


class PaintStudio(Panel):
    """Paint an uploaded photo (or one of the course's) with a trained image-to-image model.

    ``translate`` follows ``Run.translate``, or is a dict ``{label: translate}`` of several
    painters (e.g. the student's run and a shipped one), offered in a drop-down; pictures are scaled to ``max_side`` pixels on their
    longer side (a slider changes it) before painting, since a CycleGAN paints best at about the
    scale it was trained on. Moving the slider or switching the direction paints the picture
    on display again. ``.paint_bytes(data)`` and ``.paint(name_or_array)`` do what the upload
    button and the picker do; ``.save(path)`` writes the input, painting and round trip side by
    side as a PNG.
    """

    def __init__(self, translate, max_side=256, direction="photo2painting", display_size=384):
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, "
                             f"got {direction!r}")
        painters = translate if isinstance(translate, dict) else {"painter": translate}
        if not painters or not all(callable(t) for t in painters.values()):
            raise ValueError("translate must be a function like Run.translate, or a dict "
                             "{label: such a function}")
        self.painters = dict(painters)
        self.painter = W.Dropdown(options=list(self.painters), description="painter")
        self.translate = self.painters[self.painter.value]
        self.display_size = int(display_size)
        self.pictures = None  # (input, translated, round trip) on display
        self._repaint = None  # paints the picture on display again (at the slider's size)

        self.upload = W.FileUpload(accept="image/*", multiple=False, description="your photo")
        names = art.art_names("photos") + art.art_names("paintings")
        self.picker = W.Dropdown(options=[("(pick a course picture)", "")]
                                 + [(n, n) for n in names], description="or")
        self.direction = W.ToggleButtons(options=list(DIRECTIONS), value=direction)
        self.size = W.IntSlider(value=int(max_side), min=64, max=768, step=32,
                                description="max side", continuous_update=False)
        self.status = W.HTML(value="Upload a photo or pick one of the course's.")
        self.image, self.result = image_view(), image_view()
        for view in (self.image, self.result):  # a large picture shrinks to half the row
            view.layout.max_width, view.layout.height = "50%", "auto"
            view.layout.object_fit = "contain"
        self.upload.observe(self._on_upload, names="value")
        self.picker.observe(lambda ch: ch["new"] and self.paint(ch["new"]), names="value")
        self.size.observe(self._paint_again, names="value")
        self.direction.observe(self._paint_again, names="value")
        self.painter.observe(self._choose_painter, names="value")
        choice = [self.painter] if len(self.painters) > 1 else []
        self.widget = W.VBox([W.HBox([self.upload, self.picker]),
                              W.HBox([*choice, self.direction, self.size]), self.status,
                              W.HBox([self.image, self.result])])

    def _on_upload(self, change):
        files = change["new"]
        if files:
            upload = files[0]
            self.paint_bytes(upload["content"], label=upload.get("name", "the uploaded file"))

    def _choose_painter(self, change=None):
        self.translate = self.painters[self.painter.value]
        ways = directions_of(self.translate)
        if self.direction.value not in ways:
            self.direction.value = ways[0]  # paints again through the observer
        else:
            self._paint_again()

    def _paint_again(self, change=None):
        if self._repaint is not None:
            self._repaint()

    def paint_bytes(self, data, label="the uploaded file"):
        """Paint an image file's bytes; a file that is not an image says so in the status line."""
        self._repaint = lambda: self.paint_bytes(data, label)
        try:
            image = art.image_from_bytes(data, max_side=self.size.value, label=label)
        except ValueError as err:
            self.status.value = f"<b>Cannot paint {label}</b>: {err}"
            return None
        return self._paint(image, label, credit="")

    def paint(self, source):
        """Paint a course picture by name, an image path, or an array (H, W, 3) in [0, 1]."""
        self._repaint = lambda: self.paint(source)
        image = art.load_image(source, self.size.value, what="picture")
        return self._paint(image, art.describe(source), art.credit(source)
                           if isinstance(source, str) else "")

    def _paint(self, image, label, credit):
        self.pictures, seconds = round_trip(self.translate, image, self.direction.value)
        self.current_image = viz.as_image(image)
        self.image.value = viz.png_bytes(self.current_image, self.display_size)
        self.result.value = viz.png_bytes(self.pictures[1], self.display_size)
        h, w = image.shape[:2]
        self.status.value = (f"{label}: {w} x {h} pixels painted in {seconds:.2f} s"
                             + (f"<br><small>{credit}</small>" if credit else ""))
        return self.pictures[1]

    def save(self, path):
        """Write the input, the painting and the round trip side by side to a PNG."""
        if self.pictures is None:
            raise ValueError("Nothing painted yet: upload a photo or pick one first.")
        return viz.save_image(gallery_image([[p for p in self.pictures if p is not None]]), path)
