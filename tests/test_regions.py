"""The search for a picture's best-matching region of a set of paintings."""

import numpy as np
import pytest
import tensorflow as tf

from gan_course.art import patches, regions

SCHOOL = "art/paintings/van_gogh"


@pytest.fixture(scope="module")
def paintings():
    return patches.domain_images(SCHOOL, 64)[:3]


def _cut(painting, top, left, side, mirrored=False):
    x = painting[:, ::-1] if mirrored else painting
    crop = x[top:top + side, left:left + side].astype(np.float32) / 255
    return tf.image.resize(crop, [64, 64], method="area", antialias=True).numpy()


def test_a_cut_region_is_found_mirrored_and_tinted_as_well(paintings):
    p = paintings[1]
    side = min(p.shape[:2]) // 2
    cut = _cut(p, 40, 60, side)
    pictures = np.stack([cut, _cut(p, 10, 20, side, mirrored=True), cut * 0.7 + 0.2])
    found, distances = regions.nearest_regions(pictures, paintings, scale=(0.25, 1.0))
    # a copy cut between the thumbnails' grid scores about 0.3; held-out crops 0.7 to 1.2
    assert found.shape == pictures.shape and np.all(distances < 0.45), distances
    assert np.abs(found[0] - cut).mean() < 0.1  # the region shown is the one cut (to a thumbnail
    # pixel; the region 20 pixels aside differs by 0.17)


def test_pictures_from_elsewhere_sit_far(paintings):
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    others = patches.sample_patches(patches.domain_images("art/paintings/ukiyo_e", 64), 8, 64, 1)
    _, far = regions.nearest_regions(np.concatenate([noise, others]), paintings)
    _, near = regions.nearest_regions(patches.sample_patches(paintings, 8, 64, 1), paintings)
    assert far[:2].min() > 1.0 and np.median(far[2:]) > 2 * np.median(near), (far, near)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="pictures"):
        regions.nearest_regions(np.zeros((64, 64, 3)), [np.zeros((80, 80, 3), np.uint8)])
    with pytest.raises(ValueError, match="at least one painting"):
        regions.nearest_regions(np.zeros((1, 64, 64, 3)), [])
    with pytest.raises(ValueError, match="RGB paintings"):
        regions.nearest_regions(np.zeros((1, 64, 64, 3)), [np.zeros((80, 80), np.uint8)])
