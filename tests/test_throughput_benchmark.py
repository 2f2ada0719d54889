"""benchmarks/throughput.py runs for every kind of model and writes its rows as JSON (the
numbers themselves are measured on a quiet machine, not in tests)."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, needs_mnist


@needs_mnist
def test_throughput_compares_the_course_step_with_the_eager_and_classic_loops(tmp_path):
    out = tmp_path / "throughput.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--model", "mlp_gan",
         "dcgan", "cgan", "--profile", "quick", "--steps", "20", "--eager-steps", "2",
         "--classic-steps", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    methods = {(row["model"], row["method"].split(" (")[0]) for row in rows}
    assert ("mlp_gan", "classic loop") in methods and ("cgan", "classic loop") not in methods
    # the classic loop's networks: the DCGAN's without InfoGAN's code head, under the course's step
    assert ("dcgan", "course profile, the classic loop's networks") in methods
    assert ("mlp_gan", "course profile, the classic loop's networks") not in methods
    assert {("mlp_gan", "floor: forward + gradients only, classic's networks"),
            ("dcgan", "floor: forward + gradients only, classic's networks")} <= methods
    assert ("cgan", "floor: forward + gradients only, classic's networks") not in methods
    for name in ("mlp_gan", "dcgan", "cgan"):
        assert {(name, "eager train_step"), (name, "course, tf.function, 1 step/call"),
                (name, "course profile")} <= methods
    assert all(row["steps_per_second"] > 0 for row in rows)
    assert "vs eager" in done.stdout and "mlp_gan, batch" in done.stdout
