import json

import numpy as np
import pytest

import gan_course as gc
from gan_course import runs
from tests.conftest import needs_mnist

pytestmark = needs_mnist


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "mlp"
    return gc.train("mlp_gan", dataset="mnist", profile="quick", seed=0, out_dir=out, verbose=0)


def test_run_directory_holds_everything(quick_run):
    files = {p.name for p in quick_run.directory.iterdir()}
    assert {"checkpoint", "samples.png", "training.gif", "history.json", "metrics.json",
            "config.json"} <= files
    metrics = quick_run.metrics
    assert metrics["steps"] == 60 and metrics["profile"] == "quick" and metrics["device"] == "CPU"
    assert metrics["steps_per_second"] > 0 and metrics["wall_seconds"] > 0
    assert {"confident", "min_class_share", "fid", "class_shares"} <= set(metrics["quality"])
    assert isinstance(metrics["meets_bar"], bool)
    history = quick_run.history
    assert history["step"][-1] == 60 and len(history["step"]) == len(history["d_loss"])


def test_generate_is_seeded_and_in_range(quick_run):
    a = quick_run.generate(8, seed=1)
    assert a.shape == (8, 28, 28, 1) and a.dtype == np.float32 and 0 <= a.min() <= a.max() <= 1
    np.testing.assert_array_equal(a, quick_run.generate(8, seed=1))
    assert not np.array_equal(a, quick_run.generate(8, seed=2))


def test_load_run_restores_the_same_generator(quick_run):
    loaded = gc.load_run(quick_run.directory)
    assert loaded.epoch == 3
    np.testing.assert_allclose(loaded.generate(4, seed=5), quick_run.generate(4, seed=5), atol=1e-6)


def test_loading_a_run_leaves_the_students_random_generators_alone(quick_run):
    import random

    random.seed(7)
    np.random.seed(7)
    expected = random.random(), np.random.random()
    random.seed(7)
    np.random.seed(7)
    gc.load_run(quick_run.directory)
    assert (random.random(), np.random.random()) == expected


def test_existing_run_is_never_overwritten(quick_run):
    with pytest.raises(FileExistsError, match="resume=True"):
        gc.train("mlp_gan", profile="quick", out_dir=quick_run.directory, verbose=0)


def test_a_folder_that_is_not_a_run_is_named(tmp_path):
    foreign = tmp_path / "project"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"name": "my own project"}')
    for load in (lambda: gc.load_run(foreign),
                 lambda: gc.train("mlp_gan", out_dir=foreign, resume=True, verbose=0),
                 lambda: gc.train("mlp_gan", out_dir=foreign, overwrite=True, verbose=0)):
        with pytest.raises(runs.NotARunError, match=r"project/config\.json is not a training "
                                                    r"run's config\.json: it lacks model"):
            load()
    assert (foreign / "config.json").read_text() == '{"name": "my own project"}'


def test_a_truncated_config_json_is_named(quick_run, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(
        (quick_run.directory / "config.json").read_text()[:40])
    with pytest.raises(ValueError, match=r"broken/config\.json is not readable JSON"):
        gc.load_run(broken)
    run = gc.train("mlp_gan", dataset="mnist", profile="quick", out_dir=broken, overwrite=True,
                   verbose=0)  # a run's file cut short: training again replaces it
    assert run.spec["model"] == "mlp_gan"


def test_resuming_under_another_profile_warns(quick_run):
    with pytest.warns(UserWarning, match="trained with the quick profile"):
        run = gc.train("mlp_gan", profile="classroom", out_dir=quick_run.directory, resume=True,
                       verbose=0)
    assert run.profile == "quick" and run.epoch == 3


def test_a_finished_run_measured_by_an_older_course_is_measured_again(quick_run):
    path = quick_run.directory / "metrics.json"
    metrics = json.loads(path.read_text())
    older = {**metrics, "quality": {k: v for k, v in metrics["quality"].items()
                                    if k != "min_class_share"}}
    path.write_text(json.dumps(older))
    run = gc.train("mlp_gan", out_dir=quick_run.directory, resume=True, verbose=0)
    assert run.metrics["quality"]["min_class_share"] == metrics["quality"]["min_class_share"]
    assert run.metrics["wall_seconds"] == metrics["wall_seconds"]  # the training time is kept
    path.write_text(json.dumps({**metrics, "bar": {"an older bar": True}}))
    assert set(gc.train("mlp_gan", out_dir=quick_run.directory, resume=True,
                        verbose=0).metrics["bar"]) == set(metrics["bar"])
    written = path.stat().st_mtime_ns
    gc.train("mlp_gan", out_dir=quick_run.directory, resume=True, verbose=0)
    assert path.stat().st_mtime_ns == written  # up to date: loaded, not measured again


# The DCGAN has dropout's random state, a code head in its discriminator and a learnt prior.
@pytest.mark.parametrize("model", ["mlp_gan", "dcgan"])
def test_resuming_gives_the_same_weights_as_an_unbroken_run(tmp_path, model):
    unbroken = gc.train(model, profile="quick", seed=3, out_dir=tmp_path / "a", verbose=0)
    # Stop after the first epoch: train a copy whose config asks for one epoch, then resume to three.
    first = tmp_path / "b"
    gc.train(model, profile="quick", seed=3, out_dir=first, verbose=0)
    spec = json.loads((first / "config.json").read_text())
    import shutil

    shutil.rmtree(first)
    first.mkdir()
    steps, per_epoch = spec["settings"]["steps"], spec["settings"]["steps_per_epoch"]
    spec["settings"]["steps"] = per_epoch
    (first / "config.json").write_text(json.dumps(spec))
    partial = runs._fit(runs.load_run(first), 0, ())
    assert partial.epoch == 1
    spec["settings"]["steps"] = steps
    (first / "config.json").write_text(json.dumps(spec))
    resumed = gc.train(model, profile="quick", seed=3, out_dir=first, resume=True, verbose=0)
    assert resumed.epoch == steps // per_epoch == 3
    for a, b in zip(unbroken.model.generator.weights + unbroken.model.discriminator.weights,
                    resumed.model.generator.weights + resumed.model.discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    history_steps = resumed.history["step"]
    assert history_steps == sorted(set(history_steps)) and history_steps[-1] == steps


def test_corrupt_checkpoint_is_reported(quick_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(quick_run.directory, copy)
    for shard in (copy / "checkpoint").glob("*.data-*"):
        shard.write_bytes(b"\0garbage" * 10)
    with pytest.raises(runs.CheckpointError, match="corrupt or was written by a different model"):
        gc.load_run(copy)


def test_mismatched_checkpoint_is_reported(quick_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(quick_run.directory, copy)
    spec = json.loads((copy / "config.json").read_text())
    spec["settings"]["hparams"]["hidden"] = [32, 32]
    (copy / "config.json").write_text(json.dumps(spec))
    with pytest.raises(runs.CheckpointError, match="Cannot restore"):
        gc.load_run(copy)


def test_sample_npz_for_other_tools(quick_run, tmp_path):
    path = quick_run.save_samples(tmp_path / "s.npz", n=10, seed=0)
    with np.load(path) as f:
        assert set(f.files) == {"images"}
        assert f["images"].shape == (10, 28, 28, 1) and f["images"].dtype == np.float32


def test_sample_path_without_npz_is_the_file_written(quick_run, tmp_path):
    path = quick_run.save_samples(tmp_path / "samples", n=2)
    assert path == tmp_path / "samples.npz" and path.is_file()


@pytest.mark.parametrize("dataset", [
    "mnist", pytest.param("fashion_mnist", marks=pytest.mark.data("fashion_mnist"))])
def test_dcgan_trains_on_both_datasets(tmp_path, dataset):
    run = gc.train("dcgan", dataset=dataset, profile="quick", out_dir=tmp_path / dataset, verbose=0)
    assert run.metrics["steps"] == 30 and run.metrics["dataset"] == dataset
    assert set(run.metrics["bar"]) == {"confident >= 0.90", "every class >= 5%"}
    assert run.generate(2).shape == (2, 28, 28, 1)


def test_dcgan_run_keeps_its_code_head_and_learnt_prior(tmp_path):
    run = gc.train("dcgan", profile="quick", out_dir=tmp_path / "info", verbose=0)
    assert isinstance(run.model, gc.models.dcgan.InfoGAN) and run.model.latent_dim == 24 + 10 + 2
    assert len(run.history["info_loss"]) == len(run.history["step"])
    prior = run.model.category_prior.numpy()
    assert not np.allclose(prior, 0.1) and prior.sum() == pytest.approx(1, abs=1e-5)
    loaded = gc.load_run(run.directory)
    np.testing.assert_array_equal(loaded.model.category_prior.numpy(), prior)
    for a, b in zip(run.model.discriminator.weights, loaded.model.discriminator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(loaded.generate(3, seed=4), run.generate(3, seed=4), atol=1e-6)
