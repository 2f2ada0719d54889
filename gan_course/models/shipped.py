"""Models trained for longer than a lesson allows, shipped with the package.

``assets/pretrained/<model>/<name>/`` holds a run's ``config.json`` and ``metrics.json`` and the
weights of the one network a student uses (a painter's photo-to-painting generator, a
restorer's U-Net) in float16, half the size of float32, as ``<network>.npz``. Each model that
ships networks registers how to rebuild one (:func:`register_loader`, called when its module is
imported); ``gc.pretrained(name)`` finds the loader by the ``model`` of the folder's config.
"""

import json
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "pretrained"
LOADERS = {}  # model name -> load(spec, arrays, path) -> an object with translate()


class PretrainedError(ValueError):
    """An unknown pretrained name, or a folder that does not hold a shipped network."""


def register_loader(model, load):
    """``load(spec, arrays, path)`` rebuilds a shipped network of ``model`` from its config."""
    LOADERS[model] = load


def names(root=ASSETS):
    """The shipped networks, e.g. ``["cyclegan/van_gogh", "pix2pix/inpaint"]``."""
    return sorted({p.parent.relative_to(root).as_posix()
                   for p in Path(root).glob("*/*/*.npz")})


def folder(name, root=ASSETS):
    """The folder of a shipped network; a PretrainedError naming the shipped ones if unknown."""
    path = Path(root) / str(name)
    if not isinstance(name, str) or not list(path.glob("*.npz")):
        shipped = ", ".join(map(repr, names(root))) or "none"
        raise PretrainedError(f"No pretrained model {name!r}. Shipped: {shipped}.")
    return path


def read(name, root=ASSETS):
    """``(folder, spec, arrays)``: the config and the float16 weights, in order."""
    path = folder(name, root)
    spec = json.loads((path / "config.json").read_text(encoding="utf-8"))
    (weights,) = path.glob("*.npz")
    with np.load(weights) as f:
        arrays = [f[f"w{i}"] for i in range(len(f.files))]
    return path, spec, arrays


def fit(network, arrays, path):
    """Set ``network``'s weights from shipped ``arrays``; a PretrainedError if they differ."""
    shapes = [tuple(w.shape) for w in network.weights]
    if [a.shape for a in arrays] != shapes:
        raise PretrainedError(f"{path} does not fit the network of its config.json "
                              f"({len(arrays)} arrays for {len(shapes)} weights).")
    network.set_weights([a.astype(np.float32) for a in arrays])
    return network


def load(name, root=ASSETS):
    """``(folder, spec, network)`` of a shipped network, rebuilt by its model's loader."""
    path, spec, arrays = read(name, root)
    if spec.get("model") not in LOADERS:
        raise PretrainedError(f"{path} holds a {spec.get('model')!r} network; the course ships "
                              f"networks of {', '.join(sorted(LOADERS)) or 'no model'}.")
    return path, spec, LOADERS[spec["model"]](spec, arrays, path)


def write(network, run_dir, out):
    """Ship ``network`` (float16 ``<its name>.npz``) with ``run_dir``'s config and metrics into
    the folder ``out``; returns it."""
    import shutil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.npz"):
        old.unlink()
    np.savez_compressed(out / f"{network.name}.npz", **{
        f"w{i}": np.asarray(w, np.float16) for i, w in enumerate(network.get_weights())})
    for file in ("config.json", "metrics.json"):
        shutil.copy(Path(run_dir) / file, out / file)
    return out
