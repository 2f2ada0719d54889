"""Lesson 07's bar: is a CycleGAN a painter? Measured on held-out pictures only.

Four questions, on patches of the held-out photos of ``art/photos`` and on those photos whole (at
the size the lesson paints them), against the held-out paintings of the target domain (its
training paintings when it holds none out, e.g. a folder):

- content kept: do the translated whole photos keep the photo's edges (``gc.style.
  edge_similarity``, as lesson 06 measures a stylised picture)?
- style: are the translated patches closer to the paintings' texture statistics than the photos
  were (``texture.style_distance``, lesson 06's Gram matrices)?
- round trip: does the painting-to-photo generator undo the other better than untrained ones?
- judge: does the painting-or-photo classifier call the translated patches paintings, while it
  calls the untouched ones photos (so that it *can* fail)?

Stripes and colour noise are measured too (``tiles.high_frequency_ratio``), whole against patches.
"""

import keras
import numpy as np

from gan_course.art import domains, judge, patches, texture
from gan_course.models import tiles

EDGES = 0.5  # lesson 06's stylised photos keep 0.56-0.72 of their edges (RESULTS.md)
TRANSLATED_CALLED_PAINTINGS = 0.6
UNTOUCHED_CALLED_PHOTOS = 0.85
WHOLE_PHOTOS = 8  # the first held-out photos, painted whole for the content and noise measures


def _untrained_cycle_error(model, photos, seed=0):
    """The round-trip error of freshly initialised generators of the same shape (seeded)."""
    import random

    state = random.getstate()  # Keras draws unseeded initialisers from Python's generator
    random.seed(seed)
    try:
        G = keras.models.clone_model(model.photo2painting)
        F = keras.models.clone_model(model.painting2photo)
    finally:
        random.setstate(state)
    back = F(G(photos * 2.0 - 1.0, training=False), training=False)
    return float(np.mean(np.abs((np.asarray(back) + 1.0) / 2.0 - photos)))


def whole_photos(model, count=WHOLE_PHOTOS):
    """The first ``count`` held-out photos, scaled to the model's ``paint_side``, in [0, 1]."""
    from gan_course import art

    side = getattr(model, "paint_side", 4 * model.image_size)
    return [art.resize(p.astype(np.float32) / 255.0, min(side, max(p.shape[:2])))
            for p in model.held_out_photos()[:count]]


def whole_report(model, count=WHOLE_PHOTOS):
    """Edge similarity and high-frequency ratio of the held-out photos painted whole."""
    from gan_course.art import style

    edges, noise = [], []
    for photo in whole_photos(model, count):
        painted = model.translate(photo)
        edges.append(style.edge_similarity(photo, painted))
        noise.append(tiles.high_frequency_ratio(photo, painted))
    return {"edge_similarity": float(np.mean(edges)),
            "high_frequency_whole": float(np.mean(noise)), "whole_photos": len(edges)}


def style_report(photos, painted, paintings, other_paintings):
    """Style distances to patches of the target ``paintings``: of the photos, of their
    paintings, and of other patches of the paintings themselves (how close "close" is)."""
    return {"style_distance_before": texture.style_distance(photos, paintings),
            "style_distance_after": texture.style_distance(painted, paintings),
            "style_distance_paintings": texture.style_distance(other_paintings, paintings)}


def reference_split(target):
    """The split the style is judged against: the held-out paintings, or the training ones of a
    domain that holds none out (a folder)."""
    return "test" if domains.has_held_out(target) else "train"


def painting_patches(target, n, size, scale):
    """Two samples of ``n`` patches of the target domain's reference paintings
    (:func:`reference_split`): the style reference and "the paintings among themselves"."""
    pictures = patches.domain_images(target, size, reference_split(target))
    return tuple(patches.sample_patches(pictures, n, size, seed, scale) for seed in (2025, 2026))


def evaluate(model, dataset, n):
    """Quality of a CycleGAN on ``n`` patches of the held-out photos and on held-out photos
    whole: see the module docstring."""
    photos = (model.latents(n, seed=2024) + 1.0) / 2.0
    painted = model.translate(photos)
    back = model.translate(painted, "painting2photo")
    target = patches.split_pair(dataset)[1]
    paintings, other_paintings = painting_patches(target, n, model.image_size, model.crop_scale)
    report = judge.translation_report(photos, painted, back)
    report.update(style_report(photos, painted, paintings, other_paintings))
    patch_noise = np.mean([tiles.high_frequency_ratio(a, b) for a, b in zip(photos, painted)])
    return {**report, "cycle_error_untrained": _untrained_cycle_error(model, photos),
            "style_reference": f"{target} ({reference_split(target)})",
            "high_frequency_patches": float(patch_noise),
            **whole_report(model)}


def bar(q):
    """Lesson 07's bar: content kept, style moved, round trip learnt, and the judge calls the
    translated patches paintings while it calls the untouched ones photos."""
    return {
        f"content kept: edge similarity with the photo >= {EDGES}": q["edge_similarity"] >= EDGES,
        "style closer to the painter's held-out paintings after translation":
            q["style_distance_after"] < q["style_distance_before"],
        "cycle error below the untrained generators'": q["cycle_error"] < q["cycle_error_untrained"],
        f"translated photos called paintings >= {TRANSLATED_CALLED_PAINTINGS:.0%}":
            q["painting_share_translated"] >= TRANSLATED_CALLED_PAINTINGS,
        f"untouched photos called photos >= {UNTOUCHED_CALLED_PHOTOS:.0%}":
            q["photo_share_untouched"] >= UNTOUCHED_CALLED_PHOTOS,
    }
