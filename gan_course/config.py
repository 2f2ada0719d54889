"""Training profiles, seeding and device set-up.

One switch sizes every training run: ``GAN_COURSE_PROFILE`` = ``quick`` | ``classroom`` | ``full``.

- ``quick``: CI; every training run finishes in seconds.
- ``classroom``: the default on a CPU; each lesson trains in about five minutes on a 2-core laptop.
- ``full``: the default with a GPU; paper-sized networks, mixed precision and XLA.
"""

import dataclasses
import os
import platform

PROFILES = ("quick", "classroom", "full")
ENV_VAR = "GAN_COURSE_PROFILE"


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """How long and how big one training run is."""

    batch_size: int
    steps: int
    steps_per_epoch: int
    eval_samples: int
    hparams: dict
    steps_per_execution: int = 50
    jit_compile: bool = True  # XLA; measured faster for these small networks on CPU too

    def as_dict(self):
        return dataclasses.asdict(self)

    def with_hparams(self, **changes):
        """A copy with some hyperparameters changed, e.g. ``settings.with_hparams(upsampling="resize")``."""
        return dataclasses.replace(self, hparams={**self.hparams, **changes})

    @property
    def epochs(self):
        return -(-self.steps // self.steps_per_epoch)


@dataclasses.dataclass(frozen=True)
class Profile:
    """A named training profile; ``profile["dcgan"]`` gives that workload's settings."""

    name: str

    def __getitem__(self, workload):
        # Each model module holds its own settings per profile (gan_course.models).
        from gan_course.models import registry

        return RunSettings(**registry.settings_table(workload)[self.name])

    def __str__(self):
        return self.name


def gpu_available():
    """Whether TensorFlow can use a GPU (``gan_course.gpu`` says why not when the system has one)."""
    from gan_course import gpu

    return bool(gpu.tensorflow_gpus())


def default_profile_name():
    return "full" if gpu_available() else "classroom"


def profile(name=None):
    """The active profile: ``name``, else ``$GAN_COURSE_PROFILE``, else full on GPU / classroom on CPU."""
    if isinstance(name, Profile):
        return name
    name = name or os.environ.get(ENV_VAR) or default_profile_name()
    if name not in PROFILES:
        raise ValueError(f"Unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    return Profile(name)


def seed_everything(seed=0):
    """Seed Python, NumPy, TensorFlow and Keras so a run can be repeated exactly.

    TensorFlow's global op determinism is left off: Keras turns XLA off under it, and XLA doubles
    the speed of the course's train steps on a CPU. The course's runs are repeatable without it
    (stateless noise and shuffling, see ``models.base.GAN.sample_latent`` and ``data.training_stream``).
    """
    import keras

    keras.utils.set_random_seed(int(seed))


def use_mixed_precision(prof=None):
    """Mixed precision helps on a GPU only; CPUs compute float16 slower than float32."""
    return gpu_available() and profile(prof).name == "full"


def use_xla(prof=None):
    """XLA on a GPU always. On a CPU each workload's ``RunSettings.jit_compile`` decides, as
    measured: it doubles the MLP GAN's step speed but slows the wider DCGAN convolutions."""
    return gpu_available()


def setup_device(prof=None):
    """Prepare TensorFlow for training and return the ``tf.distribute`` strategy to build under.

    Several GPUs get a MirroredStrategy, one GPU or a CPU the default strategy. On a GPU in the
    full profile the Keras dtype policy becomes ``mixed_float16``.
    """
    import contextlib

    import keras
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        with contextlib.suppress(RuntimeError):  # already initialised
            tf.config.experimental.set_memory_growth(gpu, True)
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if use_mixed_precision(prof) else "float32"
    )
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def device_summary(prof=None):
    """A dict describing versions, devices, the GPU diagnosis and precision; ``describe()``
    prints it in one line, ``gan-course doctor`` in full."""
    import keras
    import tensorflow as tf

    from gan_course import gpu

    status = gpu.status()
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpu_cores": os.cpu_count(),
        "gpus": list(status.tensorflow),
        "system_gpus": list(status.system.names),
        "built_for": status.built_for(),
        "gpu_problem": status.problem(),
        "gpu_fix": status.fix(),
        "device": "GPU" if status.tensorflow else "CPU",
        "where": status.device_words(os.cpu_count()),
        "profile": profile(prof).name,
        "mixed_precision": use_mixed_precision(prof),
        "xla": use_xla(prof),
    }


def precision_words(summary):
    """How training computes: ``mixed precision + XLA`` (the full profile on a GPU), else
    ``float32, XLA as each model's settings say`` (``RunSettings.jit_compile``)."""
    if summary["mixed_precision"] and summary["xla"]:
        return "mixed precision + XLA"
    dtype = "mixed precision" if summary["mixed_precision"] else "float32"
    return f"{dtype}, XLA as each model's settings say"


def describe(prof=None):
    """One line for a lesson's first cell: profile, device, TensorFlow's CUDA build when a GPU is
    involved, precision, and a warning with its fix when TensorFlow misses the system's GPU."""
    s = device_summary(prof)
    build = f" ({s['built_for']})" if s["gpus"] or s["system_gpus"] else ""
    line = (f"profile={s['profile']} on {s['where']}; TensorFlow {s['tensorflow']}{build}, "
            f"Keras {s['keras']}; {precision_words(s)}")
    if s["gpu_problem"]:
        line += f". WARNING: {s['gpu_problem']} Fix: {s['gpu_fix']}"
    return line
