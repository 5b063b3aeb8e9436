"""The panel in JupyterLab itself, as a user meets it: open a notebook, run its cell, train 2 epochs with live curves,
stop a second run."""

import json, os, signal, subprocess, sys

import pytest
from playwright.sync_api import expect
from imgcls.config import run_name

from imgcls.testing import quick_config
from helpers import free_port, serve, SLOW
from test_widgets_browser import count_curve_updates, set_text


@pytest.fixture(scope='module')
def lab(tmp_path_factory, digits):
    "JupyterLab on a free port of 127.0.0.1, beside a notebook showing the panel on a quick config; stopped by PID."
    work, port = tmp_path_factory.mktemp('lab'), free_port()
    quick_config(work / 'quick.yaml', digits, extra='training: {num_epochs: 2}\n')
    cell = {
        'cell_type': 'code',
        'execution_count': None,
        'metadata': {},
        'outputs': [],
        'source': "from imgcls.panel import Panel\nPanel('quick.yaml')",
    }
    (work / 'panel.ipynb').write_text(
        json.dumps(
            {
                'cells': [cell],
                'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
                'nbformat': 4,
                'nbformat_minor': 5,
            }
        )
    )
    env = {
        **os.environ,
        'JUPYTER_RUNTIME_DIR': str(work / '.runtime'),
        'JUPYTER_CONFIG_DIR': str(work / '.config'),
        'JUPYTERLAB_WORKSPACES_DIR': str(work / '.workspaces'),
    }
    args = [
        sys.executable,
        '-m',
        'jupyterlab',
        '--no-browser',
        '--ip=127.0.0.1',
        f'--port={port}',
        "--ServerApp.token=''",
    ]
    with serve([*args, '--allow-root', '--ServerApp.port_retries=0'], work, env, port, work / 'lab.log', grace=30):
        yield f'http://127.0.0.1:{port}/', work


def test_panel_in_jupyterlab(browser, lab):
    url, work = lab
    page = browser.new_page(viewport={'width': 1300, 'height': 1500})
    page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page.goto(url + 'lab/tree/panel.ipynb', timeout=SLOW)
    page.get_by_text('Python 3 (ipykernel) | Idle').wait_for(timeout=SLOW)  # the status bar: the kernel is ready
    page.locator('.jp-Notebook .jp-Cell .cm-content').first.click()
    page.keyboard.press('Shift+Enter')  # run the cell, as a user does
    page.locator('.imgcls-train').wait_for(timeout=SLOW)
    page.locator('.imgcls-folders').get_by_text(
        str(work / 'runs')
    ).wait_for()  # the panel says where runs go: the notebook's folder

    count_curve_updates(page)
    page.locator('.imgcls-train').click()
    page.locator('.imgcls-metrics').get_by_text('Final val accuracy').wait_for(timeout=SLOW)
    assert page.evaluate('window.curveUpdates') >= 2  # at least every epoch
    assert (
        'status: completed' in (work / 'runs' / run_name([], 'quick.yaml') / 'summary.txt').read_text()
    )  # named after the config file
    expect(page.locator('.imgcls-log').first).to_contain_text('epoch 2/2')  # the log is in the panel ...
    assert (
        page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    )  # ... not in pink boxes

    set_text(page, '.imgcls-training-num_epochs', 50)
    page.get_by_text('training.num_epochs=50').wait_for()
    page.locator('.imgcls-train').click()
    page.locator('.imgcls-status').get_by_text('batch').wait_for(timeout=SLOW)
    page.locator('.imgcls-stop').click()
    page.locator('.imgcls-message').get_by_text('Stopped at epoch 1, batch ').wait_for(timeout=SLOW)
    assert (
        'status: stopped'
        in (work / 'runs' / run_name(['training.num_epochs=50'], 'quick.yaml') / 'summary.txt').read_text()
    )
    page.close()
