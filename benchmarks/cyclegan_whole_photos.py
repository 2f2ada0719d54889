"""Whole photos through a CycleGAN: one pass against blended tiles, stripes and colour noise, memory.

    python benchmarks/cyclegan_whole_photos.py RUN_DIR [--side 256] [--photos 3] [--gallery PNG]
    python benchmarks/cyclegan_whole_photos.py --memory WIDTHxHEIGHT [--tile 0]

For the first ``--photos`` held-out photos, scaled to ``--side`` pixels: the high-frequency ratio
(``tiles.high_frequency_ratio``: the translation's finest-detail energy over the photo's) and the
edge similarity with the photo, painted in one pass and in tiles; and the same ratio on the
run's evaluation patches. ``--gallery`` writes photo, one pass and tiles side by side.
``--memory`` translates a random picture of that size with the quick profile's networks in this
process and prints the peak resident memory before and after (``--tile 0``: in one pass).
"""

import argparse
import os
import resource

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import art  # noqa: E402
from gan_course.art import style  # noqa: E402
from gan_course.models import tiles  # noqa: E402


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(size, tile):
    from gan_course import config, models
    from gan_course.models import cyclegan

    w, h = (int(v) for v in size.split("x"))
    config.seed_everything(0)
    model = cyclegan.build(models.profile("quick")["cyclegan"], (32, 32, 3), seed=0)
    model.translate(np.zeros((200, 200, 3), "f4"))
    before = peak_mb()
    picture = np.random.default_rng(0).uniform(size=(h, w, 3)).astype("f4")
    model.translate(picture, tile=tile or 10**6)
    print(f"{w} x {h}, {'one pass' if not tile else f'tiles of {tile}'}: peak resident memory "
          f"{before:.0f} MB before, {peak_mb():.0f} MB after (the picture alone: "
          f"{picture.nbytes / 2**20:.0f} MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--gallery")
    parser.add_argument("--memory")
    parser.add_argument("--tile", type=int, default=64)
    args = parser.parse_args()
    if args.memory:
        return memory(args.memory, args.tile)
    run = (gc.pretrained(args.run_dir) if args.run_dir.startswith("cyclegan/")
           else gc.load_run(args.run_dir))
    model = run.model
    from gan_course.art import patches

    rows = []
    for photo in patches.domain_images("art/photos", split="test")[:args.photos]:
        photo = art.resize(photo.astype(np.float32) / 255, args.side)
        whole = model.translate(photo, tile=10**6)
        tiled = model.translate(photo)
        rows.append([photo, whole, tiled])
        print(f"{photo.shape[1]} x {photo.shape[0]}: high-frequency ratio one pass "
              f"{tiles.high_frequency_ratio(photo, whole):.2f}, tiles "
              f"{tiles.high_frequency_ratio(photo, tiled):.2f}; edge similarity one pass "
              f"{style.edge_similarity(photo, whole):.2f}, tiles "
              f"{style.edge_similarity(photo, tiled):.2f}")
    if hasattr(model, "latents"):
        small = (model.latents(64, seed=2024) + 1) / 2
        ratios = [tiles.high_frequency_ratio(a, b) for a, b in zip(small, model.translate(small))]
        print(f"64 evaluation patches: high-frequency ratio {np.mean(ratios):.2f}")
    if args.gallery:
        from gan_course.widgets import paint_studio

        gc.viz.save_image(paint_studio.gallery_image(rows, height=args.side), args.gallery)
        print(f"wrote {args.gallery}")


if __name__ == "__main__":
    main()
