"""Shared test set-up: quick profile, datasets found as the library finds them, fresh Keras state.

Tests that need a dataset carry the ``data`` marker (``needs_mnist``); so do nbval's cells of
notebooks that name one. Before such a test runs, the dataset is looked up exactly as the library
does (``$GAN_COURSE_DATA``, Keras' cache, then the download). When it cannot be had the test fails
with the library's own message: a missing dataset never passes silently. Data tests are skipped
only on request: ``GAN_COURSE_SKIP_DATA_TESTS=1``, or deselect them with ``-m "not data"``.
"""

import functools
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SKIP_DATA = "GAN_COURSE_SKIP_DATA_TESTS"

os.environ.setdefault("GAN_COURSE_PROFILE", "quick")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if "GAN_COURSE_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["GAN_COURSE_DATA"] = str(SHARED_DATA)

needs_mnist = pytest.mark.data("mnist")


@functools.cache
def notebook_datasets(path):
    """The image datasets a notebook's code names as a string (e.g. ``dataset="mnist"``)."""
    from gan_course.data import IMAGE_SETS

    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return tuple(name for name in IMAGE_SETS if re.search(rf"[\"']{name}[\"']", code))


@functools.cache
def dataset_problem(name):
    """None when the library finds (or downloads) the dataset, else the library's message."""
    from gan_course.data import DatasetNotFoundError, find_file

    try:
        find_file(name)
    except DatasetNotFoundError as err:
        return str(err)
    return None


def data_tests_skipped():
    return os.environ.get(SKIP_DATA, "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """nbval's cells carry the data marker of their notebook (before ``-m`` deselects)."""
    for item in items:
        path = getattr(item, "path", None)
        if path is not None and path.suffix == ".ipynb" and notebook_datasets(path):
            item.add_marker(pytest.mark.data(*notebook_datasets(path)))


class DataGate:
    """Before a data test: skip it on request, fail it when its dataset cannot be had.

    A plugin rather than a conftest hook, so that it also sees the notebooks under
    ``solutions/`` (a conftest's set-up hooks reach only the tests in its own folder).
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        names = {name for mark in item.iter_markers("data") for name in (mark.args or ("mnist",))}
        if not names:
            return
        if data_tests_skipped():
            pytest.skip(f"data tests skipped on request ({SKIP_DATA}={os.environ[SKIP_DATA]})")
        for name in sorted(names):
            problem = dataset_problem(name)
            if problem:
                pytest.fail(f"{problem}\nTo run only the tests that need no dataset, set "
                            f"{SKIP_DATA}=1 or pass -m 'not data'.", pytrace=False)


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("gan-course-data-gate"):
        config.pluginmanager.register(DataGate(), "gan-course-data-gate")


@pytest.fixture(autouse=True)
def _fresh_keras():
    import keras

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    yield
