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

# Every workload the course trains, sized per profile. ``steps`` is the total number of
# optimisation steps, ``steps_per_epoch`` how often a checkpoint, a sample grid and a GIF frame
# are written. Model-specific hyperparameters live in ``hparams``.
_MLP = dict(latent_dim=64, g_lr=2e-4, d_lr=2e-4, beta_1=0.5, ema_decay=0.999, label_smoothing=0.1)
_DCGAN = dict(latent_dim=100, g_lr=2e-4, d_lr=2e-4, beta_1=0.5, ema_decay=0.999, label_smoothing=0.0)
# The course's DCGAN carries InfoGAN's code (gan.InfoGAN): 10 categories, 2 continuous codes, and
# categories drawn as often as the discriminator's head sorts real images into them.
_CODED_DCGAN = dict(_DCGAN, codes=(10, 2), prior_rate=0.01)
_SETTINGS = {
    "mlp_gan": {
        "quick": dict(batch_size=64, steps=60, steps_per_epoch=20, steps_per_execution=10,
                      eval_samples=200,
                      hparams=dict(_MLP, hidden=(64, 128), d_hidden=(128, 64), ema_decay=0.9)),
        # Measured (benchmarks/quality_curve.py, 2 cores): batch 64 with batch norm in the
        # generator and Adam at 4e-4 passes the bar after 16k steps (170 s); 20k leave a margin.
        "classroom": dict(batch_size=64, steps=20000, steps_per_epoch=1000, eval_samples=2000,
                          hparams=dict(_MLP, hidden=(256, 512, 1024), d_hidden=(512, 256),
                                       batch_norm=True, g_lr=4e-4, d_lr=4e-4)),
        "full": dict(batch_size=128, steps=40000, steps_per_epoch=2000, eval_samples=10000,
                     hparams=dict(_MLP, hidden=(256, 512, 1024), d_hidden=(1024, 512, 256),
                                  batch_norm=True)),
    },
    "dcgan": {
        "quick": dict(batch_size=32, steps=30, steps_per_epoch=10, steps_per_execution=10,
                      eval_samples=200,
                      hparams=dict(_CODED_DCGAN, latent_dim=24, g_width=8, d_width=8,
                                   g_dense=(16, 16), d_dense=16, d_dropout=0.3, ema_decay=0.9)),
        # Measured on 2 cores (2,000 samples; confident / rarest digit / FID): the paper's layout at
        # width 32 stalls near 65% confident samples. One hidden dense layer of 256 units in each
        # network and dropout 0.3 in the discriminator give 80% / 7% / 4.1 at 7.5k steps; a second
        # dense layer in the generator 82-84%, which longer training does not raise. InfoGAN's
        # code breaks that plateau (89-92% at 12k), but with uniformly drawn categories the digit
        # shares drift and the FID with them (4.1-7.8, three seeds). Drawing the categories as
        # often as real images fall into them keeps the shares even (88-91% / 6.5-6.8% / 4.4-5.4).
        # 24 noise numbers instead of 100 leave the choice of digit to the category: 93-94% /
        # 6.9-8.1% / 4.0-4.4 over three seeds at 12k steps, and `gan-course train dcgan` gives
        # 93% / 7.6% / 4.5 in 7.5 min (--seed 1: 91.5% / 7.7% / 4.9); 9k steps give 89.5-93%.
        # No XLA: slower for these convolutions on a CPU.
        "classroom": dict(batch_size=64, steps=12000, steps_per_epoch=500, eval_samples=2000,
                          steps_per_execution=25, jit_compile=False,
                          hparams=dict(_CODED_DCGAN, latent_dim=24, g_width=32, d_width=32,
                                       g_dense=(256, 256), d_dense=256, d_dropout=0.3,
                                       g_lr=4e-4, d_lr=4e-4, label_smoothing=0.1)),
        "full": dict(batch_size=128, steps=20000, steps_per_epoch=1000, eval_samples=10000,
                     hparams=dict(_CODED_DCGAN, g_width=64, d_width=64)),
    },
    # Lesson 03's checkerboard lab: two small DCGANs, transposed convolutions vs resize + conv.
    "checkerboard_lab": {
        "quick": dict(batch_size=32, steps=20, steps_per_epoch=20, steps_per_execution=10,
                      eval_samples=100, hparams=dict(_DCGAN, g_width=8, d_width=8, ema_decay=0.9)),
        "classroom": dict(batch_size=64, steps=800, steps_per_epoch=800, eval_samples=500,
                          steps_per_execution=25, jit_compile=False,
                          hparams=dict(_DCGAN, g_width=16, d_width=16)),
        "full": dict(batch_size=128, steps=3000, steps_per_epoch=3000, eval_samples=2000,
                     hparams=dict(_DCGAN, g_width=64, d_width=64)),
    },
}


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
        try:
            table = _SETTINGS[workload]
        except KeyError:
            raise KeyError(
                f"No settings for {workload!r}; known workloads: {', '.join(sorted(_SETTINGS))}"
            ) from None
        entry = dict(table[self.name])
        return RunSettings(**entry)

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
    (stateless noise and shuffling, see ``gan.GAN.sample_latent`` and ``data.training_stream``).
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
