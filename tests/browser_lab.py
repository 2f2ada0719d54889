"""JupyterLab in a headless Chromium, driven the way a student uses it (end-to-end tests).

``LabServer`` starts JupyterLab on localhost with a token, isolated from the user's Jupyter
settings; ``open_browser`` launches Debian's Chromium through Playwright; ``NotebookSession``
opens a notebook, runs it from the Run menu, saves it and inspects what the page shows.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Lab settings for a test: keep every cell in the DOM (no windowing) and ask nothing about news.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autoStartDefaultKernel": True},
}


def find_chromium():
    """Path of a Chromium executable ($GAN_COURSE_CHROMIUM, else on PATH), or None."""
    explicit = os.environ.get("GAN_COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_unavailable():
    """Why the browser tests cannot run here (a sentence), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python playwright client is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        return ("no Chromium found (apt-get install chromium, or point GAN_COURSE_CHROMIUM at "
                "a Chromium executable)")
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server serving ``root_dir`` on 127.0.0.1, its log in ``workdir/lab.log``."""

    def __init__(self, root_dir, workdir, env=None, timeout=90):
        self.root_dir, self.workdir = Path(root_dir), Path(workdir)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.log_path = self.workdir / "lab.log"
        settings = self.workdir / "user-settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        run_env = {**os.environ, **(env or {})}
        run_env.pop("MPLBACKEND", None)  # the kernel must draw figures inline, as for a student
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
            run_env[var] = str(self.workdir / sub)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root_dir}",
                   f"--LabApp.user_settings_dir={settings}",
                   f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
                   "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                   "jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, cwd=self.root_dir, env=run_env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_up(timeout)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def _wait_until_up(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log_tail()}")

    def sessions(self):
        """The server's notebook sessions (path, kernel state), from its REST API."""
        with urllib.request.urlopen(self.url("api/sessions"), timeout=10) as reply:
            return json.load(reply)

    def log_tail(self, lines=30):
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def open_browser(playwright):
    """Headless Chromium (the system's, not a Playwright download)."""
    return playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)


def saved_problems(path):
    """What went wrong in a saved, executed notebook: cells that errored or never ran."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"cell {number} raised {out.ename}: {out.evalue}")
        if cell.execution_count is None and not any("error" in p for p in problems):
            problems.append(f"cell {number} never ran")
    return problems


def saved_widget_count(path):
    """How many widget views the kernel sent to the page (outputs with the widget mime type)."""
    nb = nbformat.read(path, as_version=4)
    return sum(WIDGET_MIME in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


# --- driving one notebook in the page -----------------------------------------------------------

# Outputs whose content is a widget view (the widget manager's DOM, not a text fallback).
WIDGET_OUTPUTS = ".jp-OutputArea-output:has(> .jupyter-widgets)"

PROMPTS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"""

# Notes when any cell shows the queued prompt [*], however briefly.
WATCH_RUN_JS = """() => {
    window.__cellsQueued = false;
    const notebook = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
    new MutationObserver(() => {
        if ([...notebook.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*')))
            window.__cellsQueued = true;
    }).observe(notebook, {subtree: true, childList: true, characterData: true});
}"""

DESCRIBE_JS = """el => ({
    text: el.innerText.slice(0, 300),
    sliders: el.querySelectorAll('.widget-hslider .noUi-handle').length,
    images: [...el.querySelectorAll('img')].map(img => {
        const r = img.getBoundingClientRect();
        return {natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height]};
    }),
})"""

# A digest of the pixels of every image in a widget: what the student sees, not the src URL.
PIXELS_JS = """async el => Promise.all([...el.querySelectorAll('img')].map(async img => {
    try { await img.decode(); } catch (e) { return 'undecodable'; }
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < data.length; i++) hash = (Math.imul(hash, 31) + data[i]) >>> 0;
    return `${canvas.width}x${canvas.height}:${hash}`;
}))"""


def image_size_problems(label, images):
    """Images shown wider than their own pixels, or squashed out of their aspect ratio."""
    problems = []
    for k, img in enumerate(images):
        (nw, nh), (w, h) = img["natural"], img["shown"]
        if nw == 0 or w == 0 or h == 0:
            problems.append(f"{label}: image {k} is not shown (natural {nw}x{nh}, on page "
                            f"{w:.0f}x{h:.0f})")
        elif w > nw + 1:
            problems.append(f"{label}: image {k} is {w:.0f} px wide on the page, wider than its "
                            f"intended {nw} px (stretched to {w:.0f}x{h:.0f})")
        elif abs(h / w - nh / nw) > 0.02 * nh / nw:
            problems.append(f"{label}: image {k} is distorted: {nw}x{nh} shown as {w:.0f}x{h:.0f}")
    return problems


class NotebookSession:
    """A notebook opened in its own tab of a running ``LabServer``."""

    def __init__(self, browser, server, relpath, artifacts, viewport=(1280, 1000)):
        self.server, self.relpath, self.artifacts = server, relpath, Path(artifacts)
        self.stem = Path(relpath).stem
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.set_default_timeout(30_000)
        # A workspace of its own, reset: no notebook from an earlier test is reopened beside it.
        workspace = f"lab/workspaces/{secrets.token_hex(4)}/tree/{relpath}"
        self.page.goto(server.url(workspace) + "&reset")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        self._wait_for_kernel()

    def _wait_for_kernel(self, timeout_s=120, settle_polls=3):
        """Wait until the server's kernel for the notebook and the page both say idle.

        The page shows "idle" for a moment before the kernel is even connected; clicking Run
        then opens a kernel dialog. So the server must report the kernel idle and the page
        must stay idle for a few polls in a row.
        """
        indicator = self.page.locator(".jp-Notebook-ExecutionIndicator")
        kernel_dialog = self.page.locator(".jp-Dialog:has-text('Select Kernel')")
        deadline, steady = time.monotonic() + timeout_s, 0
        while steady < settle_polls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel of {self.relpath} was not ready in {timeout_s} s")
            if kernel_dialog.count():  # the notebook names its kernel: accept it, as a student would
                kernel_dialog.locator(".jp-mod-accept").click()
            ready = any(s.get("path") == self.relpath
                        and s.get("kernel", {}).get("execution_state") == "idle"
                        for s in self.server.sessions())
            page_idle = indicator.count() and indicator.first.get_attribute("data-status") == "idle"
            steady = steady + 1 if ready and page_idle else 0
            time.sleep(0.5)

    def run_all(self, timeout_s):
        """Run every cell from the Run menu and wait until the kernel is done."""
        self.page.evaluate(WATCH_RUN_JS)
        self.page.click(".lm-MenuBar-item:has-text('Run')")
        self.page.click(".lm-Menu-item[data-command='runmenu:run-all']")
        self.page.wait_for_function("() => window.__cellsQueued === true", timeout=60_000)
        done = f"""() => !({PROMPTS_JS})().some(t => t.includes('*')) && document.querySelector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null"""
        self.page.wait_for_function(done, timeout=timeout_s * 1000, polling=500)

    def save(self):
        """Save from the File menu and wait until the tab is no longer marked as changed."""
        self.page.click(".lm-MenuBar-item:has-text('File')")
        self.page.click(".lm-Menu-item[data-command='docmanager:save']")
        self.page.wait_for_selector(".lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)")
        return self.server.root_dir / self.relpath

    def widgets(self):
        return self.page.locator(WIDGET_OUTPUTS)

    def describe(self, widget):
        widget.scroll_into_view_if_needed()
        return widget.evaluate(DESCRIBE_JS)

    def pixels(self, widget):
        return widget.evaluate(PIXELS_JS)

    def screenshot(self, widget, name):
        path = self.artifacts / f"{self.stem}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(path))
        return path

    def move_first_slider(self, widget, fraction=0.75):
        """Drag the widget's first slider handle to ``fraction`` of its track with the mouse."""
        slider = widget.locator(".widget-hslider").first
        slider.scroll_into_view_if_needed()
        handle = slider.locator(".noUi-handle").first.bounding_box()
        track = slider.locator(".noUi-base").first.bounding_box()
        y = handle["y"] + handle["height"] / 2
        self.page.mouse.move(handle["x"] + handle["width"] / 2, y)
        self.page.mouse.down()
        self.page.mouse.move(track["x"] + fraction * track["width"], y, steps=8)
        self.page.mouse.up()

    def close(self):
        """Shut the notebook's kernel down and close the tab."""
        for session in self.server.sessions():
            if session.get("path") == self.relpath:
                url = self.server.url(f"api/sessions/{session['id']}")
                urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30)
        self.page.close()


def check_notebook(browser, server, source, artifacts, timeout_s=1200, settle_s=30):
    """Run a copy of ``source`` in the page; returns (problems, screenshots, seconds).

    Problems: cells that errored or never ran; widget views that did not render live (text
    fallback, "Error displaying widget"); widget images wider than their own pixels or
    distorted; interactive widgets (a slider and an image) whose image does not change when
    the slider is dragged.
    """
    relpath = Path(source).name
    shutil.copy(source, server.root_dir / relpath)
    start = time.monotonic()
    session = NotebookSession(browser, server, relpath, artifacts)
    problems, shots = [], []
    try:
        session.run_all(timeout_s)
        saved = session.save()
        problems += saved_problems(saved)
        widgets, expected = session.widgets(), saved_widget_count(saved)
        deadline = time.monotonic() + settle_s  # views render asynchronously
        while widgets.count() < expected and time.monotonic() < deadline:
            time.sleep(0.25)
        failed_views = session.page.locator(".jp-OutputArea-output",
                                            has_text="Error displaying widget").count()
        if failed_views:
            problems.append(f"{failed_views} output(s) say 'Error displaying widget'")
        if widgets.count() != expected:
            problems.append(f"the kernel sent {expected} widget view(s); {widgets.count()} "
                            "rendered as live widgets (the others show text or nothing)")
        for k in range(widgets.count()):
            widget, label = widgets.nth(k), f"widget {k + 1}"
            info = session.describe(widget)
            shots.append(session.screenshot(widget, f"widget{k + 1}"))
            problems += image_size_problems(label, info["images"])
            if info["sliders"] and info["images"]:
                before = session.pixels(widget)
                session.move_first_slider(widget)
                deadline = time.monotonic() + settle_s
                while session.pixels(widget) == before and time.monotonic() < deadline:
                    time.sleep(0.25)
                shots.append(session.screenshot(widget, f"widget{k + 1}-moved"))
                if session.pixels(widget) == before:
                    problems.append(f"{label}: dragging its slider did not change its image "
                                    f"within {settle_s} s")
    except Exception:
        session.page.screenshot(path=str(Path(artifacts) / f"{session.stem}-failed-page.png"))
        raise
    finally:
        session.close()
    return problems, shots, time.monotonic() - start
