"""``gan-course restore``: one picture of your own restored, written beside a short summary.

The restorer is a run of ``pix2pix`` (``--run RUN``) or, without one, the shipped restorer of the
task (``gc.pretrained("pix2pix/TASK")``); the command line loads it. Whole pictures of any size go through in tiles, so
memory stays bounded; an upscaled picture is 4x larger on each side. Nothing is overwritten
unless asked (``--force``), and never the input picture or its mask.
"""

import json
import time

from gan_course import viz
from gan_course.art import damage, images
from gan_course.art.style import output_paths


def read_mask(path, shape):
    """A mask image as booleans (H, W): white (above mid-grey) means missing. A ValueError when
    it does not cover a picture of ``shape`` (H, W) or marks nothing."""
    mask = images.read_image(path).mean(-1) > 0.5
    if mask.shape != tuple(shape):
        raise ValueError(f"the mask {path} is {mask.shape[1]} x {mask.shape[0]} pixels, the "
                         f"picture {shape[1]} x {shape[0]}: draw the mask at the picture's size "
                         f"(white = missing).")
    if not mask.any():
        raise ValueError(f"the mask {path} marks no pixel as missing: paint the holes white.")
    return mask


def check_restorer(run, task, where):
    """``run`` if it restores by ``task``; a ValueError naming what it is otherwise."""
    own = getattr(run.model, "task", None)
    if own != task:
        what = f"restores by {own}" if own else f"is a {run.name} run, not a restorer"
        raise ValueError(f"{where} {what}; asked for {task}. Pass a pix2pix run trained "
                         f"with --task {task}.")
    return run


def restore_file(picture, task, out, load_restorer, mask=None, force=False):
    """Restore the image file ``picture`` into ``out`` (.png) and a summary ``out``.json, with
    the run ``load_restorer()`` returns (called once the inputs are checked); returns
    ``(picture path, summary path, summary)``."""
    damage.check_task(task)
    if task == "inpaint" and mask is None:
        raise ValueError("inpainting needs --mask MASK.png: an image of the picture's size, "
                         "white where the picture is missing.")
    if task != "inpaint" and mask is not None:
        raise ValueError(f"--mask marks holes for inpainting; {task} takes none.")
    target, summary_path = output_paths(out, [s for s in (picture, mask) if s], overwrite=force)
    x = images.read_image(picture)
    holes = read_mask(mask, x.shape[:2]) if mask else None
    run = load_restorer()
    began = time.perf_counter()
    restored = run.translate(x, mask=holes) if holes is not None else run.translate(x)
    seconds = time.perf_counter() - began
    viz.save_image(restored, str(target))
    summary = {"task": task, "input": str(picture), "mask": None if mask is None else str(mask),
               "restorer": str(run.directory), "input_size": [x.shape[1], x.shape[0]],
               "output_size": [restored.shape[1], restored.shape[0]],
               "missing_pixels": None if holes is None else int(holes.sum()),
               "seconds": round(seconds, 2)}
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return target, summary_path, summary
