"""The registry of trainable models and of every workload's settings per profile.

Each model module ends with one ``register(Recipe(...), settings)`` call. The registry imports
every module of :mod:`gan_course.models` the first time a name is looked up, so a new model is
found by ``gc.train``, the command line and the profiles without editing any other file.
"""

import dataclasses
import importlib
import pkgutil
from pathlib import Path

from gan_course import config, metrics

REGISTRY = {}  # model name -> Recipe
SETTINGS = {}  # workload name -> {profile name: dict of RunSettings fields}
_SHARED_MODULES = {"base", "blocks", "registry", "shipped", "tiles"}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to build a model from a profile's settings, and how to judge what it makes."""

    name: str
    build: callable          # build(settings, image_shape, seed) -> compiled model
    datasets: tuple          # the first is the default
    evaluate: callable       # evaluate(model, dataset, n) -> dict of quality numbers
    bar: callable            # bar(quality) -> dict of named pass/fail checks
    # dataset -> its own settings' name; or a function of the dataset (pix2pix: one per task)
    workloads: dict = dataclasses.field(default_factory=dict)
    # For models that do not train on one course image set (cyclegan: two patch domains):
    # data(dataset, settings) -> (image_shape, stream(seed, start_step)); it also checks the name.
    data: callable = None

    @property
    def default_dataset(self):
        return self.datasets[0]

    def workload(self, dataset):
        """The name of the settings a run on ``dataset`` uses: the model's own unless a dataset
        has its own (e.g. ``wgan_gp_2d`` for WGAN-GP on the 2-D sets)."""
        if callable(self.workloads):
            return self.workloads(dataset)
        return self.workloads.get(dataset, self.name)


def register(recipe, settings):
    """Make ``recipe`` trainable by name, with ``settings`` = ``{profile: RunSettings fields}``."""
    REGISTRY[recipe.name] = recipe
    register_settings(recipe.name, settings)
    return recipe


def register_settings(workload, settings):
    """Settings per profile for a workload that is not a model of its own (e.g. a lesson's lab)."""
    SETTINGS[workload] = settings


def discover():
    """Import every model module once, so that each registers itself."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name not in _SHARED_MODULES:
            importlib.import_module(f"gan_course.models.{module.name}")


def names():
    """The trainable models' names, in registration order."""
    discover()
    return list(REGISTRY)


def get(name):
    """The :class:`Recipe` of model ``name``."""
    discover()
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}. Valid models: {', '.join(REGISTRY)}") from None


@dataclasses.dataclass(frozen=True)
class ProfileSettings(config.Profile):
    """A profile that knows every workload's settings: ``profile["dcgan"]`` is a RunSettings."""

    def __getitem__(self, workload):
        return config.RunSettings(**settings_table(workload)[self.name])


def profile(name=None):
    """The active profile (see :func:`gan_course.config.profile`) with its settings per workload:
    ``cfg = gc.models.profile(); cfg["dcgan"].steps``."""
    return ProfileSettings(config.profile(name).name)


def settings_table(workload):
    """``{profile: settings fields}`` of a model or lab workload."""
    discover()
    try:
        return SETTINGS[workload]
    except KeyError:
        raise KeyError(
            f"No settings for {workload!r}; known workloads: {', '.join(sorted(SETTINGS))}"
        ) from None


def evaluate_images(model, dataset, n):
    """Classifier confidence, class coverage and FID of ``n`` samples (labelled image sets)."""
    return metrics.evaluate(model.generate(n, seed=2024), dataset)


def image_bar(confident, class_share):
    """The DESIGN.md bar for an image model: share of confident samples, rarest class's share."""
    def bar(q):
        return {f"confident >= {confident:.2f}": q["confident"] >= confident,
                f"every class >= {class_share:.0%}": q["min_class_share"] >= class_share}
    return bar
