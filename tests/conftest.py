"""Shared test set-up: quick profile, the shared datasets, a fresh Keras state per test."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("GAN_COURSE_PROFILE", "quick")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if "GAN_COURSE_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["GAN_COURSE_DATA"] = str(SHARED_DATA)


def _has_mnist():
    root = os.environ.get("GAN_COURSE_DATA")
    return bool(root) and (Path(root) / "mnist.npz").is_file()


needs_mnist = pytest.mark.skipif(not _has_mnist(), reason="mnist.npz not found in GAN_COURSE_DATA")


@pytest.fixture(autouse=True)
def _fresh_keras():
    import keras

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    yield
