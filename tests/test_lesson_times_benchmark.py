"""benchmarks/lesson_times.py runs a lesson top to bottom and times it and its training."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
lesson_times = pytest.importorskip("lesson_times")


def test_a_lesson_is_timed_whole_and_its_training_apart(capsys):
    rows = lesson_times.main(["--profile", "quick", "--lessons", "01", "--timeout", "600"])
    (row,) = rows
    assert row["lesson"].startswith("01_") and row["cells"] > 10
    assert 0 < row["training_seconds"] < row["seconds"]
    assert "01_gan_loss_math" in capsys.readouterr().out


def test_an_unknown_lesson_is_a_clear_error():
    with pytest.raises(SystemExit, match="no solution notebook matches --lessons 42"):
        lesson_times.main(["--lessons", "42"])
