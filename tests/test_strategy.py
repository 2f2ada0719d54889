"""Training under tf.distribute, on two logical CPU devices made in a fresh process each time
(TensorFlow fixes its devices when first used): tests/strategy_worker.py does the work."""

import json
import os
import subprocess
import sys

import pytest

import gan_course as gc
from gan_course import models
from tests.conftest import ROOT, needs_mnist

pytestmark = needs_mnist


def worker(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "strategy_worker.py"), *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"worker failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.parametrize("model", models.names())
def test_two_replicas_train_as_one_device_on_the_same_global_batch(model):
    result = worker("compare", model, "3")
    assert result["replicas"] == 2
    assert result["moved"] > 1e-4  # training changed the weights...
    assert result["max_diff"] < 1e-5  # ...as one device changes them, up to float rounding
    # Extra state such as a CycleGAN's stored fakes holds a deep network's outputs, whose
    # rounding differs more between one and two devices than the weights' do.
    assert result["extra_diff"] < 1e-4
    assert result["generated"] == 5  # not 5 per replica
    assert result["steps_per_execution"] == 1  # Keras' multi-step loop fails under a strategy


def test_a_mirrored_run_records_its_strategy_and_opens_on_one_device(tmp_path):
    result = worker("train", str(tmp_path / "run"), "mirrored")
    assert (result["strategy"], result["replicas"], result["epoch"]) == ("mirrored", 2, 3)
    assert result["generated"] == 5
    assert result["metrics"]["replicas"] == 2 and result["metrics"]["steps"] == 60
    run = gc.load_run(tmp_path / "run")  # this process: one device
    assert run.generate(5, seed=1).shape == (5, 28, 28, 1)
    resumed = gc.train("mlp_gan", out_dir=tmp_path / "run", resume=True, verbose=0)
    assert resumed.spec["strategy"] == "default" and resumed.spec["replicas"] == 1


def test_multiworker_strategy_trains_alone_without_tf_config(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = worker("train", str(tmp_path / "run"), "multiworker")
    assert result["strategy"] == "multiworker" and result["epoch"] == 3
    assert result["generated"] == 5
