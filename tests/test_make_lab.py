"""`make lab` starts where students run it: as root, with port 8888 taken, and prints the URL."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

URL = re.compile(r"http://(?:localhost|127\.0\.0\.1):(\d+)/lab\?token=(\w+)")


def _take_port_8888():
    """Hold port 8888 (if something else already does, it is taken all the same)."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 8888))
        sock.listen()
    except OSError:
        sock.close()
        return None
    return sock


def _status(url, patience=30.0):
    """The HTTP status of ``url``, asked again for a while: the server prints its URL a moment
    before it accepts connections."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                return reply.status
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_make_lab_starts_on_another_port_and_prints_the_url(tmp_path):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    bin_dir = Path(sys.executable).parent  # the environment running the tests: .venv/bin in CI
    env = {**os.environ, **{var: str(tmp_path / var.lower()) for var in (
        "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}}
    command = [make, "-s", "-C", str(ROOT), "-o", f"{bin_dir}/gan-course", "lab", f"BIN={bin_dir}",
               "LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1"]
    blocker = _take_port_8888()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    try:
        deadline, match = time.monotonic() + 180, None
        while match is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            match = URL.search(line)
        log = "".join(output)
        assert match, f"make lab printed no URL to open:\n{log}"
        port, token = int(match.group(1)), match.group(2)
        assert port != 8888, log
        assert "open the http://localhost:PORT/lab?token=" in log
        assert _status(f"http://127.0.0.1:{port}/api/status?token={token}") == 200, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if blocker is not None:
            blocker.close()
