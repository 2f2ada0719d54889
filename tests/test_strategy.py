"""Training under tf.distribute, on two logical CPU devices made in a fresh process each time
(TensorFlow fixes its devices when first used): tests/strategy_worker.py does the work."""

import json
import os
import socket
import subprocess
import sys
import tempfile

import pytest

import gan_course as gc
from gan_course import models
from tests.conftest import ROOT, needs_mnist

pytestmark = needs_mnist


def start_worker(*args, **env):
    """tests/strategy_worker.py with ``args``, running in a process of its own. Its output goes
    to files: a worker blocked on a full pipe would stop its heartbeats to the others."""
    env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "strategy_worker.py"), *args],
        stdout=stdout, stderr=stderr, text=True, env=env, cwd=ROOT)
    process.outputs = stdout, stderr
    return process


def result_of(process, timeout=600):
    """What a worker printed as its result; a failed worker fails the test with its output."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    stdout, stderr = (_read(file) for file in process.outputs)
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, f"worker failed:\n{stdout[-2000:]}\n{stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def _read(file):
    file.seek(0)
    text = file.read()
    file.close()
    return text


def worker(*args):
    return result_of(start_worker(*args))


def results_of(processes):
    """What each worker printed as its result. If any failed, the test fails with every failed
    worker's output: the cause often shows only in the log of the worker that crashed first."""
    outcomes = []
    for process in processes:
        try:
            outcomes.append(result_of(process))
        except AssertionError as failure:
            outcomes.append(failure)
    failures = [str(outcome) for outcome in outcomes if isinstance(outcome, AssertionError)]
    assert not failures, "\n\n".join(failures)
    return outcomes


# unet_l1 is pix2pix's model and step with the adversary switched off: pix2pix covers it.
@pytest.mark.parametrize("model", [name for name in models.names() if name != "unet_l1"])
def test_two_replicas_train_as_one_device_on_the_same_global_batch(model):
    result = worker("compare", model, "3")
    assert result["replicas"] == 2
    assert result["moved"] > 1e-4  # training changed the weights...
    # ...as one device changes them, up to float rounding. The art GAN's Adam has beta_1 = 0 and a
    # rate of 2e-3 (StyleGAN2's), which turns the rounding of its smallest gradients into steps
    # of the full rate: 2.6e-5 apart after 3 steps.
    assert result["max_diff"] < (1e-4 if model == "art_gan" else 1e-5)
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


def test_two_different_models_train_mirrored_in_one_process(tmp_path):
    result = worker("two_models", str(tmp_path))
    assert result["epochs"] == {"mlp_gan": [2, 1], "dcgan": [2, 1]}
    assert result["same_strategy"]  # one MirroredStrategy per process and device set


def test_multiworker_strategy_trains_alone_without_tf_config(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = worker("train", str(tmp_path / "run"), "multiworker")
    assert result["strategy"] == "multiworker" and result["epoch"] == 3
    assert result["generated"] == 5


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_worker_processes_train_one_run_that_resumes(tmp_path):
    """A class that outgrows one machine: two workers (here two processes on localhost) train one run; the chief writes its checkpoint, and the run resumes."""
    def both(*args):
        # fresh ports for each pair: the last pair's may still be held by the system
        cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
        return results_of([start_worker(*args, LOGICAL_CPUS="1", TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})) for index in (0, 1)])

    run = tmp_path / "run"
    chief, other = both("train", str(run), "multiworker", "1")  # stopped after epoch 1
    assert (chief["strategy"], chief["replicas"], chief["epoch"]) == ("multiworker", 2, 1)
    assert other["epoch"] == 1 and chief["directory"] == str(run) != other["directory"]
    assert sorted(p.name for p in (run / "checkpoint").glob("ckpt-*.index")) == ["ckpt-1.index"]
    chief, other = both("train", str(run), "multiworker")
    assert chief["epoch"] == other["epoch"] == 3 and chief["generated"] == 5
    assert json.loads((run / "history.json").read_text())
    resumed_alone = worker("train", str(run), "default")  # a finished run opens on one machine
    assert resumed_alone["epoch"] == 3
