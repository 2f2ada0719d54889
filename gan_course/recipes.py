"""The models the course trains, one entry each: how to build them and what quality they must reach.

A recipe turns a profile's settings into a compiled model. Adding a model to ``gc.train`` and the
``gan-course`` command line is one ``register(Recipe(...))`` call.
"""

import dataclasses

import keras

from gan_course import gan, metrics, nets

REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    build: callable          # build(settings, image_shape, seed) -> compiled model
    datasets: tuple
    evaluate: callable       # evaluate(model, dataset, n) -> dict of quality numbers
    bar: callable            # bar(quality) -> dict of named pass/fail checks

    @property
    def default_dataset(self):
        return self.datasets[0]


def register(recipe):
    REGISTRY[recipe.name] = recipe
    return recipe


def get(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}. Valid models: {', '.join(REGISTRY)}") from None


def adam(hp, prefix):
    return keras.optimizers.Adam(hp[f"{prefix}_lr"], beta_1=hp.get("beta_1", 0.5),
                                 beta_2=hp.get("beta_2", 0.999))


def compiled_gan(generator, discriminator, settings, seed, model_class=gan.GAN, **model_args):
    """A :class:`gan.GAN` (or ``model_class``) of the two networks, compiled with the settings'
    Adam optimizers."""
    hp = settings.hparams
    model = model_class(generator, discriminator, ema_decay=hp["ema_decay"], seed=seed, **model_args)
    model.compile(d_optimizer=adam(hp, "d"), g_optimizer=adam(hp, "g"),
                  label_smoothing=hp.get("label_smoothing", 0.0),
                  steps_per_execution=settings.steps_per_execution,
                  jit_compile=settings.jit_compile)
    return model


def evaluate_images(model, dataset, n):
    """Classifier confidence, class coverage and FID of ``n`` samples (labelled image sets)."""
    return metrics.evaluate(model.generate(n, seed=2024), dataset)


def image_bar(confident, class_share):
    """The DESIGN.md bar for an image model: share of confident samples, rarest class's share."""
    def bar(q):
        return {f"confident >= {confident:.2f}": q["confident"] >= confident,
                f"every class >= {class_share:.0%}": q["min_class_share"] >= class_share}
    return bar


def build_mlp_gan(settings, image_shape, seed):
    hp = settings.hparams
    generator = nets.mlp_generator(hp["latent_dim"], image_shape, hp["hidden"],
                                   hp.get("batch_norm", False))
    discriminator = nets.mlp_discriminator(image_shape, hp["d_hidden"])
    return compiled_gan(generator, discriminator, settings, seed)


def build_dcgan(settings, image_shape, seed):
    """The DCGAN; with ``hparams["codes"] = (categories, continuous)`` an InfoGAN of the same
    networks, whose generator also takes the codes and whose discriminator reads them back."""
    hp = settings.hparams
    categories, continuous = hp.get("codes") or (0, 0)
    generator = nets.dcgan_generator(hp["latent_dim"] + categories + continuous, image_shape,
                                     hp["g_width"], hp.get("upsampling", "transpose"),
                                     hp.get("g_dense", 0))
    discriminator = nets.dcgan_discriminator(image_shape, hp["d_width"], hp.get("d_dense", 0),
                                             hp.get("d_dropout", 0.0))
    if not (categories or continuous):
        return compiled_gan(generator, discriminator, settings, seed)
    return compiled_gan(generator, nets.with_code_head(discriminator, categories, continuous),
                        settings, seed, gan.InfoGAN, categories=categories, continuous=continuous,
                        info_weight=hp.get("info_weight", 1.0),
                        prior_rate=hp.get("prior_rate", 0.0))


register(Recipe("mlp_gan", build_mlp_gan, ("mnist", "fashion_mnist"), evaluate_images,
                image_bar(0.80, 0.04)))
register(Recipe("dcgan", build_dcgan, ("mnist", "fashion_mnist"), evaluate_images,
                image_bar(0.90, 0.05)))
