"""Lesson 09's bar: does a restorer restore? Measured on held-out pictures against the originals.

On ``n`` held-out patches, damaged as in training with fixed seeds, the restorations are compared
with the originals, and so is the baseline a restorer must beat without learning anything:

- inpaint: the holes filled with the colour around them (``damage.surrounding_fill``, where the
  inpainter starts);
- denoise: the noisy picture as it came;
- upscale: bicubic enlargement of the 4x smaller picture.

Numbers: PSNR and SSIM (``tf.image.psnr``, ``tf.image.ssim``, pictures in [0, 1]), the detail
(``tiles.high_frequency_ratio`` against the original: 1 keeps the original's fine texture, below 1
is blurred), that detail split in two (:func:`detail_split`: the share of the original's own fine
detail recovered, and the fine detail added that is not the original's, which counts noise left
in), the texture error (lesson 06's Gram statistics against the original's,
``texture.texture_error``: a feature distance, 0 the original's texture) and for inpainting the
mean error inside the holes. The bar asks for more than
the baseline: a model that copies its input, or an untrained one, fails it (tests prove it).
The L1-only U-Net must gain on the average error (:func:`bar`); pix2pix, which trades average
error for texture, must come clearly nearer the original's texture at about the baseline's PSNR
(:func:`gan_bar`).
"""

import numpy as np

from gan_course.art import texture
from gan_course.models import tiles

HOLE_ERROR_SHARE = 0.9  # inpainting: the hole error at most 90% of the surrounding fill's
PSNR_GAIN = 0.3  # denoise and upscale: at least this many dB above the baseline
PSNR_SLACK = 1.0  # PSNR at most this many dB below the baseline's: inpainting (the fill is the
                  # mean colour around a hole, which the squared error favours) and pix2pix
TEXTURE_SHARE = 0.9  # pix2pix: the texture error at most 90% of the baseline's


def baseline(damaged):
    """The no-learning restoration of damaged patches ``damaged`` (the network's input, in
    [-1, 1]), in [0, 1]: the network's own starting point, its input's colours (the surrounding
    fill, the noisy picture, the bicubic enlargement)."""
    return (np.asarray(damaged[..., :3], np.float32) + 1.0) / 2.0


def detail_split(restored, originals):
    """The restoration's finest detail (:func:`tiles.fine_detail`) against the original's,
    picture by picture, averaged: ``(recovered, added)``. ``recovered`` is the share of the
    original's detail the restoration holds (its projection on it: 1 for the original, near 0
    for a blur); ``added`` the energy of the rest, relative to the original's detail energy (0
    for the original; noise left in, or texture that is not the original's, raise it)."""
    r, o = (tiles.fine_detail(x).reshape(len(x), -1) for x in (restored, originals))
    own = np.maximum((o * o).sum(axis=1), 1e-12)
    along = (r * o).sum(axis=1)
    rest = (r * r).sum(axis=1) - along ** 2 / own
    return float(np.mean(along / own)), float(np.mean(np.maximum(rest, 0.0) / own))


def measures(restored, originals, masks=None):
    """PSNR, SSIM, detail (high-frequency ratio) and its split, texture error and, given hole
    ``masks``, the hole error of ``restored`` against ``originals`` (both (n, H, W, 3) in
    [0, 1]), averaged over pictures."""
    import tensorflow as tf

    restored = np.clip(np.asarray(restored, np.float32), 0.0, 1.0)
    originals = np.asarray(originals, np.float32)
    out = {"psnr": float(np.mean(tf.image.psnr(restored, originals, 1.0))),
           "ssim": float(np.mean(tf.image.ssim(restored, originals, 1.0, filter_size=7))),
           "detail": float(np.mean([tiles.high_frequency_ratio(o, r)
                                    for o, r in zip(originals, restored)])),
           "texture_error": texture.texture_error(restored, originals)}
    out["detail_recovered"], out["detail_added"] = detail_split(restored, originals)
    if masks is not None:
        errors = np.abs(restored - originals).mean(-1)
        out["hole_error"] = float(np.mean([e[m].mean() for e, m in zip(errors, masks) if m.any()]))
    return out


def report(task, damaged, restored, originals):
    """The restorer's measures and the baseline's (keys ``baseline_...``) on the same pictures."""
    originals01 = (np.asarray(originals, np.float32) + 1.0) / 2.0
    masks = damaged[..., 3] > 0 if task == "inpaint" else None
    ours = measures(restored, originals01, masks)
    theirs = measures(baseline(damaged), originals01, masks)
    return {"task": task, **ours, **{f"baseline_{k}": v for k, v in theirs.items()},
            "baseline": {"inpaint": "the surrounding fill", "denoise": "the noisy input",
                         "upscale": "the bicubic enlargement"}[task]}


def evaluate(model, dataset, n):
    """The restorer's report on ``n`` held-out patches (seeded damage)."""
    damaged, originals = model.pairs(n, seed=2024)
    return report(model.task, damaged, model.decode(damaged), originals)


def _closer_to_one(a, b):
    """Whether detail ratio ``a`` is closer to the original's (1) than ``b``, in log terms."""
    return bool(abs(np.log(max(a, 1e-6))) < abs(np.log(max(b, 1e-6))))


def _upscale_or_denoise_check(q):
    """Both bars' own test of an upscaler (detail nearer the original's than bicubic's) or of a
    denoiser (SSIM above the noisy input's)."""
    if q["task"] == "upscale":
        return {"detail closer to the original's than the bicubic enlargement's":
                _closer_to_one(q["detail"], q["baseline_detail"])}
    return {"SSIM above the noisy input's": q["ssim"] > q["baseline_ssim"]}


def bar(q):
    """Lesson 09's bar for the L1-only U-Net, the regression baseline: more than the no-learning
    baseline on the average error."""
    if q["task"] == "inpaint":
        return {f"hole error <= {HOLE_ERROR_SHARE:.0%} of the surrounding fill's":
                q["hole_error"] <= HOLE_ERROR_SHARE * q["baseline_hole_error"],
                f"PSNR at most {PSNR_SLACK:g} dB below the surrounding fill's":
                q["psnr"] >= q["baseline_psnr"] - PSNR_SLACK}
    checks = {f"PSNR >= {q['baseline']}'s + {PSNR_GAIN} dB":
              q["psnr"] >= q["baseline_psnr"] + PSNR_GAIN}
    return {**checks, **_upscale_or_denoise_check(q)}


def gan_bar(q):
    """Lesson 09's bar for pix2pix, which trades average error for texture: the original's
    texture statistics clearly nearer than the baseline's, at about the baseline's PSNR (a GAN's
    plausible texture costs PSNR: RESULTS.md, "pix2pix"), and each task's own test."""
    checks = {f"PSNR at most {PSNR_SLACK:g} dB below {q['baseline']}'s":
              q["psnr"] >= q["baseline_psnr"] - PSNR_SLACK,
              f"texture error <= {TEXTURE_SHARE:.0%} of {q['baseline']}'s":
              q["texture_error"] <= TEXTURE_SHARE * q["baseline_texture_error"]}
    if q["task"] == "inpaint":
        checks["hole error below the surrounding fill's"] = q["hole_error"] < q["baseline_hole_error"]
        return checks
    return {**checks, **_upscale_or_denoise_check(q)}
