"""The classroom demo in a real browser: lesson 08 run in JupyterLab, its rank explorer moved.

JupyterLab is started as `make lab` starts it (from notebooks/, `jupyter lab --no-browser`, with
`--allow-root` for root), in fast mode, on a free loopback port with a token of our own. Playwright
drives Debian's chromium: it opens lesson 08 and runs Run > Run All Cells. The test fails on a Python
traceback in any output, widget outputs included; it checks that every cell ran, that each rank-sweep
plot appears once, in its own cell, that the rank explorer renders, and that moving its slider (an
arrow key on the handle) redraws the spectrum, still one plot. A screenshot of the explorer is saved
under pytest's tmp_path (its path is printed; `pytest -s` shows it).

Lab gets settings, config, data, runtime, workspace and checkpoint folders of its own under tmp_path,
and autosave is off, so nothing in the checkout or the home folder is written (the notebook file is
checked unchanged); all cells stay in the page (windowing off), and no news prompt covers it.

Needs Playwright (`pip install playwright`, in the dev extra) and Debian's chromium
(`apt-get install chromium`), launched by its path: Playwright's own browser download (`playwright
install`) needs internet and is not used. Skipped, with the reason, where one of them is missing.

Run it alone: pytest tests/test_browser.py
"""
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lorakit import widgets
from test_notebooks import NOTEBOOK_DIR, course_env

NOTEBOOK = NOTEBOOK_DIR / "08_rank_vs_accuracy.ipynb"
LIVE_TASK = "sentiment (live)"  # the explorer's table whose ranks have spectra, as lesson 08 names it
SERVER_START = 120  # seconds for JupyterLab to answer
RUN_ALL = 600       # seconds for all cells (about 25 s in fast mode on a 2-core CPU)
STEP = 60           # seconds for any other step: the page to open, the kernel to start, a redraw
# JupyterLab settings: no autosave (the notebook in the checkout is never written), every cell attached
# to the page (so every prompt and output can be read), no prompt about Jupyter news over the page.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
KERNEL_STATUS = '.jp-StatusBar-TextItem[title^="Change kernel"]'  # "Python 3 (ipykernel) | Idle"
# True once Run All is over: the kernel idle, no cell queued or running ([*]), the first cell run.
RUN_ALL_DONE = """() => {
    const status = document.querySelector('%s');
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
    return status !== null && status.textContent.endsWith('Idle') && prompts.length > 0
        && !prompts.some(p => p.includes('*')) && /\\d/.test(prompts[0]);
}""" % KERNEL_STATUS


def test_explorer_shows_only_its_own_figure(monkeypatch):
    """`_show` displays its spectrum and closes it, leaving other open figures alone and unshown.

    In JupyterLab a figure made in an earlier cell can stay open (interactive mode off); plt.show()
    would draw it again inside the explorer.
    """
    plt.close("all")           # figures other tests left open are not this test's
    shown = []
    monkeypatch.setattr(widgets, "display", shown.append)
    table = pd.DataFrame({"method": ["lora"], "rank": [4], "accuracy": [0.9], "trainable_params": [40],
                          "train_seconds": [2.0]})
    earlier = plt.figure()  # a plot from an earlier cell, never shown
    try:
        widgets._show(table, "accuracy", "lora", 4, [1.0, 0.5, 0.1, 0.0])
        assert len(shown) == 1 and shown[0] is not earlier
        assert shown[0].axes[0].get_title() == "spectrum of the learned update, rank 4"
        assert plt.get_fignums() == [earlier.number]  # the spectrum closed, the earlier figure untouched
    finally:
        plt.close(earlier)


@pytest.fixture
def browser_tools():
    """Playwright's sync API and the path of Debian's chromium; skips the test where one is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright: pip install playwright")
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if chromium is None:
        pytest.skip("needs Debian's chromium: apt-get install chromium (Playwright's own download is not used)")
    return sync_api, chromium


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving notebooks/ in fast mode on 127.0.0.1; yields its base URL and token."""
    jupyter = Path(sys.executable).with_name("jupyter")  # .venv/bin/jupyter, as `make lab` runs it
    if importlib.util.find_spec("jupyterlab") is None or not jupyter.exists():
        pytest.skip(f"needs JupyterLab next to {sys.executable}: pip install 'lorakit[lab]'")
    home = tmp_path / "jupyter"
    for plugin, values in LAB_SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(course_env(), JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    port, token = free_port(), secrets.token_hex(16)
    command = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
               f"--FileCheckpoints.root_dir={home / 'checkpoints'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # as `make lab` does
    log_path = tmp_path / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=NOTEBOOK_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # out of reach of a Ctrl-C meant for pytest
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(server, f"{url}/api/status?token={token}", log_path)
        yield url, token
    finally:
        server.terminate()  # Lab shuts its kernel down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the kernel watches Lab's pid and exits with it
            server.wait(timeout=30)


def wait_for_server(server, status_url, log_path):
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with no_proxy.open(status_url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START} s:\n{log_path.read_text()[-3000:]}")


def tracebacks(page):
    """Texts of the outputs on the page, widget outputs included, that hold a Python traceback."""
    return page.eval_on_selector_all(
        ".jp-OutputArea-output", "els => els.map(e => e.innerText).filter(t => t.includes('Traceback'))")


def test_lesson_08_in_jupyterlab(browser_tools, lab, tmp_path):
    sync_api, chromium = browser_tools
    url, token = lab
    before = NOTEBOOK.read_bytes()
    code = [cell["source"] for cell in json.loads(before)["cells"] if cell["cell_type"] == "code"]
    plot_cells = sum("plot_rank_sweep(" in "".join(source) for source in code)
    expect = sync_api.expect
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=["--no-proxy-server", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP * 1000)
        expect.set_options(timeout=STEP * 1000)
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.wait_for_selector(f'{KERNEL_STATUS}:has-text("Idle")')  # the kernel is up
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.wait_for_function(RUN_ALL_DONE, timeout=RUN_ALL * 1000, polling=500)
            assert tracebacks(page) == [], "a cell raised:\n" + "\n\n".join(tracebacks(page))
            prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent)")
            assert len(prompts) == len(code) and all(any(c.isdigit() for c in p) for p in prompts), prompts

            # Each rank-sweep plot is shown once, in the cell that draws it.
            plots = page.locator(".jp-CodeCell").filter(has_text="plot_rank_sweep(")
            assert plots.count() == plot_cells > 0
            for i in range(plots.count()):
                expect(plots.nth(i).locator(".jp-OutputArea-output img")).to_have_count(1)

            # The explorer renders; on the live table it shows rank 1 and its spectrum, one plot only.
            explorer = (page.locator(".jp-CodeCell").filter(has_text="rank_explorer(")
                        .locator(".jp-OutputArea-output .widget-vbox").first)
            shown = explorer.locator(".widget-output")
            expect(explorer.locator(".noUi-handle")).to_be_visible()
            expect(shown).to_contain_text("rank 1:")
            explorer.locator("select").first.select_option(LIVE_TASK)
            expect(shown.locator("img")).to_have_count(1)
            expect(shown).to_contain_text("rank 1:")
            first = shown.locator("img").get_attribute("src")

            # One step of the slider: rank 4 (the live sweep's ranks are 1 and 4 in fast mode), a new plot.
            handle = explorer.locator(".noUi-handle")
            handle.focus()
            handle.press("ArrowRight")
            expect(explorer.locator(".widget-readout")).to_have_text("4")
            expect(shown).to_contain_text("rank 4:")
            expect(shown.locator("img")).to_have_count(1)
            assert shown.locator("img").get_attribute("src") != first, "the slider moved but the plot did not change"
            assert tracebacks(page) == [], "the explorer raised:\n" + "\n\n".join(tracebacks(page))

            explorer.scroll_into_view_if_needed()
            screenshot = page.screenshot(path=tmp_path / "rank_explorer.png")
            assert screenshot[:8] == b"\x89PNG\r\n\x1a\n"
            print(f"screenshot: {tmp_path / 'rank_explorer.png'}")
        except Exception:
            page.screenshot(path=tmp_path / "failure.png")  # what the page showed, for the CI log's reader
            print(f"at the failure: {tmp_path / 'failure.png'}, JupyterLab's log {tmp_path / 'jupyterlab.log'}")
            raise
        finally:
            browser.close()
    assert NOTEBOOK.read_bytes() == before, f"{NOTEBOOK.name} in the checkout was written"
