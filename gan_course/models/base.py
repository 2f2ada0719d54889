"""What every adversarial model of the course shares: ``GAN``, a ``keras.Model`` that trains with ``fit``.

Its ``train_step`` is the two-tape step students write by hand in lesson 02. Around it: an EMA
generator for sampling, latent noise that is a pure function of ``(seed, step)`` (so a resumed run
repeats an unbroken one), loss scaling under mixed precision, the metrics Keras reports, and input
checks that turn wrong shapes and ranges into clear errors.
"""

import collections.abc
import inspect
import itertools

import keras
import numpy as np
import tensorflow as tf

from gan_course import config, losses
from gan_course.models import blocks


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


class GAN(keras.Model):
    """The original GAN (Goodfellow et al. 2014) with the non-saturating generator loss.

    One step updates both networks from a single forward pass, as in the TensorFlow DCGAN
    tutorial: the generator makes a batch, the discriminator scores real and fake images in one
    call, and two gradient tapes give each network the gradient of its own loss.

    ``ema_decay`` keeps an exponential moving average (EMA) of the generator's weights; sampling
    uses that averaged generator, which is smoother and clearly better than the raw one late in
    training. Latent noise is a pure function of ``(seed, step)``, so a resumed run repeats an
    unbroken one.
    """

    conditional = False  # takes class labels when sampling (the conditional GAN does)
    extra_state = ()  # variables besides the networks' that a checkpoint must keep

    def __init__(self, generator, discriminator, latent_dim=None, ema_decay=0.999, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim or generator.input_shape[-1])
        self.ema_decay = float(ema_decay)
        self.seed = int(seed)
        self.ema_generator = keras.models.clone_model(generator)
        self.ema_generator.set_weights(generator.get_weights())
        self.ema_generator.trainable = False
        self.image_shape = tuple(discriminator.input_shape[1:])
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.built = True

    def compile(self, d_optimizer, g_optimizer, d_loss_fn=losses.discriminator_loss,
                g_loss_fn=losses.generator_loss, label_smoothing=0.0, **kwargs):
        super().compile(optimizer=None, **kwargs)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            d_optimizer = _loss_scaled(d_optimizer)
            g_optimizer = _loss_scaled(g_optimizer)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        with self.distribute_strategy.scope():  # the slots are mirrored under a strategy
            for optimizer, network in ((d_optimizer, self.discriminator), (g_optimizer, self.generator)):
                if not optimizer.built:
                    optimizer.build(network.trainable_variables)
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn
        self.label_smoothing = float(label_smoothing)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    # --- noise ---------------------------------------------------------------------------------

    def sample_latent(self, batch_size, stream=0):
        """Standard normal latents for this step, reproducible from (seed, step, stream)."""
        return self.step_noise(
            lambda rows, seed: tf.random.stateless_normal((rows, self.latent_dim), seed=seed),
            batch_size, stream)

    def step_noise(self, draw, batch_size, stream=0):
        """This replica's rows of ``draw(global_rows, seed)``, the noise of the step's whole batch.

        Every replica draws the global batch's noise and keeps its own rows, so training on any
        number of replicas draws exactly what one device draws for the same global batch (on one
        device the slice is the whole draw: nothing changes). ``seed`` is a pure function of
        ``(model seed, step, stream)``, so a resumed run repeats an unbroken one."""
        offset, rows = self._replica_rows(batch_size)
        return draw(rows, self._noise_seed(stream, per_replica=False))[offset:offset + batch_size]

    def _replica_rows(self, batch_size):
        """Where this replica's ``batch_size`` examples start in the global batch, and its size."""
        replica = tf.distribute.get_replica_context()
        if replica is None or replica.num_replicas_in_sync == 1:
            return 0, batch_size
        sizes = replica.all_gather(tf.reshape(tf.cast(batch_size, tf.int32), [1]), axis=0)
        offset = tf.reduce_sum(sizes[:replica.replica_id_in_sync_group])
        return offset, tf.reduce_sum(sizes)

    def _noise_seed(self, stream, per_replica=True):
        """A stateless seed from (model seed, step, stream); ``per_replica`` also mixes in the
        replica, so noise drawn at a replica's own batch size differs between replicas (prefer
        :meth:`step_noise`, which also matches one device)."""
        replica = tf.distribute.get_replica_context() if per_replica else None
        replica_id = replica.replica_id_in_sync_group if replica else 0
        step = tf.cast(self.g_optimizer.iterations, tf.int32)
        mixed = self.seed * 1_000_003 + stream * 7919 + tf.cast(replica_id, tf.int32) * 104_729
        return tf.stack([mixed, step])

    def discriminate(self, real, fake, labels=None):
        """The discriminator's outputs on ``real`` then ``fake`` images, in one call; ``labels``
        (the real images' then the fakes', for a discriminator that reads them) go in beside.

        Under a strategy, its per-example random layers (``blocks.Dropout``) draw the masks of
        the global batch and keep this replica's rows, as they do for the latents."""
        both = tf.concat([real, tf.cast(fake, real.dtype)], 0)
        inputs = both if labels is None else [both, labels]
        replica = tf.distribute.get_replica_context()
        if replica is None or replica.num_replicas_in_sync == 1:
            return self.discriminator(inputs, training=True)
        batch = tf.shape(real)[0]
        offset, rows = self._replica_rows(batch)
        mine = offset + tf.range(batch)
        with blocks.global_rows(tf.concat([mine, rows + mine], 0), 2 * rows):
            return self.discriminator(inputs, training=True)

    # --- training ------------------------------------------------------------------------------

    def train_step(self, data):
        real = _images_of(data)
        z = self.sample_latent(tf.shape(real)[0])
        return self.adversarial_step(lambda: self.generator(z, training=True),
                                     lambda fake: self.discriminate(real, fake))

    def adversarial_step(self, generate, discriminate):
        """One update of both networks from the same forward pass: ``generate()`` makes the
        fakes, ``discriminate(fake)`` scores the real images then the fakes."""
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generate()
            real_logits, fake_logits = tf.split(tf.cast(discriminate(fake), tf.float32), 2)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing)
            g_loss = self.g_loss_fn(fake_logits)
            d_scaled = self._scaled(d_loss, self.d_optimizer)
            g_scaled = self._scaled(g_loss, self.g_optimizer)
        self._apply(d_tape, d_scaled, self.discriminator, self.d_optimizer)
        self._apply(g_tape, g_scaled, self.generator, self.g_optimizer)
        self.update_ema()
        return self._report(d_loss, g_loss, real_logits, fake_logits)

    def _scaled(self, loss, optimizer):
        """The loss to differentiate: averaged over replicas, loss-scaled under mixed precision."""
        return optimizer.scale_loss(loss / self.distribute_strategy.num_replicas_in_sync)

    def _apply(self, tape, scaled_loss, network, optimizer):
        grads = tape.gradient(scaled_loss, network.trainable_weights)
        optimizer.apply(grads, network.trainable_weights)

    def _report(self, d_loss, g_loss, real_logits, fake_logits):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(tf.reduce_mean(tf.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(tf.reduce_mean(tf.sigmoid(fake_logits)))
        return self.logs()

    def logs(self):
        """Every metric's value, for Keras' progress bar and history; a model's ``train_step``
        returns this. Under a multi-worker strategy each is a one-number vector: Keras 3 reduces
        a scalar across workers along an axis it lacks (tensorflow/tensorflow issue 72388)."""
        values = {m.name: m.result() for m in self.metrics}
        strategy = self.distribute_strategy
        if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                and strategy.extended._in_multi_worker_mode()):
            values = {name: tf.reshape(value, [1]) for name, value in values.items()}
        return values

    def update_ema(self):
        """Move the sampling generator towards the trained one (warm-up: faster early on)."""
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for avg, var in zip(self.ema_generator.weights, self.generator.weights):
            if var.trainable:
                avg.assign(decay * avg + (1.0 - decay) * tf.cast(var, avg.dtype))
            else:  # batch-norm statistics are copied, not averaged
                avg.assign(var)

    # --- input checks ----------------------------------------------------------------------------

    def fit(self, x=None, y=None, *args, **kwargs):
        rows = (kwargs.get("batch_size") or 32) if hasattr(x, "shape") else None  # Keras cuts arrays
        batch, x = first_batch(x, y)
        if batch is not None:
            self.check_batch(batch, rows)
        with config.remapper_off():  # see config.remapper_off: no false errors under the cell
            return super().fit(x, y, *args, **kwargs)

    def check_batch(self, batch, rows=None):
        """Clear errors for the first batch ``fit`` sees (whole arrays, which Keras cuts into
        batches of ``rows``); a model that takes more than images checks more."""
        images = _images_of(batch)
        check_images(images if hasattr(images, "shape") else None, self.image_shape)

    # --- sampling ------------------------------------------------------------------------------

    def decode(self, z):
        """Images in [0, 1] (points of a 2-D set as they are), float32 numpy, from latents ``z``
        (n, latent_dim), via the EMA generator."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (n, {self.latent_dim}), got {z.shape}")
        images = self._sample(z) if len(z) else np.zeros((0, *self.image_shape))
        images = np.asarray(images, np.float32)
        if len(self.image_shape) == 1:  # points of a 2-D set: no pixel range to map
            return images
        return np.clip((images + 1.0) / 2.0, 0.0, 1.0)

    def _sample(self, inputs):
        """The EMA generator's output for one batch of ``inputs``, on any number of replicas."""
        if self.distribute_strategy.num_replicas_in_sync > 1:
            # predict_on_batch would stack every replica's copy of the batch
            return self.ema_generator(inputs, training=False)
        return self.ema_generator.predict_on_batch(inputs)

    def latents(self, n, seed=0):
        """``n`` latents drawn as training draws them, reproducible from ``seed``."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def generate(self, n, seed=0, batch_size=500):
        """``n`` images in [0, 1] from the sampling generator, reproducible from ``seed``."""
        z = self.latents(n, seed)
        parts = [self.decode(z[i:i + batch_size]) for i in range(0, n, batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.float32)


@keras.saving.register_keras_serializable(package="gan_course")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A constant rate for the first ``decay_start`` steps, then a straight line to 0 at
    ``total_steps`` (default start: half-way, as CycleGAN's 100 epochs constant, 100 to zero)."""

    def __init__(self, initial_rate, total_steps, decay_start=None):
        self.initial_rate = float(initial_rate)
        self.total_steps = int(total_steps)
        self.decay_start = int(total_steps // 2 if decay_start is None else decay_start)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        left = tf.cast(self.total_steps - self.decay_start, tf.float32)
        done = tf.clip_by_value((step - self.decay_start) / tf.maximum(left, 1.0), 0.0, 1.0)
        return self.initial_rate * (1.0 - done)

    def get_config(self):
        return {"initial_rate": self.initial_rate, "total_steps": self.total_steps,
                "decay_start": self.decay_start}


def learning_rate(hp, prefix, total_steps):
    """The settings' ``{prefix}_lr``: constant, or with ``hp["decay_from"]`` (a fraction of the
    run, e.g. 0.5) held until that point of ``total_steps`` and then lowered linearly to 0."""
    rate = hp[f"{prefix}_lr"]
    start = hp.get("decay_from")
    if start is None:
        return rate
    if not 0.0 <= start < 1.0:
        raise ValueError(f"decay_from is the fraction of the run after which the learning rate "
                         f"falls to 0, a number in [0, 1), got {start!r}")
    return LinearDecay(rate, total_steps, int(start * total_steps))


def adam(hp, prefix, total_steps):
    """Adam with the settings' ``{prefix}_lr`` (decayed by ``decay_from`` over ``total_steps``),
    ``beta_1`` and ``beta_2``."""
    return keras.optimizers.Adam(learning_rate(hp, prefix, total_steps),
                                 beta_1=hp.get("beta_1", 0.5),
                                 beta_2=hp.get("beta_2", 0.999))


def compiled_gan(generator, discriminator, settings, seed, model_class=GAN, **model_args):
    """A :class:`GAN` (or ``model_class``) of the two networks, compiled with the settings'
    Adam optimizers, label smoothing, steps per execution and XLA choice (adjusted to the
    ``tf.distribute`` strategy it is built under, see :func:`execution`)."""
    hp = settings.hparams
    model = model_class(generator, discriminator, ema_decay=hp["ema_decay"], seed=seed, **model_args)
    steps_per_execution, jit_compile = execution(settings)
    model.compile(d_optimizer=adam(hp, "d", settings.steps),
                  g_optimizer=adam(hp, "g", settings.steps),
                  label_smoothing=hp.get("label_smoothing", 0.0),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


def execution(settings, strategy=None):
    """``(steps_per_execution, jit_compile)`` for ``settings`` under ``strategy`` (default: the
    one in scope).

    On one device, the settings' own. Under a strategy Keras 3 runs one step per call: its
    multi-step loop fails under MirroredStrategy ("You must feed a value for placeholder
    tensor", keras-team/keras issue 19246). XLA stays off on CPU replicas, whose variables it
    cannot place ("Trying to access resource ... located in device CPU:1 from device CPU:0").
    XLA also draws other random numbers than plain TensorFlow, so a run's noise depends on it."""
    strategy = strategy or tf.distribute.get_strategy()
    if type(strategy).__name__.startswith("_Default"):  # one device, no strategy
        return settings.steps_per_execution, settings.jit_compile
    on_cpus = all("CPU" in device.upper() for device in strategy.extended.worker_devices)
    return 1, settings.jit_compile and not on_cpus


def _loss_scaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def _images_of(data):
    return data[0] if isinstance(data, (tuple, list)) else data


def first_batch(x, y=None):
    """The first batch that ``fit(x, y)`` will see (an array of images, or a tuple such as
    ``(images, labels)``), and ``x`` to pass on to Keras.

    A ``tf.data.Dataset`` gives its first element, a ``keras.utils.PyDataset`` its item 0. A
    Python generator or iterator is peeked at: its first batch is put back in front, so nothing
    is lost (and batches that are bare arrays are passed on as Keras wants them). Arrays are
    their own batch, ``(x, y)`` with labels."""
    if isinstance(x, tf.data.Dataset):
        for batch in x.take(1):
            return batch, x
        raise ValueError("The dataset passed to fit is empty")
    if isinstance(x, keras.utils.PyDataset):
        return x[0], x
    if inspect.isgenerator(x) or isinstance(x, collections.abc.Iterator):
        try:
            first = next(x)
        except StopIteration:
            raise ValueError("The generator passed to fit yields no batch") from None
        return first, _chained(first, x)
    return (x if y is None else (x, y)), x


def _chained(first, rest):
    """``first`` then ``rest``, each batch a tuple as Keras wants (a bare array becomes ``(x,)``)."""
    for batch in itertools.chain([first], rest):
        yield tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def check_images(images, expected_shape, low=-1.0, high=1.0):
    """Raise a clear ValueError unless ``images`` is a batch of ``expected_shape`` in [low, high]."""
    if images is None:
        return
    shape = tuple(images.shape[1:])
    if shape != tuple(expected_shape):
        hint = ""
        if len(shape) == 1 and np.prod(shape) == np.prod(expected_shape):
            hint = f" Reshape the flat vectors to {tuple(expected_shape)}."
        elif len(shape) == len(expected_shape) - 1:
            hint = " Add a channel axis, e.g. images[..., None]."
        raise ValueError(
            f"Images have shape {shape} per example, but the discriminator expects "
            f"{tuple(expected_shape)}.{hint}"
        )
    values = np.asarray(images, np.float32)
    lo, hi = float(values.min()), float(values.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("Images contain NaN or infinite values")
    if len(expected_shape) == 1:  # points of a 2-D set: any finite coordinates
        return
    if lo < low - 1e-3 or hi > high + 1e-3:
        hint = " They look like raw pixels: divide by 127.5 and subtract 1." if hi > 2 else ""
        raise ValueError(
            f"Images range over [{lo:.3g}, {hi:.3g}], but training expects values in "
            f"[{low:g}, {high:g}] (the range of the generator's tanh).{hint}"
        )
