"""`imgcls panel`: Voila serves the panel on 127.0.0.1, Chromium loads it, Ctrl-C (SIGINT) or `kill` (SIGTERM) stops it
cleanly and frees the port."""

import os, signal, socket, subprocess, time
import pytest

from helpers import IMGCLS, SLOW, free_port


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', port)) == 0


def as_in_a_terminal():
    "Ctrl-C live in the child, as in a terminal (a shell that started the tests in the background ignores SIGINT)."
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_tree(proc):
    "SIGKILL `proc` and all it started (Voila has a session of its own: killing `proc`'s group would leave it serving)."
    import psutil

    for child in psutil.Process(proc.pid).children(recursive=True):
        child.kill()
    proc.kill()
    proc.wait()


@pytest.mark.parametrize('stop', ['ctrl_c', 'kill'])
def test_panel_serves_and_stops(browser, tmp_path, stop):
    port = free_port()
    proc = subprocess.Popen(
        [*IMGCLS, 'panel', '--port', str(port), '--runs-dir', 'my_runs'],
        cwd=tmp_path,
        preexec_fn=as_in_a_terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = proc.stdout.readline()  # printed once Voila listens
        url = f'http://127.0.0.1:{port}/'
        assert url in first, (first, proc.stderr.read() if proc.poll() is not None else '')
        page = browser.new_page()
        page.goto(url, timeout=SLOW)
        page.locator('.imgcls-tabs').wait_for(timeout=SLOW)
        assert (
            page.get_by_role('tab', name='Train').is_visible() and page.get_by_role('tab', name='Predict').is_visible()
        )
        page.locator('.imgcls-folders').get_by_text(
            str(tmp_path / 'my_runs')
        ).wait_for()  # relative to where `imgcls panel` started
        page.close()
        if stop == 'ctrl_c':
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal signals the whole foreground group
        else:
            proc.terminate()  # `kill PID`: SIGTERM to imgcls alone; Voila, in its own session, must be stopped by it
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            kill_tree(proc)
    assert proc.returncode == 0, err
    assert 'Traceback' not in err and 'stopping' in out
    end = time.monotonic() + 10
    while port_open(port) and time.monotonic() < end:
        time.sleep(0.2)
    assert not port_open(port)


def test_panel_port_in_use(tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        res = subprocess.run(
            [*IMGCLS, 'panel', '--port', str(s.getsockname()[1])],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert res.returncode == 2 and 'is in use; pick another with --port' in res.stderr and 'Traceback' not in res.stderr
