import subprocess, sys
from pathlib import Path
import pytest

IMGCLS = [str(Path(sys.executable).parent/'imgcls')]  # the console script installed beside this Python


@pytest.fixture(scope='session')
def digits(tmp_path_factory):
    "The built-in digits, written once per test session."
    from imgcls.data import write_digits
    return write_digits(tmp_path_factory.mktemp('data')/'digits')


@pytest.fixture
def quick_config(tmp_path, digits):
    "A config file for fast runs: 16 px images, runs under tmp_path."
    p = tmp_path/'quick.yaml'
    p.write_text(f"data: {{data_dir: {digits}, num_workers: 0}}\noutput: {{runs_dir: {tmp_path/'runs'}}}\n"
                 "transforms: {train: {resize: 16}, val: {resize: 16}, test: {resize: 16}}\n")
    return p


def imgcls(*args, cwd=None, check=True, **kw):
    "Run the imgcls command line in a subprocess and return the completed process."
    res = subprocess.run([*IMGCLS, *map(str, args)], cwd=cwd, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f'imgcls {args} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}')
    return res


CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']


@pytest.fixture(scope='session')
def browser():
    "One headless Chromium for the whole session (Playwright's sync API allows one running instance per thread)."
    if not Path(CHROMIUM).exists(): pytest.fail(f'{CHROMIUM} is missing: run scripts/test.sh (it installs chromium)')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
