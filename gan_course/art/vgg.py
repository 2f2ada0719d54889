"""VGG-shaped feature networks for neural style transfer.

Style transfer compares images through the activations of a convolutional network. The course
builds VGG19's sixteen 3 x 3 convolutions (Simonyan & Zisserman 2015, Keras' layer names
``block1_conv1`` ... ``block5_conv4``) with average pooling instead of max pooling, as Gatys et
al. (2016) recommend, and only up to the deepest layer a transfer needs. Its weights come from:

- ``"vgg19"``: ``keras.applications.VGG19(weights="imagenet")``, found in the Keras cache or
  downloaded once (about 80 MB);
- ``"random"``: fixed random weights drawn from a seed. A randomly initialised network's Gram
  matrices still describe colours and textures well enough to transfer a style (He, Wang &
  Hopcroft 2016; Ustyuzhaninov, Brendel, Gatys & Bethge 2017). The course falls back to it,
  with one line saying so, when the ImageNet weights cannot be had.

Every :class:`FeatureNet` carries a ``description`` naming which features made a picture.
"""

import contextlib
import socket
from dataclasses import dataclass

BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))  # (filters, convolutions) per block
LAYERS = tuple(f"block{b}_conv{i}" for b, (_, n) in enumerate(BLOCKS, 1) for i in range(1, n + 1))
KINDS = ("auto", "vgg19", "random")
# Keras' VGG19 reads images the Caffe way: BGR channels, 0-255, minus the ImageNet mean colour.
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
DOWNLOAD_TIMEOUT = 30  # seconds before an unanswered download counts as offline
_cache = {}


@dataclass(frozen=True)
class FeatureNet:
    """A feature network: ``net(images)`` maps a batch in [0, 1] to ``{layer: activations}``."""

    kind: str  # "vgg19" or "random"
    description: str  # e.g. "VGG19 with ImageNet weights"
    model: object  # keras.Model: preprocessed images -> the layers' activations, in order
    layers: tuple

    def __call__(self, images):
        import tensorflow as tf

        x = tf.convert_to_tensor(images, tf.float32)
        x = x[..., ::-1] * 255.0 - tf.constant(IMAGENET_MEAN_BGR, tf.float32)
        outputs = self.model(x)
        if len(self.layers) == 1:
            outputs = [outputs]
        return dict(zip(self.layers, outputs))


def check_layers(layers):
    """``layers`` as a tuple of VGG19 convolution names, or a ValueError listing the valid ones."""
    layers = tuple(dict.fromkeys(layers))
    unknown = [name for name in layers if name not in LAYERS]
    if unknown or not layers:
        raise ValueError(f"Unknown VGG layer(s) {unknown or '(none given)'}; valid layers: "
                         f"{', '.join(LAYERS)}")
    return layers


def build_vgg(layers, seed=None):
    """VGG19's convolutions up to the deepest of ``layers``, average pooling between blocks.

    With ``seed`` the kernels are drawn from a seeded He normal initialiser (variance 2 / fan-in,
    which keeps activations the same size from layer to layer) and the biases are zero. The
    network computes in float32 even under a mixed-precision policy: its activations reach
    thousands, and their Gram matrices sum squares of them.
    """
    import keras
    from keras import layers as L

    layers = check_layers(layers)
    last = max(LAYERS.index(name) for name in layers)
    init = (lambda i: keras.initializers.HeNormal(seed=seed + i)) if seed is not None else (
        lambda i: "glorot_uniform")
    x = keras.Input((None, None, 3))
    h, found = x, {}
    for index, name in enumerate(LAYERS[:last + 1]):
        block = int(name[5])
        if name.endswith("conv1") and block > 1:
            h = L.AveragePooling2D(2, name=f"block{block - 1}_pool", dtype="float32")(h)
        h = L.Conv2D(BLOCKS[block - 1][0], 3, padding="same", activation="relu", name=name,
                     kernel_initializer=init(index), dtype="float32")(h)
        found[name] = h
    return keras.Model(x, [found[name] for name in layers], name="vgg19_features")


def random_features(layers, seed=0):
    """The seeded random VGG-shaped network."""
    return FeatureNet("random", f"random VGG19-shaped network (fixed weights, seed {seed})",
                      build_vgg(layers, seed=seed), check_layers(layers))


def load_imagenet_vgg19():
    """``keras.applications.VGG19`` with ImageNet weights (no classifier head)."""
    import keras

    with _socket_timeout(DOWNLOAD_TIMEOUT):
        return keras.applications.VGG19(weights="imagenet", include_top=False)


def vgg19_features(layers):
    """VGG19 with ImageNet weights, copied into the course's average-pooling network."""
    layers = check_layers(layers)
    pretrained = load_imagenet_vgg19()
    model = build_vgg(layers)
    for layer in model.layers:
        if layer.name in LAYERS:
            layer.set_weights(pretrained.get_layer(layer.name).get_weights())
    return FeatureNet("vgg19", "VGG19 with ImageNet weights", model, layers)


def feature_net(layers, kind="auto", seed=0, verbose=True):
    """The feature network for ``layers``: ``"vgg19"``, ``"random"``, or ``"auto"`` (VGG19 when
    its weights can be had, else random features, with one printed line saying why).

    Networks are cached per process, and so is a failed attempt to get the VGG19 weights.
    """
    if kind not in KINDS:
        raise ValueError(f"features must be one of {', '.join(KINDS)}, got {kind!r}")
    layers = check_layers(layers)
    if kind in ("auto", "vgg19") and "vgg19_error" not in _cache:
        key = ("vgg19", layers)
        if key not in _cache:
            try:
                _cache[key] = vgg19_features(layers)
            except Exception as err:  # noqa: BLE001 - offline, proxy, corrupt cache: same fallback
                _cache["vgg19_error"] = f"{type(err).__name__}: {_first_line(err)}"
        if key in _cache:
            return _cache[key]
    if kind == "vgg19":
        raise RuntimeError(f"VGG19 ImageNet weights are not available "
                           f"({_cache['vgg19_error']}). Connect to the internet once, or use "
                           f"features='random'.")
    key = ("random", layers, seed)
    if key not in _cache:
        _cache[key] = random_features(layers, seed)
        if kind == "auto" and verbose:
            print(f"VGG19 ImageNet weights not available ({_cache['vgg19_error']}); using "
                  f"random features instead: {_cache[key].description}.")
    return _cache[key]


def forget_cached():
    """Drop cached networks and a cached download failure (e.g. after going online)."""
    _cache.clear()


def _first_line(err):
    text = str(err).strip().splitlines()
    return text[0][:200] if text else "no message"


@contextlib.contextmanager
def _socket_timeout(seconds):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def receptive_field(layer):
    """How many pixels across one unit of ``layer`` sees (3 x 3 convolutions, 2 x 2 pooling)."""
    size, stride = 1, 1
    for name in LAYERS[:LAYERS.index(check_layers([layer])[0]) + 1]:
        if name.endswith("conv1") and name != "block1_conv1":
            size, stride = size + stride, stride * 2
        size += 2 * stride
    return int(size)


def layer_table():
    """``[(layer, filters, receptive field in pixels), ...]`` for every VGG19 convolution."""
    return [(name, BLOCKS[int(name[5]) - 1][0], receptive_field(name)) for name in LAYERS]

