"""Helpers the tests share: running the command line, waiting, counting images, serving and driving pages. Fixtures are
in conftest.py."""

import contextlib, os, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
from typing import NamedTuple
import pytest

IMGCLS = [str(Path(sys.executable).parent / 'imgcls')]  # the console script installed beside this Python


class TrainedRun(NamedTuple):
    "The session's shared run: its folder, the config file it was trained from, and what `imgcls train` printed."

    dir: Path
    config: Path
    stdout: str


TRAINED_OVERRIDES = (
    'model.architecture=simple_cnn',
    'training.num_epochs=1',
)  # the shared run: the default model, named, for one epoch


def small_digits(digits, work: Path, per_class: int = 8) -> Path:
    "A copy of the digits in `work/digits` with `per_class` images per class and split (a k-fold trains in seconds)."
    data = Path(shutil.copytree(digits, work / 'digits'))
    for d in data.glob('*/*'):
        for p in sorted(d.iterdir())[per_class:]:
            p.unlink()
    return data


def count_images(folder) -> int:
    "The number of PNG images under `folder`."
    return len(list(Path(folder).rglob('*.png')))


def digits_size() -> int:
    "How many images scikit-learn's digits hold (1,797): what `imgcls data digits` writes over its three splits."
    from sklearn.datasets import load_digits

    return len(load_digits().target)


def wait_for(predicate, timeout: float = 300, every: float = 0.05):
    "Poll `predicate` until it holds; TimeoutError after `timeout` seconds."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(every)
    raise TimeoutError('condition not met in time')


def imgcls(*args, cwd=None, check=True, **kw):
    "Run the imgcls command line in a subprocess and return the completed process."
    res = subprocess.run([*IMGCLS, *map(str, args)], cwd=cwd, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f'imgcls {args} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}')
    return res


CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
]


SLOW = 180_000  # ms: page loads start a kernel that imports torch; the machine may be busy


def free_port() -> int:
    "A port on 127.0.0.1 that nothing listens on now."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(proc, port: int, log: Path, timeout: float = 120):
    "Wait until `proc` listens on `port`; fail with its log if it exits or takes too long."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f'the server exited with {proc.returncode}:\n{log.read_text()}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f'the server did not listen on port {port} within {timeout}s:\n{log.read_text()}')


@contextlib.contextmanager
def serve(args: list, work: Path, env: dict, port: int, log: Path, grace: float = 20):
    "Run the server `args` from `work` in a session of its own; once it listens on `port`, yield; then stop it by PID."
    with log.open('w') as out:
        proc = subprocess.Popen(args, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(proc, port, log)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def voila(notebook, work: Path, env: dict):
    "Voila serving `notebook` on a free port of 127.0.0.1 from `work`, with `env` added; yields its URL."
    port = free_port()
    args = [sys.executable, '-m', 'voila', str(notebook), '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1']
    env = {**os.environ, 'JUPYTER_RUNTIME_DIR': str(work / 'runtime'), **env}
    with serve([*args, '--show_tracebacks=True'], work, env, port, work / 'voila.log'):
        yield f'http://127.0.0.1:{port}/'


@contextlib.contextmanager
def served_page(browser, url: str, ready: str, width: int = 1100, height: int = 1400):
    "A page of `browser` at `url` that may reach only that server, once `ready` shows; fails on any page error."
    page = browser.new_page(viewport={'width': width, 'height': height})
    errors = []
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page.goto(url, timeout=SLOW)
    page.locator(ready).wait_for(timeout=SLOW)
    yield page
    page.close()
    assert not errors, errors


def help_text(*commands, not_imported=('torch',)) -> str:
    "`imgcls --help` and each command's `--help`, from a fresh interpreter that must not import any of `not_imported`."
    argvs = [['--help'], *([c, '--help'] for c in commands)]
    code = (
        "import sys, contextlib, io\nfrom imgcls.cli import main\n"
        f"for argv in {argvs!r}:\n    out = io.StringIO()\n    with contextlib.redirect_stdout(out):\n"
        "        try: main(argv)\n        except SystemExit: pass\n    print(out.getvalue())\n"
        f"loaded = [m for m in {list(not_imported)!r} if m in sys.modules]\n"
        f"assert not loaded, f'--help imported {{loaded}}'\n"
    )
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res.stdout
