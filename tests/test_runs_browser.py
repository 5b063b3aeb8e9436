"""The runs browser (`imgcls.panel.RunsBrowser`) end to end: Voila serves it, headless Chromium reads and clicks it."""

import subprocess
from pathlib import Path

import pytest
from imgcls.testing import quick_config
from helpers import imgcls, served_page, voila, IMGCLS, SLOW

BROWSER_NB = Path(__file__).parent / 'runs_browser.ipynb'


@pytest.fixture(scope='module')
def runs(tmp_path_factory, digits):
    "Two finished runs that differ in the learning rate, and the config that made them."
    d = tmp_path_factory.mktemp('browse')
    cfg = d / 'quick.yaml'
    quick_config(cfg, digits, d / 'runs', 'model: {architecture: tiny_net}\ntraining: {num_epochs: 1}\n')
    imgcls('train', '--config', cfg, '--no-progress')
    imgcls('train', '--config', cfg, '--no-progress', 'optimizer.lr=0.01')
    return cfg, d / 'runs'


@pytest.fixture(scope='module')
def browser_url(runs, tmp_path_factory):
    "Voila serving tests/runs_browser.ipynb over the runs folder."
    with voila(BROWSER_NB, tmp_path_factory.mktemp('voila'), {'IMGCLS_RUNS_DIR': str(runs[1])}) as url:
        yield url


@pytest.fixture
def page(browser, browser_url):
    "A fresh page with the runs browser, allowed to reach only the Voila server."
    with served_page(browser, browser_url, '.imgcls-runs-board table', 1200, 1600) as page:
        yield page


def status_of(page, name: str):
    return page.locator(f'.imgcls-runs-board tr[data-run="{name}"] td.col-status')


def test_leaderboard_and_compare(page):
    for name in ('quick', 'quick_lr_0.01'):
        assert status_of(page, name).inner_text() == 'completed'
    cell = status_of(page, 'quick')
    assert cell.evaluate('e => getComputedStyle(e).paddingLeft') == '10px'  # columns spaced apart, not run together
    page.locator('.imgcls-runs-sort select').select_option('name')
    page.wait_for_function(
        "() => [...document.querySelectorAll('.imgcls-runs-board tr[data-run]')].map(r => r.dataset.run).join()"
        " === 'quick,quick_lr_0.01'"
    )
    page.locator('.imgcls-runs-pick select').select_option(label=['quick [completed]', 'quick_lr_0.01 [completed]'])
    compare = page.locator('.imgcls-runs-compare')
    compare.locator('img').wait_for(timeout=SLOW)
    assert 'optimizer.lr' in compare.inner_text() and '0.01' in compare.inner_text()
    assert (
        compare.locator('thead tr').count() == 1 and compare.locator('thead th').first.inner_text() == 'key'
    )  # one header row
    page.locator('.imgcls-runs-pick select').select_option(label=['quick [completed]'])
    page.locator('img.imgcls-runs-confusion').wait_for(timeout=SLOW)
    assert 'Report (val)' in page.locator('.imgcls-runs-details').inner_text()


def test_status_changes_from_running_to_completed(page, runs):
    cfg, runs_dir = runs
    proc = subprocess.Popen(
        [*IMGCLS, 'train', '--config', str(cfg), '--no-progress', '--name', 'live', 'training.num_epochs=2'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status_of(page, 'live').get_by_text('running').wait_for(timeout=SLOW)
        status_of(page, 'live').get_by_text('completed').wait_for(
            timeout=4 * SLOW
        )  # two epochs and the final reports, on a busy machine
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert page.locator('.imgcls-runs-board tr[data-run="live"] td.col-epochs').inner_text() == '2'
