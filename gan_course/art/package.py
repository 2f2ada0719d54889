"""Regenerate the packaged art images, ``catalog.json`` and ``CREDITS.md`` from the originals.

``python -m gan_course.art.package`` reads ``$GAN_COURSE_DATA/art``: the hand-catalogued
``famous_styles/`` and ``content_photos/`` (their entries in ``catalog.json`` are kept as written)
and ``more_paintings/`` and ``more_photos/``, whose entries are generated from each folder's
``MANIFEST.tsv``. Every image is written again, scaled (Lanczos) to :data:`SIDE` pixels on its
longer side (never enlarged) and saved as JPEG at quality :data:`QUALITY`, so the package is a
pure function of the originals and this file.
"""

import csv
import json
import re
import sys

from gan_course.art import images

SIDE = 512
QUALITY = 85
# Folders of $GAN_COURSE_DATA/art whose MANIFEST.tsv describes each file: kind per folder.
MANIFEST_FOLDERS = {"more_paintings": "paintings", "more_photos": "photos"}
# A painting's school, from its author: the painters lesson 07 trains one CycleGAN per.
SCHOOLS = {"van_gogh": ("van gogh",), "morisot": ("morisot",),
           "ukiyo_e": ("hokusai", "hiroshige", "hashiguchi")}
LICENCE_URLS = {
    "CC-BY-2.0": "https://creativecommons.org/licenses/by/2.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def school_of(author):
    """``"van_gogh"``, ``"morisot"``, ``"ukiyo_e"`` or None for a painting's author."""
    low = author.lower()
    return next((school for school, names in SCHOOLS.items()
                 if any(name in low for name in names)), None)


def name_of(file_name):
    """A catalogue name from a manifest's file name: lower case, words joined by ``_``."""
    stem = file_name.rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")


def manifest_entries(root, folder, kind):
    """``{name: entry}`` for the files of ``root/folder/MANIFEST.tsv``."""
    entries = {}
    with open(root / folder / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            licence = row["licence"].strip()
            entry = {"title": row.get("title") or row.get("shows") or name_of(row["file"]),
                     "author": row.get("artist") or row.get("author"),
                     "licence": licence,
                     "source": f"{row['source_package']} : {row['original_path']}",
                     "original": row["file"], "folder": folder}
            if row.get("year"):
                entry["date"] = row["year"]
            url = next((u for key, u in LICENCE_URLS.items() if licence.startswith(key)), None)
            if url:
                entry["licence_url"] = url
            if row.get("notes"):
                entry["note"] = row["notes"]
            entries[name_of(row["file"])] = entry
    return entries


def build_catalog(root):
    """The catalogue: the hand-written entries kept, the manifests' added, schools set."""
    with open(images.ASSETS / "catalog.json", encoding="utf-8") as f:
        table = json.load(f)
    for kind in images.KINDS:
        table[kind] = {name: e for name, e in table[kind].items()
                       if e.get("folder", images.ORIGINALS[kind]) == images.ORIGINALS[kind]}
    for folder, kind in MANIFEST_FOLDERS.items():
        added = manifest_entries(root, folder, kind)
        clash = sorted(set(added) & set(table[kind]))
        if clash:
            raise ValueError(f"{folder}/MANIFEST.tsv names {clash[0]!r}, already a catalogue "
                             f"name; rename the file.")
        table[kind].update(added)
    for entry in table["paintings"].values():
        entry.pop("school", None)
        school = school_of(entry["author"])
        if school:
            entry["school"] = school
    return {key: dict(sorted(value.items())) if key in images.KINDS else value
            for key, value in table.items()}


def write_image(source, target):
    from PIL import Image, ImageOps

    with Image.open(source) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
    if max(img.size) > SIDE:
        scale = SIDE / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.LANCZOS)
    img.save(target, "JPEG", quality=QUALITY, optimize=True)


def main():
    from gan_course.data import data_root

    root = data_root()
    if root is None or not (root / "art").is_dir():
        sys.exit("GAN_COURSE_DATA must name a folder holding art/ with the original images "
                 f"(it is {root or 'unset'}).")
    table = build_catalog(root / "art")
    for kind in images.KINDS:
        folder = images.ASSETS / kind
        keep = {f"{name}.jpg" for name in table[kind]}
        for stale in folder.glob("*.jpg"):
            if stale.name not in keep:
                stale.unlink()
        for name, entry in table[kind].items():
            source = root / "art" / entry.get("folder", images.ORIGINALS[kind]) / entry["original"]
            write_image(source, folder / f"{name}.jpg")
    with open(images.ASSETS / "catalog.json", "w", encoding="utf-8") as f:
        json.dump(table, f, indent=1, ensure_ascii=False)
        f.write("\n")
    images.catalog.cache_clear()
    (images.ASSETS / "CREDITS.md").write_text(images.credits_markdown(), encoding="utf-8")
    sizes = sum(p.stat().st_size for k in images.KINDS for p in (images.ASSETS / k).glob("*"))
    print(f"{len(table['paintings'])} paintings, {len(table['photos'])} photos, "
          f"{sizes / 2**20:.1f} MB in {images.ASSETS}")


if __name__ == "__main__":
    main()
