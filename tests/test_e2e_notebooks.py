"""Every solution notebook, run in JupyterLab in headless Chromium as a student runs it.

A copy of each ``solutions/*.ipynb`` is opened in the quick profile and run from the Run menu.
The test fails when a cell errors, when a widget does not render as a live widget, when an image
in a widget is shown wider than its own pixels (or distorted), or when dragging the slider of an
interactive widget leaves its image unchanged. Screenshots of every widget, before and after the
slider moved, go to ``test-artifacts/e2e/`` (ignored by git). Small broken notebooks prove that
each of these failures is caught.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests import browser_lab
from tests.conftest import ROOT, notebook_datasets

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
UNAVAILABLE = browser_lab.browser_unavailable()


def _solution_param(path):
    datasets = notebook_datasets(path)
    marks = [pytest.mark.data(*datasets)] if datasets else []
    return pytest.param(path, marks=marks, id=path.stem)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server (quick profile) and a headless Chromium, shared by this module."""
    if UNAVAILABLE:
        pytest.skip(f"browser tests not run: {UNAVAILABLE}")
    from playwright.sync_api import sync_playwright

    workdir = tmp_path_factory.mktemp("lab")
    (workdir / "notebooks").mkdir()
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    server = browser_lab.LabServer(workdir / "notebooks", workdir,
                                   env={"GAN_COURSE_PROFILE": "quick", "PYTHONPATH": pythonpath})
    try:
        with sync_playwright() as playwright:
            browser = browser_lab.open_browser(playwright)
            try:
                yield server, browser
            finally:
                browser.close()
    finally:
        server.stop()


def run_in_browser(lab, notebook, settle_s=30):
    """Run ``notebook`` in the page; raise AssertionError listing every problem seen."""
    server, browser = lab
    problems, shots, seconds = browser_lab.check_notebook(browser, server, notebook, ARTIFACTS,
                                                          settle_s=settle_s)
    print(f"{Path(notebook).name}: {seconds:.0f} s in the browser; screenshots: "
          + ", ".join(p.name for p in shots) + "".join(f"\n  problem: {p}" for p in problems))
    assert not problems, (f"{Path(notebook).name} in JupyterLab:\n  " + "\n  ".join(problems)
                          + f"\nserver log:\n{server.log_tail(10)}")
    return shots


@pytest.mark.parametrize("notebook", [_solution_param(p) for p in SOLUTIONS])
def test_solution_runs_in_jupyterlab_with_live_widgets(lab, notebook):
    shots = run_in_browser(lab, notebook)
    assert all(p.is_file() and p.stat().st_size > 0 for p in shots)


# --- the same checks on notebooks that are broken on purpose ------------------------------------

HEADER = """import numpy as np
from gan_course import widgets

def decode(z):
    # 8-pixel gray images that depend on the latent: every latent gives a different picture.
    z = np.asarray(z, np.float32)
    return (1 / (1 + np.exp(-z[:, :64]))).reshape(-1, 8, 8, 1)"""

BROKEN = {
    "slider_raises": (HEADER + """
calls = []
def broken_decode(z):
    calls.append(len(z))
    if len(calls) > 1:
        raise RuntimeError("the generator broke")
    return decode(z)

widgets.InterpolationPlayer(broken_decode, latent_dim=64)""",
                      "dragging its slider did not change its image"),
    "cell_raises": (HEADER + "\nwidgets.InterpolationPlayer(decode, latent_dim=0)",
                    "raised ValueError: latent_dim must be a positive integer"),
    "image_stretched": ("""import io
import ipywidgets as W
from PIL import Image
png = io.BytesIO()
Image.new("L", (64, 64), 128).save(png, format="PNG")
W.VBox([W.Image(value=png.getvalue()), W.FloatSlider()])  # the box stretches the image""",
                        "wider than its intended 64 px"),
    "model_missing": ("""from IPython.display import display
display({"application/vnd.jupyter.widget-view+json": {
             "model_id": "0123456789abcdef", "version_major": 2, "version_minor": 0},
         "text/plain": "InterpolationPlayer(...)"}, raw=True)""", "say 'Error displaying widget'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_widget_notebook_fails_the_check(lab, tmp_path, case):
    source, expected = BROKEN[case]
    nb = new_notebook(cells=[new_code_cell(source)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"},
        "language_info": {"name": "python"}})
    path = tmp_path / f"broken_{case}.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match=expected):
        run_in_browser(lab, path, settle_s=10)  # its picture never changes: wait less
