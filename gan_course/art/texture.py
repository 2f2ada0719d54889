"""Lesson 06's texture statistics as a ruler: how close in style two sets of patches are.

Style, as lesson 06 defines it, is the Gram matrices of a convolutional network's features
(Gatys et al. 2016). Lesson 07's bar asks whether a CycleGAN's paintings come closer in style to
the painter's held-out paintings than the photos were. The features are the course's VGG19-shaped
network with **fixed random weights** (seed 0), the one lesson 06 falls back to offline: the same
numbers on every machine, online or not. Random features describe colour and texture well enough
to transfer a style (:mod:`gan_course.art.vgg`), and, measured on the shipped Van Gogh painter,
they rank photos, painted photos and Van Gogh's own paintings as the eye does, where the painting
judge's three small layers did not (RESULTS.md, "The style ruler").
"""

import functools

import numpy as np

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")
SEED = 0


@functools.cache
def _features():
    from gan_course import config
    from gan_course.art import vgg

    with config.precision_policy("float32"):
        return vgg.random_features(LAYERS, seed=SEED)


def gram_matrices(images, batch_size=64):
    """Per layer of :data:`LAYERS`, the Gram matrices of ``images`` (n, H, W, 3) in [0, 1]:
    a list of float64 arrays (n, C, C)."""
    from gan_course.art import style

    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"Expected RGB patches of shape (n, H, W, 3), got {images.shape}")
    grams = [[] for _ in LAYERS]
    for i in range(0, len(images), batch_size):
        features = _features()(np.clip(images[i:i + batch_size], 0.0, 1.0))
        for k, layer in enumerate(LAYERS):
            grams[k].append(np.asarray(style.gram_matrix(features[layer]), np.float64))
    return [np.concatenate(g) for g in grams]


def style_distance(images, reference):
    """How far each patch's style is from the reference patches' average style, averaged.

    For each layer: the Frobenius distance between a patch's Gram matrix and the mean Gram matrix
    of ``reference``, relative to the size of that mean; the layers' numbers are summed. 0 means
    every patch has the reference's average texture statistics.
    """
    total = 0.0
    for g, ref in zip(gram_matrices(images), gram_matrices(reference)):
        mean = ref.mean(axis=0)
        total += float(np.mean(np.linalg.norm(g - mean, axis=(1, 2))) / np.linalg.norm(mean))
    return total


def texture_error(images, references):
    """Picture by picture, how far the texture of ``images`` is from that of ``references`` (both
    (n, H, W, 3) in [0, 1]): the relative distance between their Gram matrices, summed over the
    layers, averaged over pictures. 0 for the same texture; blur and added noise both raise it."""
    total = 0.0
    for g, ref in zip(gram_matrices(images), gram_matrices(references)):
        total += float(np.mean(np.linalg.norm(g - ref, axis=(1, 2)) /
                               np.maximum(np.linalg.norm(ref, axis=(1, 2)), 1e-12)))
    return total
