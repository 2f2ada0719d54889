"""Training profiles, seeding and device set-up.

One switch sizes every training run: ``GAN_COURSE_PROFILE`` = ``quick`` | ``classroom`` | ``full``.

- ``quick``: CI; every training run finishes in seconds.
- ``classroom``: the default on a CPU; each lesson trains in about five minutes on a 2-core laptop.
- ``full``: the default with a GPU; paper-sized networks, mixed precision and XLA.
"""

import contextlib
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
    """A named training profile. The settings each workload trains with under it live with the
    models: ``gc.models.profile()["dcgan"]``."""

    name: str

    def __str__(self):
        return self.name


def gpu_available():
    """Whether TensorFlow can use a GPU (``gan_course.gpu`` says why not when the system has one)."""
    from gan_course import gpu

    return bool(gpu.tensorflow_gpus())


@contextlib.contextmanager
def remapper_off():
    """On a machine without a GPU, Grappler's remapper off for the graphs run inside the block;
    the previous setting is put back after it (the student's own graphs keep TensorFlow's).

    On a CPU its Conv2D + BiasAdd + LeakyRelu fusion fails on every discriminator's training
    graph: it leaves the graph as it was and prints "E0000 ... remapper failed: INVALID_ARGUMENT"
    into the notebook, which reads like an error in the student's code. Without it the course's
    training steps run as fast (benchmarks/RESULTS.md, "Speed"). TensorFlow reads the option
    when a graph first runs, so the block must hold the first step (``fit`` does)."""
    if gpu_available():
        yield
        return
    import tensorflow as tf

    previous = tf.config.optimizer.get_experimental_options().get("remapping", True)
    tf.config.optimizer.set_experimental_options({"remapping": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"remapping": previous})


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
    """Seed Python, NumPy, TensorFlow and Keras so a run can be repeated exactly (the course's
    own functions use :func:`seeded`, which gives Python's and NumPy's generators back).

    TensorFlow's global op determinism is left off: Keras turns XLA off under it, and XLA doubles
    the speed of the course's train steps on a CPU. The course's runs are repeatable without it
    (stateless noise and shuffling, see ``models.base.GAN.sample_latent`` and ``data.training_stream``).
    """
    import keras

    keras.utils.set_random_seed(int(seed))


@contextlib.contextmanager
def seeded(seed=0):
    """:func:`seed_everything` inside the block; Python's and NumPy's global generators are
    put back afterwards as they were, so a student's own random draws go on undisturbed.
    (TensorFlow's and Keras' global seeds stay set, as ``keras.utils.set_random_seed`` sets them.)"""
    import random

    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    seed_everything(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"


def quiet_tensorflow_start(level="2"):
    """Hide TensorFlow's C++ info and warning lines in this process only.

    TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` once, while it loads; the variable is set just for
    that moment and then taken away again, so programs this process starts (a student's own
    scripts) inherit nothing. Nothing changes when TensorFlow is loaded already or the variable
    is set (the student's choice)."""
    import sys

    if "tensorflow" in sys.modules or _LOG_LEVEL in os.environ or any(
            isinstance(finder, _QuietStart) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietStart(level))


class _QuietStart:
    """An import hook that loads the ``tensorflow`` package with ``TF_CPP_MIN_LOG_LEVEL`` set."""

    def __init__(self, level):
        self.level = level

    def find_spec(self, name, path=None, target=None):
        import importlib.util
        import sys

        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self.level)
        return spec


class _QuietLoader:
    """The package's own loader, run with the log level set; the module keeps its own loader."""

    def __init__(self, loader, level):
        self.loader, self.level = loader, level

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        os.environ[_LOG_LEVEL] = self.level
        try:
            self.loader.exec_module(module)
        finally:
            os.environ.pop(_LOG_LEVEL, None)


def use_mixed_precision(prof=None):
    """Mixed precision helps on a GPU only; CPUs compute float16 slower than float32."""
    return gpu_available() and profile(prof).name == "full"


def use_xla(prof=None):
    """XLA on a GPU always. On a CPU each workload's ``RunSettings.jit_compile`` decides, as
    measured: it doubles the MLP GAN's step speed but slows the wider DCGAN convolutions."""
    return gpu_available()


PRECISIONS = ("mixed", "float32")
STRATEGIES = ("default", "mirrored", "multiworker")
_POLICIES = {"mixed": "mixed_float16", "float32": "float32"}


def default_precision(prof=None):
    """The precision a profile trains in on this machine: ``mixed`` for the full profile on a
    GPU, else ``float32``."""
    return "mixed" if use_mixed_precision(prof) else "float32"


def check_precision(precision):
    """``precision`` if it is one of :data:`PRECISIONS`, else a clear ValueError."""
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)} "
                         f"(mixed: float16 compute with float32 weights and loss scaling)")
    return precision


@contextlib.contextmanager
def precision_policy(precision):
    """Build Keras layers in ``precision`` (``mixed`` or ``float32``) inside the block; the
    global dtype policy is put back afterwards (layers keep the policy they were built with)."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(_POLICIES[check_precision(precision)])
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def make_strategy(strategy=None):
    """The ``tf.distribute`` strategy to train under.

    ``None`` chooses for this machine: several GPUs get a MirroredStrategy, one GPU or a CPU the
    default strategy. ``"default"`` is one device; ``"mirrored"`` copies the model on every GPU
    (on a machine without one, on every logical CPU device, which is how a laptop tries it);
    ``"multiworker"`` is a MultiWorkerMirroredStrategy over the machines that ``$TF_CONFIG``
    lists (without it, this machine alone). A ``tf.distribute.Strategy`` is used as it is."""
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy is None:
        strategy = "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default"
    if strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        devices = tuple(d.name for d in (tf.config.list_logical_devices("GPU")
                                         or tf.config.list_logical_devices("CPU")))
        return _one_per_process(("mirrored", devices),
                                lambda: tf.distribute.MirroredStrategy(list(devices)))
    if strategy == "multiworker":
        return _one_per_process(("multiworker", os.environ.get("TF_CONFIG", "")),
                                tf.distribute.MultiWorkerMirroredStrategy)
    raise ValueError(f"Unknown strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}, "
                     f"or pass a tf.distribute.Strategy")


_STRATEGIES = {}


def _one_per_process(key, make):
    """The strategy made for ``key`` (kind and devices) the first time this process asked.

    A second MirroredStrategy over the same devices numbers its collective operations from
    the start again, so a second model trained under it clashes with the first ("Shape mismatch
    in the collective instance"): every run of a process shares one."""
    if key not in _STRATEGIES:
        _STRATEGIES[key] = make()
    return _STRATEGIES[key]


def strategy_name(strategy):
    """How a run records its strategy: default, mirrored, multiworker or the class name."""
    import tensorflow as tf

    kinds = {tf.distribute.MirroredStrategy: "mirrored",
             tf.distribute.MultiWorkerMirroredStrategy: "multiworker"}
    if type(strategy).__name__.startswith("_Default"):  # what get_strategy() gives outside a scope
        return "default"
    return kinds.get(type(strategy), type(strategy).__name__)


def grow_gpu_memory():
    """Let TensorFlow take GPU memory as it needs it (possible until the GPUs are initialised)."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        with contextlib.suppress(RuntimeError):  # already initialised
            tf.config.experimental.set_memory_growth(gpu, True)


def setup_device(prof=None, precision=None, strategy=None):
    """Prepare TensorFlow for training and return the ``tf.distribute`` strategy to build under.

    GPUs allocate memory as they need it; the Keras dtype policy becomes ``precision``
    (default: :func:`default_precision`, mixed precision for the full profile on a GPU); the
    strategy is :func:`make_strategy` of ``strategy``.
    """
    import keras

    grow_gpu_memory()
    precision = check_precision(precision or default_precision(prof))
    keras.mixed_precision.set_global_policy(_POLICIES[precision])
    return make_strategy(strategy)


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
