"""The course's paintings and photos, and reading any image file a student brings.

49 public-domain paintings and 237 freely licensed photos ship inside the package, resized to at
most 512 pixels on their longer side (``assets/art/{paintings,photos}``, credited in
``assets/art/CREDITS.md``; ``python -m gan_course.art.package`` makes them). When
``$GAN_COURSE_DATA/art`` holds the full-resolution originals (the folder each catalogue entry
names), those are used instead. Anywhere a name works, a path to an
image file works too, and ``folder:PATH`` names a folder of images where a set is wanted.

Images come back as float32 (H, W, 3) arrays in [0, 1].
"""

import functools
import io
import json
import os
import re
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "art"
KINDS = ("paintings", "photos")
ORIGINALS = {"paintings": "famous_styles", "photos": "content_photos"}  # under $GAN_COURSE_DATA/art
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
FOLDER_PREFIX = "folder:"


class ImageFileError(ValueError):
    """A file that exists but is not an image Pillow can read."""


@functools.cache
def catalog():
    """``{kind: {name: entry}}`` from ``assets/art/catalog.json``: title, author, licence, source."""
    with open(ASSETS / "catalog.json", encoding="utf-8") as f:
        table = json.load(f)
    return {kind: table[kind] for kind in KINDS}


def art_names(kind="paintings"):
    """The names of the course's paintings (``kind="paintings"``) or photos (``"photos"``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return sorted(catalog()[kind])


def kind_of(name):
    """``"paintings"`` or ``"photos"`` for a catalogue name, else None."""
    return next((kind for kind in KINDS if name in catalog()[kind]), None)


def _originals_folder(kind, name):
    from gan_course.data import data_root

    root = data_root()
    folder = catalog()[kind][name].get("folder", ORIGINALS[kind])
    return root / "art" / folder if root else None


def art_path(name):
    """The file behind a catalogue name (the original when present) or an image path.

    Raises FileNotFoundError for a path that does not exist and ValueError, listing every valid
    name, for a name that is neither a catalogue entry nor a path.
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and kind_of(name) is None):
        path = Path(name).expanduser()
        if path.is_file():
            return path
        if path.is_dir():
            raise _folder_error(path)
        if isinstance(name, os.PathLike) or path.suffix or os.sep in str(name) or "/" in str(name):
            raise FileNotFoundError(f"Image file {path} not found.")
        raise ValueError(f"Unknown image {name!r}. Paintings: {', '.join(art_names('paintings'))}. "
                         f"Photos: {', '.join(art_names('photos'))}. Or give the path of an "
                         "image file.")
    if not isinstance(name, str):
        raise TypeError(f"expected an image name or a path, got {type(name).__name__}")
    kind = kind_of(name)
    originals = _originals_folder(kind, name)
    original = originals / catalog()[kind][name]["original"] if originals else None
    if original is not None and original.is_file():
        return original
    return ASSETS / kind / f"{name}.jpg"


def uses_original(name):
    """Whether ``name`` is read from the full-resolution original in ``$GAN_COURSE_DATA``."""
    return kind_of(name) is not None and not art_path(name).is_relative_to(ASSETS)


def _folder_error(path):
    return ImageFileError(f"{path} is a folder, not an image file; for a set of images "
                          f"write {FOLDER_PREFIX}{path}.")


def _open(source, label):
    """A Pillow image in RGB, upright per its EXIF orientation; clear errors for bad files."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(source) as img:
            img = ImageOps.exif_transpose(img)
            return _eight_bit(img).convert("RGB")
    except FileNotFoundError:
        raise FileNotFoundError(f"Image file {label} not found.") from None
    except Image.DecompressionBombError as err:
        raise ImageFileError(
            f"{label} is too large to read safely ({err}); expected an image of at most "
            f"{Image.MAX_IMAGE_PIXELS} pixels: shrink it first."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageFileError(
            f"{label} is not an image that can be read ({type(err).__name__}: {err}); expected "
            f"a JPEG, PNG, BMP or WebP file."
        ) from None


def _eight_bit(img):
    """A 16-bit, 32-bit integer or float greyscale image ("I;16", "I", "F") as 8-bit "L", its
    range scaled (Pillow's own conversion clips every value above 255 to white). Integers above
    255 are read as 16-bit (0..65535), floats up to 1 as [0, 1]; other modes are returned as
    they are."""
    if not (img.mode.startswith("I") or img.mode == "F"):
        return img
    from PIL import Image

    values = np.asarray(img, np.float64)
    top = float(values.max()) if values.size else 0.0
    if img.mode.startswith("I;16") or top > 255:
        values = values / 257.0
    elif img.mode == "F" and top <= 1.0:
        values = values * 255.0
    return Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), "L")


def _resized(img, max_side):
    if max_side and max(img.size) > max_side:
        from PIL import Image

        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.LANCZOS)
    return img


def _to_array(img):
    return np.asarray(img, dtype=np.float32) / 255.0


def read_image(path, max_side=None):
    """An image file as float32 (H, W, 3) in [0, 1], shrunk to ``max_side`` pixels if larger."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise _folder_error(path)
    return _to_array(_resized(_open(path, str(path)), max_side))


def image_from_bytes(data, max_side=None, label="the uploaded file"):
    """Image bytes (e.g. from an upload widget) as float32 (H, W, 3) in [0, 1]."""
    if not data:
        raise ImageFileError(f"{label} is empty; expected a JPEG, PNG, BMP or WebP file.")
    return _to_array(_resized(_open(io.BytesIO(bytes(data)), label), max_side))


def art_image(name, max_side=None):
    """A painting or photo by name (or an image path) as float32 (H, W, 3) in [0, 1].

    ``gc.art.art_image("van_gogh_starry_night_1889")``; ``max_side`` shrinks it to at most that
    many pixels on its longer side.
    """
    return read_image(art_path(name), max_side)


def credit(name):
    """A one-line credit for a catalogue image: title, author, licence; "" for other files."""
    kind = kind_of(name) if isinstance(name, str) else None
    if kind is None:
        return ""
    e = catalog()[kind][name]
    date = f" ({e['date']})" if e.get("date") else ""
    if kind == "paintings":
        return f"{e['title']}{date}, painting by {e['author']}; public domain; resized"
    licence = re.split(r"[;,(]", e["licence"])[0].strip()
    return f"{e['title']}{date}, photo by {e['author']}; {licence}; resized"


# --- sets of images -----------------------------------------------------------------------------

def folder_files(folder):
    """The image files of a folder, sorted; clear errors for a missing or empty folder."""
    from gan_course.data import DatasetNotFoundError

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DatasetNotFoundError(f"Image folder {folder} not found.")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetNotFoundError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    return files


def set_files(source):
    """The image files of a set: ``"paintings"``, ``"photos"``, ``"folder:PATH"``, or another
    folder ``$GAN_COURSE_DATA/art/<source>``. The course's sets use the originals when present."""
    from gan_course.data import DatasetNotFoundError, data_root

    if source.startswith(FOLDER_PREFIX):
        return folder_files(source[len(FOLDER_PREFIX):])
    if source in KINDS:
        return [art_path(name) for name in art_names(source)]
    root = data_root()
    path = root / "art" / source if root else None
    if path is None or not path.is_dir():
        raise DatasetNotFoundError(
            f"Image set {source!r} not found. The course's sets are {', '.join(KINDS)}; a folder "
            f"of your own is {FOLDER_PREFIX}PATH; other names are folders in $GAN_COURSE_DATA/art "
            f"(GAN_COURSE_DATA is {root or 'unset'})."
        )
    return folder_files(path)


def square_crop(image, size):
    """The centre square of a float image (H, W, 3), resized to ``size`` x ``size``."""
    from PIL import Image

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    u8 = np.round(image[top:top + side, left:left + side] * 255).astype(np.uint8)
    return _to_array(Image.fromarray(u8).resize((size, size), Image.LANCZOS))


def image_set(source, size=64):
    """Every image of a set (see :func:`set_files`) or of a list of files, centre-cropped square
    and resized to ``size``: float32 (N, size, size, 3) in [0, 1]."""
    files = source if isinstance(source, (list, tuple)) else set_files(source)
    return np.stack([square_crop(read_image(path, max_side=4 * size), size) for path in files])


def credits_markdown():
    """The text of ``assets/art/CREDITS.md``, generated from the catalogue."""
    lines = [
        "# Credits for the course's art images",
        "",
        "Generated from `catalog.json` by `gan_course.art.credits_markdown()`; edit that file, not "
        "this one.",
        "",
        "Every image here is a **resized** copy of the file named under *source*: scaled with "
        "Pillow (Lanczos) to 512 pixels on its longer side when it was larger, and saved as JPEG "
        "at quality 85. "
        "Nothing else was changed (no cropping, no colour changes). Each image keeps its own "
        "licence, stated below; the course's MIT licence does not apply to them. Images under "
        "CC BY-SA, GPL or LGPL are distributed under that same licence; the licence "
        "texts of GPL-2.0, GPL-3.0, LGPL-3.0 and Apache-2.0 are in `licenses/`.",
        "",
        "When `$GAN_COURSE_DATA/art/` holds the full-resolution originals (under *original file*, "
        "in `famous_styles/` and `content_photos/` unless another folder is named), the course "
        "uses those. `python -m gan_course.art.package` regenerates these copies, the catalogue "
        "entries of `more_paintings/` and `more_photos/` (from their `MANIFEST.tsv`) and this file.",
    ]
    for kind, heading in (("paintings", "Paintings (`paintings/`)"),
                          ("photos", "Photos (`photos/`)")):
        lines += ["", f"## {heading}"]
        for name in art_names(kind):
            e = catalog()[kind][name]
            lines += ["", f"### `{kind}/{name}.jpg`", "",
                      f"- title: {e['title']}",
                      f"- author: {e['author']}",
                      f"- date: {e.get('date', 'not given by the source')}",
                      f"- licence: {e['licence']}"
                      + (f" <{e['licence_url']}>" if "licence_url" in e else ""),
                      f"- source: {e['source']}",
                      f"- original file: `{e.get('folder', ORIGINALS[kind])}/{e['original']}`",
                      *([f"- school: {e['school']}"] if "school" in e else []),
                      *([f"- note: {e['note']}"] if "note" in e else []),
                      "- changes: resized"]
    return "\n".join(lines) + "\n"


# --- images for a network ------------------------------------------------------------------------

def load_image(source, max_side, min_side=1, what="image"):
    """A name, path or array as float32 (H, W, 3) in [0, 1], scaled to ``max_side`` pixels on
    its longer side; a ValueError if it is smaller than ``min_side`` on its shorter side."""
    if isinstance(source, np.ndarray) or hasattr(source, "numpy"):
        image = _checked_array(np.asarray(source, np.float32), what)
    else:
        image = art_image(source)
    h, w = image.shape[:2]
    if min(h, w) < min_side:
        label = source if isinstance(source, (str, os.PathLike)) else "(an array)"
        raise ValueError(f"{what} {label} is {w} x {h} pixels; it must be at least "
                         f"{min_side} x {min_side}.")
    return resize(image, max_side, min_side)


def _checked_array(x, what):
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError(f"{what}: expected an RGB image of shape (H, W, 3), got shape {x.shape}")
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError(f"{what}: expected values in [0, 1] (divide 8-bit images by 255)")
    return x


def resize(image, max_side, min_side=1):
    """A float image (H, W, 3) scaled so its longer side is ``max_side`` (Lanczos)."""
    from PIL import Image

    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if abs(scale - 1) < 1e-6:
        return image
    size = (max(min_side, round(w * scale)), max(min_side, round(h * scale)))
    u8 = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    return _to_array(u8.resize(size, Image.LANCZOS))


def describe(source):
    """How a name, path or array is named in reports."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return f"an array of shape {tuple(np.shape(source))}"
