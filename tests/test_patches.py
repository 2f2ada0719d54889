"""Patch domains: names, the resumable tf.data stream of random crops, and clear errors."""

import numpy as np
import pytest
from PIL import Image

from gan_course import art
from gan_course.art import domains, patches
from gan_course.data import DatasetNotFoundError


@pytest.fixture
def no_data(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_DATA", raising=False)


def _write_image(path, size=(80, 60), seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("spec, pair", [
    ("art/photos:art/paintings", ("art/photos", "art/paintings")),
    ("art/photos:art/paintings/van_gogh_starry_night_1889",
     ("art/photos", "art/paintings/van_gogh_starry_night_1889")),
    ("folder:~/photos:art/paintings", ("folder:~/photos", "art/paintings")),
    ("art/photos:folder:/a/b", ("art/photos", "folder:/a/b")),
    ("folder:C:\\photos:folder:D:/art", ("folder:C:\\photos", "folder:D:/art")),
])
def test_two_domains_are_written_a_colon_b(spec, pair):
    assert patches.split_pair(spec) == pair


@pytest.mark.parametrize("spec", ["art/photos", "art/photos:", "a:b:c", ":art/paintings"])
def test_anything_but_two_domains_is_a_clear_error(spec):
    with pytest.raises(patches.DomainError, match="is not two domains.*A:B"):
        patches.split_pair(spec)


@pytest.mark.parametrize("domain, school", [
    ("art/paintings/van_gogh", "Vincent van Gogh"), ("art/paintings/morisot", "Berthe Morisot"),
    ("art/paintings/ukiyo_e", ("Hokusai", "Hiroshige", "Hashiguchi"))])
def test_a_school_is_its_painters_pictures_with_two_held_out(domain, school, no_data):
    every = domains.picture_names(domain, "all")
    train, test = domains.picture_names(domain, "train"), domains.picture_names(domain, "test")
    assert sorted(train + test) == sorted(every) and not set(train) & set(test)
    assert len(test) == 2 and len(train) >= 7
    authors = {art.catalog()["paintings"][n]["author"] for n in every}
    names = (school,) if isinstance(school, str) else school
    assert all(any(s in a for s in names) for a in authors)
    assert all(p.is_relative_to(art.images.ASSETS) for p in domains.domain_files(domain))


def test_one_name_one_meaning_for_every_user(no_data):
    """The held-out photos are the test split of art/photos in gc.load_dataset, the CycleGAN's
    evaluation pictures and the judge's, and never in a training stream."""
    from gan_course import data

    held_out = set(domains.HELD_OUT["photos"])
    assert set(domains.picture_names("art/photos", "test")) == held_out
    assert len(domains.picture_names("art/photos", "all")) == len(art.art_names("photos"))
    train_files = {p.stem for p in patches.domain_files("art/photos")}
    assert not train_files & held_out
    assert len(train_files) == len(art.art_names("photos")) - len(held_out)
    images, _ = data.load_arrays("art/photos", split="test")
    assert len(images) == len(held_out)
    assert len(patches.domain_images("art/photos", split="test")) == len(held_out)
    for kind in art.KINDS:
        assert set(domains.HELD_OUT[kind]) <= set(art.art_names(kind))


def test_unknown_painting_lists_the_schools_and_paintings():
    with pytest.raises(patches.DomainError,
                       match="Unknown painting 'picasso'.*van_gogh, morisot, ukiyo_e.*van_gogh_st"):
        patches.domain_files("art/paintings/picasso")


def test_a_held_out_picture_is_not_a_domain():
    for kind in art.KINDS:
        with pytest.raises(patches.DomainError, match="held out for evaluation"):
            patches.domain_files(f"art/{kind}/{domains.HELD_OUT[kind][0]}")
    assert len(patches.domain_files("art/photos/dune")) == 1


def test_a_folder_holds_nothing_out(tmp_path):
    _write_image(tmp_path / "mine" / "a.png")
    for split in domains.SPLITS:
        assert len(domains.domain_files(f"folder:{tmp_path / 'mine'}", split)) == 1
    assert not domains.has_held_out(f"folder:{tmp_path / 'mine'}")
    assert domains.has_held_out("art/paintings/morisot")


def test_unknown_domain_names_the_valid_forms():
    with pytest.raises(patches.DomainError, match="Unknown domain 'mnist'.*folder:PATH"):
        patches.domain_files("mnist")


def test_a_folder_of_your_own_is_a_domain(tmp_path):
    for i in range(3):
        _write_image(tmp_path / "mine" / f"{i}.png", seed=i)
    (tmp_path / "mine" / "notes.txt").write_text("not an image, not listed")
    images = patches.domain_images(f"folder:{tmp_path / 'mine'}", min_side=32)
    assert [i.shape for i in images] == [(60, 80, 3)] * 3 and images[0].dtype == np.uint8


def test_an_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="holds no images"):
        patches.pair_images(f"folder:{tmp_path / 'empty'}:art/paintings")


def test_a_file_that_is_not_an_image_is_a_clear_error(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "photo.jpg").write_text("this is text")
    with pytest.raises(art.ImageFileError, match="photo.jpg is not an image.*JPEG, PNG"):
        patches.pair_images(f"folder:{tmp_path / 'bad'}:art/paintings", min_side=32)


def test_images_smaller_than_the_patches_are_a_clear_error(tmp_path):
    _write_image(tmp_path / "small" / "tiny.png", size=(40, 30))
    with pytest.raises(patches.DomainError, match=r"tiny.png is 40 x 30 pixels, smaller than the "
                                                  r"64 x 64 patches"):
        patches.pair_images(f"folder:{tmp_path / 'small'}:art/paintings", min_side=64)


def test_the_same_images_on_both_sides_are_a_clear_error(tmp_path):
    _write_image(tmp_path / "same" / "a.png")
    folder = tmp_path / "same"
    with pytest.raises(patches.DomainError, match="are the same.*two different sets"):
        patches.pair_images(f"folder:{folder}:folder:{folder}")
    with pytest.raises(patches.DomainError, match="share 1 image"):
        patches.pair_images("art/photos:art/photos/dune")


def test_patches_are_random_crops_in_range_and_resumable():
    photos, paintings = patches.pair_images("art/photos:art/paintings", min_side=32)
    stream = iter(patches.pair_stream("art/photos:art/paintings", 32, 4, seed=1))
    batches = [next(stream) for _ in range(3)]
    x, y = (b.numpy() for b in batches[0])
    assert x.shape == y.shape == (4, 32, 32, 3) and x.dtype == np.float32
    assert -1 <= x.min() < x.max() <= 1
    assert len({float(p.mean()) for p in x}) == 4  # four different crops
    later = next(iter(patches.pair_stream("art/photos:art/paintings", 32, 4, seed=1,
                                          start_step=2)))
    np.testing.assert_array_equal(later[0].numpy(), batches[2][0].numpy())
    np.testing.assert_array_equal(later[1].numpy(), batches[2][1].numpy())
    other = next(iter(patches.pair_stream("art/photos:art/paintings", 32, 4, seed=2)))
    assert not np.array_equal(other[0].numpy(), x)


def test_patches_cover_scales_and_mirror_images():
    # One picture, a left-to-right ramp: a crop's spread of values measures its scale, and a
    # mirrored crop runs from right to left.
    ramp = np.tile(np.linspace(0, 255, 400, dtype=np.float32)[None, :, None], (300, 1, 3))
    x = patches.sample_patches([ramp.astype(np.uint8)], 200, 16, seed=0)
    spread = x[:, 8, -1, 0] - x[:, 8, 0, 0]
    assert (spread > 0).mean() > 0.3 and (spread < 0).mean() > 0.3
    widths = np.abs(spread)
    assert widths.min() < 0.12 and widths.max() > 0.5  # 16 pixels ... the whole 300-pixel height
    np.testing.assert_array_equal(x, patches.sample_patches([ramp.astype(np.uint8)], 200, 16, 0))
