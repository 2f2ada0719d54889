import numpy as np
import pytest

from gan_course import cli
from tests.conftest import needs_mnist


def test_unknown_model_is_a_clean_error(capsys):
    assert cli.main(["train", "nosuchgan", "--profile", "quick", "--out", "unused"]) == 2
    assert "Unknown model 'nosuchgan'" in capsys.readouterr().err


def test_doctor_reports_devices_and_data(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "tensorflow / keras" in out and "profile" in out and "dataset mnist" in out


def test_doctor_reports_a_mistyped_profile_and_a_data_path_that_is_a_file(tmp_path, monkeypatch,
                                                                           capsys):
    monkeypatch.setenv("GAN_COURSE_PROFILE", "quik")
    (tmp_path / "data.zip").write_bytes(b"PK")
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "data.zip"))
    assert cli.main(["doctor"]) == 0
    rows = capsys.readouterr().out.splitlines()
    profile = next(row for row in rows if " profile " in row)
    assert profile.startswith("--") and "Unknown profile 'quik'" in profile
    root = next(row for row in rows if "GAN_COURSE_DATA" in row)
    assert root.startswith("--") and "data.zip is a file; expected a folder" in root


def test_doctor_prints_its_table_without_tensorflows_start_up_lines():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-m", "gan_course.cli", "doctor"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0 and "tensorflow / keras" in done.stdout, done.stderr[-2000:]
    for line in ("oneDNN", "cuda", "absl::InitializeLog"):
        assert line not in done.stderr, done.stderr[-2000:]


def test_sample_needs_a_run_directory(tmp_path, capsys):
    assert cli.main(["sample", str(tmp_path), "--n", "4", "--out", str(tmp_path / "s.npz")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"name": "my own project"}')
    assert cli.main(["sample", str(tmp_path), "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{tmp_path / 'config.json'} is not a training run's config.json" in err


@needs_mnist
def test_out_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    out = tmp_path / "notes.txt" / "run"
    assert cli.main(["train", "mlp_gan", "--profile", "quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gan-course train: error: {out}: Not a directory")
    assert "a part of that path is a file" in err and err.count("\n") == 1


@needs_mnist
def test_train_then_sample_with_labels_cycled(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "mlp_gan", "--dataset", "mnist", "--profile", "quick",
                     "--out", str(out), "--seed", "1"]) == 0
    assert "steps" in capsys.readouterr().out
    assert cli.main(["train", "mlp_gan", "--profile", "quick", "--out", str(out), "--resume"]) == 0
    assert cli.main(["sample", str(out), "--n", "12", "--out", str(tmp_path / "s.npz")]) == 0
    capsys.readouterr()
    assert cli.main(["sample", str(out), "--n", "2", "--out", str(tmp_path / "samples")]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'samples.npz'}"
    assert (tmp_path / "samples.npz").is_file()
    assert cli.main(["sample", str(out), "--n", "4", "--labels", "0,1",
                     "--out", str(tmp_path / "l.npz")]) == 2
    assert "not a conditional model" in capsys.readouterr().err
    with np.load(tmp_path / "s.npz") as f:
        assert f["images"].shape == (12, 28, 28, 1) and f["images"].dtype == np.float32
        assert f["images"].min() >= 0 and f["images"].max() <= 1


@pytest.mark.parametrize("argv", [["lessons", "verify"]])
def test_lessons_verify_passes_on_the_repository(argv):
    assert cli.main(argv) == 0


def test_train_help_names_exactly_the_registered_models(capsys):
    from gan_course import models

    assert set(cli.MODELS) == set(models.names())
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    usage = capsys.readouterr().out
    assert all(name in usage for name in cli.MODELS)


def test_help_answers_without_starting_tensorflow():
    # a fresh interpreter: this one has loaded TensorFlow long ago
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from gan_course import cli\n"
         "try:\n    cli.main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
         "print('tensorflow' in sys.modules)"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False" and "usage: gan-course train" in done.stdout
    assert "absl" not in done.stderr and "oneDNN" not in done.stderr
