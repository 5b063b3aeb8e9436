"The fixtures the tests share (data, configs, the session's trained run, the browser); helpers are in helpers.py."

import shutil
from pathlib import Path
import pytest
from imgcls.testing import quick_config
from helpers import imgcls, TrainedRun, TRAINED_OVERRIDES, CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope='session')
def digits(tmp_path_factory):
    "The built-in digits, written once per test session."
    from imgcls.data import write_digits

    return write_digits(tmp_path_factory.mktemp('data') / 'digits')


@pytest.fixture
def quick_yaml(tmp_path, digits):
    "A config file for fast runs: 16 px images, runs under tmp_path."
    return quick_config(tmp_path / 'quick.yaml', digits, tmp_path / 'runs')


@pytest.fixture(scope='session')
def trained_run(tmp_path_factory, digits) -> TrainedRun:
    "One run trained by the command line (with progress bars) once per session; a test that changes it uses `run_copy`."
    work = tmp_path_factory.mktemp('trained')
    config = quick_config(work / 'quick.yaml', digits, work / 'runs')
    res = imgcls('train', '--config', config, *TRAINED_OVERRIDES)
    return TrainedRun(Path(res.stdout.strip().splitlines()[-1]), config, res.stdout)


@pytest.fixture
def run_copy(tmp_path, trained_run) -> Path:
    "A copy of the shared run at tmp_path/runs/<its name>, free to change."
    return Path(shutil.copytree(trained_run.dir, tmp_path / 'runs' / trained_run.dir.name))


@pytest.fixture(scope='session')
def browser():
    "One headless Chromium for the whole session (Playwright's sync API allows one running instance per thread)."
    if not Path(CHROMIUM).exists():
        pytest.fail(f'{CHROMIUM} is missing: run scripts/test.sh (it installs chromium)')
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
