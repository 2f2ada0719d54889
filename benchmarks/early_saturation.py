"""How fast D(G(z)) falls at the start of training, with the saturating and the non-saturating
generator loss (the claim of lesson 01, section 4).

    python benchmarks/early_saturation.py --steps 300 --every 10

Trains lesson 02's MLP GAN (``cfg["mlp_gan"]``: its networks, Adam and label smoothing) twice on
the same MNIST batches, once per generator loss, and after every ``--every`` steps prints the
mean D(G(z)) the discriminator gives 1,000 fresh fakes of the training generator, and the share
of them it scores below 0.1 (lesson 01's shaded region).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_course import config, data, losses, models  # noqa: E402

GENERATOR_LOSSES = {"saturating": losses.generator_loss_saturating,
                    "non-saturating": losses.generator_loss_nonsaturating}


class FakeScores(keras.callbacks.Callback):
    """After each epoch: the step, mean D(G(z)) and the share of D(G(z)) < 0.1 on fixed latents."""

    def __init__(self, latents, every):
        super().__init__()
        self.latents, self.every, self.rows = latents, every, []

    def on_epoch_end(self, epoch, logs=None):
        fakes = self.model.generator(self.latents, training=False)
        d = 1.0 / (1.0 + np.exp(-np.asarray(self.model.discriminator(fakes, training=False),
                                            np.float64)))
        self.rows.append(((epoch + 1) * self.every, float(d.mean()), float((d < 0.1).mean())))


def curve(loss_name, settings, images, steps, every, seed):
    """``[(step, mean D(G(z)), share below 0.1), ...]`` for one generator loss."""
    config.seed_everything(seed)
    model = models.get("mlp_gan").build(settings, images.shape[1:], seed)
    model.g_loss_fn = GENERATOR_LOSSES[loss_name]
    scores = FakeScores(model.latents(1000, seed=2024), every)
    scores.set_model(model)
    scores.on_epoch_end(-1)  # the untrained networks, step 0
    model.fit(data.training_stream(images, settings.batch_size, seed=seed), epochs=steps // every,
              steps_per_epoch=every, verbose=0, shuffle=False, callbacks=[scores])
    return scores.rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    base = models.profile(args.profile)["mlp_gan"].as_dict()
    settings = config.RunSettings(**{**base, "steps_per_execution": 1})
    images = data.load_uint8("mnist")[0]
    print(f"mlp_gan, profile {args.profile}: {settings.hparams}")
    curves = {name: curve(name, settings, images, args.steps, args.every, args.seed)
              for name in GENERATOR_LOSSES}
    print(f"{'step':>6} " + " ".join(f"{name + ' D(G(z)) / <0.1':>32}" for name in curves))
    for rows in zip(*curves.values()):
        print(f"{rows[0][0]:>6} " + " ".join(f"{mean:>22.3f} / {low:>7.1%}"
                                             for _, mean, low in rows))


if __name__ == "__main__":
    main()
