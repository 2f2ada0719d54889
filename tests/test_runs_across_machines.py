"""A run opens and resumes on any machine: in its own precision whatever the machine's default,
in another precision when asked, and only as the run it is (model, dataset, seed)."""

import json

import keras
import numpy as np
import pytest

import gan_course as gc
from gan_course import cli, runs
from gan_course.models import registry
from tests.conftest import needs_mnist

POLICIES = {"mixed": "mixed_float16", "float32": "float32"}


def first_epoch_of(out, precision, monkeypatch):
    """A quick mlp_gan run stopped after its first of three epochs, trained in ``precision``."""
    quick = registry.SETTINGS["mlp_gan"]["quick"]
    with monkeypatch.context() as m:
        m.setitem(registry.SETTINGS["mlp_gan"], "quick", dict(quick, steps=quick["steps_per_epoch"]))
        gc.train("mlp_gan", profile="quick", seed=5, out_dir=out, precision=precision, verbose=0)
    spec = json.loads((out / "config.json").read_text())
    spec["settings"]["steps"] = quick["steps"]
    (out / "config.json").write_text(json.dumps(spec))
    return spec


def computes_in(run):
    return {layer.compute_dtype for layer in run.model.generator.layers[1:-2]}


@needs_mnist
@pytest.mark.parametrize("trained, machine", [("mixed", "float32"), ("float32", "mixed")])
def test_a_run_loads_samples_and_resumes_in_its_own_precision(tmp_path, monkeypatch, trained,
                                                              machine):
    spec = first_epoch_of(tmp_path / "run", trained, monkeypatch)
    assert spec["precision"] == trained
    # Another machine: its default precision is the other one (a laptop, a GPU).
    keras.mixed_precision.set_global_policy(POLICIES[machine])
    monkeypatch.setattr(gc.config, "default_precision", lambda prof=None: machine)
    loaded = gc.load_run(tmp_path / "run")
    assert loaded.precision == trained and loaded.epoch == 1
    assert computes_in(loaded) == {"float16" if trained == "mixed" else "float32"}
    samples = loaded.generate(6, seed=2)
    assert samples.shape == (6, 28, 28, 1) and np.isfinite(samples).all()
    assert keras.mixed_precision.global_policy().name == POLICIES[machine]  # left as it was

    resumed = gc.train("mlp_gan", out_dir=tmp_path / "run", resume=True, verbose=0)
    assert resumed.epoch == 3 and resumed.precision == trained
    assert resumed.metrics["precision"] == trained and resumed.metrics["steps"] == 60
    assert isinstance(resumed.model.g_optimizer, keras.optimizers.LossScaleOptimizer) == (
        trained == "mixed")


@needs_mnist
def test_a_mixed_run_opens_and_resumes_in_float32_when_asked(tmp_path, monkeypatch):
    first_epoch_of(tmp_path / "run", "mixed", monkeypatch)
    mixed = gc.load_run(tmp_path / "run")
    as_float32 = gc.load_run(tmp_path / "run", precision="float32")
    assert computes_in(as_float32) == {"float32"}
    for a, b in zip(mixed.model.generator.weights, as_float32.model.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # the weights are float32 in both
    np.testing.assert_allclose(as_float32.generate(4, seed=1), mixed.generate(4, seed=1), atol=0.02)
    resumed = gc.train("mlp_gan", out_dir=tmp_path / "run", resume=True, precision="float32",
                       verbose=0)
    assert resumed.epoch == 3 and resumed.precision == "float32"
    assert json.loads((tmp_path / "run" / "config.json").read_text())["precision"] == "float32"


def test_unknown_precision_and_strategy_are_explained(tmp_path):
    with pytest.raises(ValueError, match="precision 'half'; choose one of: mixed, float32"):
        gc.train("mlp_gan", out_dir=tmp_path, precision="half")
    with pytest.raises(ValueError, match="strategy 'tpu'; choose one of: default, mirrored"):
        gc.train("mlp_gan", out_dir=tmp_path, strategy="tpu")


# --- resuming only the same run ------------------------------------------------------------------

def a_run_folder(tmp_path, model="dcgan", dataset="mnist", seed=3):
    """A run directory's config.json, as gc.train writes it (resume checks it before training)."""
    out = tmp_path / "run"
    out.mkdir()
    spec = {"model": model, "dataset": dataset, "profile": "quick", "seed": seed,
            "precision": "float32", "image_shape": [28, 28, 1],
            "settings": gc.models.profile("quick")[model].as_dict()}
    (out / "config.json").write_text(json.dumps(spec))
    return out


@pytest.mark.parametrize("asked, named", [
    (dict(model="dcgan", dataset="fashion_mnist", seed=7), "dataset 'fashion_mnist' (the run has "
                                                           "'mnist'), seed 7 (the run has 3)"),
    (dict(model="mlp_gan"), "model 'mlp_gan' (the run has 'dcgan')"),
    (dict(model="dcgan", seed=0), "seed 0 (the run has 3)"),
])
def test_resuming_another_run_is_a_clear_error(tmp_path, asked, named):
    out = a_run_folder(tmp_path)
    model = asked.pop("model")
    with pytest.raises(runs.RunMismatchError) as err:
        gc.train(model, out_dir=out, resume=True, verbose=0, **asked)
    message = str(err.value)
    assert "holds dcgan on mnist with seed 3" in message and named in message
    assert "overwrite=True (--overwrite)" in message and "another out_dir (--out)" in message


def test_cli_resume_of_another_run_and_train_into_a_run_are_clean_errors(tmp_path, capsys):
    out = a_run_folder(tmp_path)
    argv = ["train", "dcgan", "--profile", "quick", "--out", str(out)]
    assert cli.main([*argv, "--dataset", "fashion_mnist", "--seed", "7", "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gan-course train: error: Cannot resume") and "--overwrite" in err
    assert cli.main(argv) == 2  # a run is there: say how to go on, no traceback
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--overwrite" in err and "Traceback" not in err


def test_cli_passes_overwrite_strategy_and_precision_to_train(monkeypatch, capsys):
    seen = {}

    class Done:
        metrics = {"model": "mlp_gan", "dataset": "mnist", "profile": "quick", "device": "CPU",
                   "steps": 1, "wall_seconds": 1.0, "steps_per_second": 1.0}

    def train(model, **kwargs):
        seen.update(kwargs, model=model)
        return Done()

    monkeypatch.setattr(runs, "train", train)
    assert cli.main(["train", "mlp_gan", "--out", "x", "--overwrite", "--strategy", "mirrored",
                     "--precision", "mixed"]) == 0
    assert seen["overwrite"] and seen["strategy"] == "mirrored" and seen["precision"] == "mixed"
    assert seen["seed"] is None  # a resumed run keeps its seed; a new one takes 0


# --- several machines --------------------------------------------------------------------------

def test_only_the_chief_writes_a_multiworker_run(tmp_path):
    from types import SimpleNamespace

    import tensorflow as tf

    def on(task_type, task_id, **cluster):
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id)
        return SimpleNamespace(cluster_resolver=resolver)

    workers = dict(worker=["localhost:1", "localhost:2"])
    assert runs.is_chief(on("worker", 0, **workers)) and not runs.is_chief(on("worker", 1, **workers))
    assert runs.is_chief(on("chief", 0, chief=["localhost:3"], **workers))
    assert not runs.is_chief(on("worker", 0, chief=["localhost:3"], **workers))
    assert runs.is_chief(tf.distribute.get_strategy())

    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / "checkpoint").write_text("saved by the chief")
    copy = runs._worker_directory(tmp_path, on("worker", 1, **workers), resume=True)
    assert copy != tmp_path and (copy / "checkpoint" / "checkpoint").read_text() == "saved by the chief"
    assert runs._worker_directory(tmp_path, on("worker", 0, **workers)) == tmp_path


@pytest.mark.parametrize("name", registry.names())
def test_under_mixed_precision_images_and_logits_stay_float32(name):
    from gan_course import config

    settings = registry.profile("quick")[name]
    size = settings.hparams.get("image_size")  # models built for one size (the art GAN) get it
    shape = (size, size, 3) if size else (28, 28, 1)
    with config.precision_policy("mixed"):
        model = registry.get(name).build(settings, shape, 0)
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    for network in (model.generator, model.discriminator):  # a CycleGAN's have two outputs
        outputs = network.output
        assert all(o.dtype == "float32" for o in (outputs if isinstance(outputs, list) else [outputs]))
    assert keras.mixed_precision.global_policy().name == "float32"  # put back


class _StopAfterOneEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


@needs_mnist
@pytest.mark.parametrize("name", registry.names())
def test_every_model_trains_under_mixed_precision(tmp_path, name):
    """The full profile's GPU path, run on a CPU: float16 layers, float32 outputs and losses,
    loss-scaled optimisers, finite metrics, steps applied."""
    run = gc.train(name, profile="quick", seed=0, out_dir=tmp_path / "run", precision="mixed",
                   verbose=0, callbacks=[_StopAfterOneEpoch()])
    model = run.model
    assert run.epoch == 1 and run.metrics["precision"] == "mixed"
    assert {layer.compute_dtype for layer in model.generator.layers[1:-2]} == {"float16"}
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert float(optimizer.scale_loss(keras.ops.ones(()))) == float(optimizer.dynamic_scale) > 1
    history = {key: values for key, values in run.history.items() if key != "step"}
    assert history and all(np.isfinite(values).all() for values in history.values())
    # the inner optimiser counts only the steps whose unscaled gradients were finite and applied;
    # an L1-only restorer (unet_l1) never updates its critic
    has_adversary = getattr(model, "adversarial_weight", 1.0) > 0
    assert (int(model.d_optimizer.iterations) > 0) is has_adversary
    assert int(model.g_optimizer.iterations) > 0
    assert keras.mixed_precision.global_policy().name == "float32"
