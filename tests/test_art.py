"""The course's art images: shipped in the package, credited, found by name, path or folder."""

import fnmatch
import os
from pathlib import Path

import numpy as np
import pytest
import tomllib
from PIL import Image

import gan_course as gc
from gan_course import art, data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_data(monkeypatch):
    """No $GAN_COURSE_DATA: everything must come from the package."""
    monkeypatch.delenv("GAN_COURSE_DATA", raising=False)


def _write_image(path, size=(80, 60), colour=(200, 30, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def test_the_paintings_and_photos_ship_with_the_package():
    assert len(art.art_names("paintings")) == 49 and len(art.art_names("photos")) == 237
    assert gc.art.art_names("photos") == art.art_names("photos")
    shipped = {kind: sorted(p.stem for p in (art.images.ASSETS / kind).glob("*.jpg")) for kind in art.KINDS}
    assert shipped == {kind: art.art_names(kind) for kind in art.KINDS}
    files = [p for kind in art.KINDS for p in (art.images.ASSETS / kind).glob("*.jpg")]
    assert sum(p.stat().st_size for p in files) < 15e6
    for path in files:
        with Image.open(path) as img:
            assert max(img.size) <= 512 and min(img.size) >= 64 and img.format == "JPEG"


def test_credits_are_generated_from_the_catalogue_and_name_every_image():
    credits = (art.images.ASSETS / "CREDITS.md").read_text(encoding="utf-8")
    assert credits == art.credits_markdown(), "regenerate CREDITS.md with art.credits_markdown()"
    for kind in art.KINDS:
        for name, entry in art.catalog()[kind].items():
            section = credits.split(f"### `{kind}/{name}.jpg`", 1)[1].split("###", 1)[0]
            for field in ("title", "author", "licence", "source"):
                assert entry[field] in section
            assert "- changes: resized" in section
    for licence in ("CC BY 4.0", "CC BY-SA 4.0", "GPL-2.0-or-later", "CC0 1.0", "Apache-2.0",
                    "GPL-3.0-or-later", "LGPL-3.0", "CC-BY-SA-3.0"):
        assert licence in credits
    for text in ("GPL-2.0", "GPL-3.0", "LGPL-3.0", "Apache-2.0"):
        assert (art.images.ASSETS / "licenses" / f"{text}.txt").is_file()
    schools = {e.get("school") for e in art.catalog()["paintings"].values()}
    assert schools == {None, "van_gogh", "morisot", "ukiyo_e"}
    assert "by Aitzol Berasategi" in art.credit("aitzgorri") and "resized" in art.credit("aitzgorri")


def test_package_data_includes_every_art_file():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["gan_course"]
    package = ROOT / "gan_course"
    for path in art.images.ASSETS.rglob("*"):
        if path.is_file():
            rel = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(rel, p) and rel.count("/") == p.count("/")
                       for p in patterns), f"{rel} is not in package-data"


def test_images_come_from_the_package_without_gan_course_data(no_data):
    path = art.art_path("van_gogh_starry_night_1889")
    assert path.is_relative_to(art.images.ASSETS) and not art.uses_original("van_gogh_starry_night_1889")
    image = gc.art.art_image("van_gogh_starry_night_1889")
    assert image.shape == (320, 512, 3) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert gc.art.art_image("mount_rainier", max_side=100).shape == (67, 100, 3)


def test_originals_are_used_when_gan_course_data_has_them(tmp_path, monkeypatch):
    entry = art.catalog()["photos"]["storm"]
    original = _write_image(tmp_path / "art" / "content_photos" / entry["original"], (900, 600))
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    assert art.art_path("storm") == original and art.uses_original("storm")
    assert art.art_image("storm").shape == (600, 900, 3)
    assert not art.uses_original("dune")  # not in that folder: the package's copy
    assert art.image_set("photos", size=16).shape == (len(art.art_names("photos")), 16, 16, 3)


@pytest.mark.skipif(not (Path(os.environ.get("GAN_COURSE_DATA", "/nonexistent")) / "art"
                         / "famous_styles").is_dir(), reason="no originals in GAN_COURSE_DATA")
def test_the_shared_originals_are_found_by_name():
    assert all(art.uses_original(name) for kind in art.KINDS for name in art.art_names(kind))
    assert art.art_image("van_gogh_starry_night_1889").shape == (640, 1024, 3)


def test_a_students_own_image_works_by_path(tmp_path):
    path = _write_image(tmp_path / "mine.png", (70, 50))
    for source in (path, str(path)):
        image = art.art_image(source)
        assert image.shape == (50, 70, 3)
        np.testing.assert_allclose(image[0, 0], np.array([200, 30, 30]) / 255, atol=1e-6)


def test_art_sets_load_as_datasets(no_data, tmp_path):
    from gan_course.art import domains

    batch = next(iter(gc.load_dataset("art/paintings/van_gogh", batch_size=32)))
    assert batch.shape == (8, 64, 64, 3)
    assert float(batch.numpy().min()) >= -1.0 and float(batch.numpy().max()) <= 1.0
    photos, labels = data.load_arrays("art/photos", split="test")
    assert photos.shape == (len(domains.HELD_OUT["photos"]), 64, 64, 3) and labels is None
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        _write_image(tmp_path / "set" / f"{i}.jpg", (40 + 20 * i, 40), colour)
    (tmp_path / "set" / "notes.txt").write_text("not an image, and ignored")
    mine, _ = data.load_arrays(f"folder:{tmp_path / 'set'}")
    assert mine.shape == (2, 64, 64, 3) and mine[0, 32, 32, 0] > 0.9 and mine[1, 32, 32, 2] > 0.9
    assert {"art/paintings", "art/photos", "art/paintings/ukiyo_e"} <= set(data.dataset_names())


# --- bad input -------------------------------------------------------------------------------------

def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown image 'starry_night'.*van_gogh_starry_night_1889"
                                         ".*Photos: .*mount_rainier"):
        art.art_image("starry_night")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Image file .*nothere\.jpg not found"):
        art.art_image(str(tmp_path / "nothere.jpg"))
    with pytest.raises(FileNotFoundError, match="not found"):
        art.art_image(tmp_path / "nothere")


def test_non_image_and_unreadable_files_are_rejected(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("these are my notes, not a picture")
    with pytest.raises(art.ImageFileError, match=r"notes\.jpg is not an image .*JPEG, PNG"):
        art.art_image(str(text))
    broken = tmp_path / "broken.jpg"
    good = _write_image(tmp_path / "good.jpg", (300, 200))
    broken.write_bytes(good.read_bytes()[:300])  # a download cut short
    with pytest.raises(art.ImageFileError, match=r"broken\.jpg is not an image"):
        art.art_image(str(broken))
    with pytest.raises(art.ImageFileError, match="is a folder.*folder:"):
        art.read_image(tmp_path)
    with pytest.raises(art.ImageFileError, match="empty"):
        art.image_from_bytes(b"")
    with pytest.raises(art.ImageFileError, match="upload.txt is not an image"):
        art.image_from_bytes(b"hello", label="upload.txt")


def test_empty_and_missing_folders_are_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no pictures here")
    with pytest.raises(data.DatasetNotFoundError, match="holds no images"):
        data.load_arrays(f"folder:{tmp_path / 'empty'}")
    with pytest.raises(data.DatasetNotFoundError, match="not found"):
        data.load_arrays(f"folder:{tmp_path / 'missing'}")
    with pytest.raises(data.DatasetNotFoundError, match="course's sets are paintings, photos"):
        art.set_files("monet")


def test_too_small_images_are_rejected(tmp_path):
    tiny = _write_image(tmp_path / "tiny.png", (20, 12))
    with pytest.raises(ValueError, match=r"tiny\.png is 20 x 12 pixels; it must be at least 32"):
        art.load_image(str(tiny), 64, min_side=32, what="content image")


def test_a_folder_given_as_an_image_says_so(tmp_path):
    for name in (str(tmp_path), tmp_path):
        with pytest.raises(art.ImageFileError, match="is a folder, not an image file.*folder:"):
            art.art_image(name)


def test_sixteen_bit_and_float_images_keep_their_tones(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (64, 1))
    path = tmp_path / "ramp16.png"
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I")
    image = art.read_image(path)
    assert image.shape == (64, 256, 3) and (image == 1.0).mean() < 0.01
    np.testing.assert_allclose(image[0, :, 0], np.linspace(0, 1, 256), atol=1 / 255)
    floats = tmp_path / "ramp.tif"
    Image.fromarray(np.tile(np.linspace(0, 1, 256, dtype=np.float32), (8, 1)), "F").save(floats)
    np.testing.assert_allclose(art.read_image(floats)[0, :, 1], np.linspace(0, 1, 256),
                               atol=1 / 255)


def test_a_decompression_bomb_is_refused_by_name(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("1", (13500, 13500)).save(bomb, optimize=True)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(art.ImageFileError, match=r"bomb\.png is too large to read.*at most"):
        art.art_image(str(bomb))


def test_the_package_script_catalogues_a_manifest(tmp_path):
    from gan_course.art import package

    folder = tmp_path / "more_paintings"
    folder.mkdir()
    (folder / "MANIFEST.tsv").write_text(
        "file\tartist\ttitle\tyear\tsource_package\toriginal_path\tlicence\n"
        "Van-Gogh_Irises.jpg\tVincent van Gogh\tIrises\t1889\tpkg 1.0\ta/b.jpg\tCC-BY-4.0\n",
        encoding="utf-8")
    (entry,) = package.manifest_entries(tmp_path, "more_paintings", "paintings").items()
    assert entry[0] == "van_gogh_irises"
    assert entry[1]["folder"] == "more_paintings" and entry[1]["date"] == "1889"
    assert entry[1]["licence_url"].endswith("/by/4.0/") and entry[1]["source"] == "pkg 1.0 : a/b.jpg"
    assert package.school_of("Utagawa Hiroshige") == "ukiyo_e" and package.school_of("Degas") is None
    big = _write_image(tmp_path / "big.png", (1200, 600))
    package.write_image(big, tmp_path / "small.jpg")
    with Image.open(tmp_path / "small.jpg") as img:
        assert img.size == (512, 256) and img.format == "JPEG"


@pytest.mark.skipif(not (Path(os.environ.get("GAN_COURSE_DATA", "/nonexistent")) / "art"
                         / "more_photos").is_dir(), reason="no originals in GAN_COURSE_DATA")
def test_the_packaged_copies_are_regenerated_byte_for_byte(tmp_path):
    from gan_course.art import package

    for kind, name in (("photos", "storm"), ("paintings", "morisot_reading_1888")):
        package.write_image(art.art_path(name), tmp_path / f"{name}.jpg")
        packaged = art.images.ASSETS / kind / f"{name}.jpg"
        assert (tmp_path / f"{name}.jpg").read_bytes() == packaged.read_bytes()
