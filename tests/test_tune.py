"""Sweeps end to end: `imgcls tune` worker processes on SQLite and on a real PostgreSQL, and a SIGKILLed worker whose
trial is resumed."""

import os, shutil, signal, socket, subprocess, tempfile, time
from pathlib import Path
import pytest
from imgcls.testing import quick_config
from helpers import IMGCLS, imgcls, help_text

optuna = pytest.importorskip('optuna')


def tune_yaml(tmp_path, digits, trials=4, epochs=1, pruner='median', heartbeat=2) -> Path:
    return quick_config(
        tmp_path / 'tune.yaml',
        digits,
        tmp_path / 'runs',
        f"""training: {{num_epochs: {epochs}, batch_size: 64}}
tune:
  study: sweep
  trials: {trials}
  pruner: {pruner}
  heartbeat: {heartbeat}
  space:
    optimizer.lr: {{type: float, low: 1.0e-3, high: 0.1, log: true}}
    training.batch_size: {{type: categorical, choices: [32, 64]}}
""",
    )


def check_study(storage: str, trials: int, study_dir: Path):
    "Exactly `trials` counted trials, no trial number twice, each a complete run folder recording its parameters."
    from imgcls.tune import counted_trials
    from imgcls.rundir import RunDir

    study = optuna.load_study(study_name='sweep', storage=storage)
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))
    counted = counted_trials(study)
    assert len(counted) == trials, [(t.number, t.state) for t in study.trials]
    for t in counted:
        assert t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED), (t.number, t.state)
        run = Path(t.user_attrs['run_dir'])
        assert run.parent.resolve() == study_dir.resolve() and run.name.startswith('trial_')
        for f in ('config.yaml', 'summary.txt', 'logs/history.csv', 'weights/last.pt'):
            assert (run / f).is_file(), run / f
        assert RunDir(run).status() == ('completed' if t.state == optuna.trial.TrialState.COMPLETE else 'pruned')
        cfg = RunDir(run).read_flat_config()
        for k, v in t.params.items():
            assert cfg[k] == v
    return study


def test_sqlite_two_workers(tmp_path, digits):
    cfg = tune_yaml(tmp_path, digits, trials=4)
    res = imgcls('tune', '--config', cfg, '--workers', '2', cwd=tmp_path)
    study_dir = tmp_path / 'runs' / 'sweep'
    check_study(f'sqlite:///{study_dir / "study.db"}', 4, study_dir)
    assert f'reproduce it: cd {tmp_path} && imgcls train --config' in res.stdout  # works from any folder
    assert (study_dir / 'plots' / 'history.png').is_file()


def _pg_bin():
    try:
        files = subprocess.run(['dpkg', '-L', 'postgresql-15'], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        return None
    initdb = [f for f in files if f.endswith('/bin/initdb')]
    return Path(initdb[0]).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    "A throwaway PostgreSQL 15 cluster in a temp folder, run as `postgres` on 127.0.0.1, stopped by its PID."
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip('PostgreSQL 15 binaries are absent (scripts/test.sh installs the Debian package postgresql-15)')
    d, port = Path(tempfile.mkdtemp(prefix='imgcls-pg-')), _free_port()
    shutil.chown(d, 'postgres')
    run = lambda *a: subprocess.run(['runuser', '-u', 'postgres', '--', *map(str, a)], check=True, capture_output=True)
    run(bin_dir / 'initdb', '-D', d / 'data', '-A', 'trust', '-U', 'postgres')
    run(
        bin_dir / 'pg_ctl',
        '-D',
        d / 'data',
        '-o',
        f'-c listen_addresses=127.0.0.1 -p {port} -k {d}',
        '-l',
        d / 'log',
        '-w',
        'start',
    )
    pid = int((d / 'data' / 'postmaster.pid').read_text().split()[0])
    try:
        yield f'postgresql+psycopg://postgres@127.0.0.1:{port}/postgres'
    finally:
        os.kill(pid, signal.SIGTERM)  # smart shutdown of the postmaster we started
        for _ in range(100):
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break
        shutil.rmtree(d, ignore_errors=True)


def test_postgresql_two_worker_processes(tmp_path, digits, postgres):
    cfg = tune_yaml(tmp_path, digits, trials=4)
    procs = [
        subprocess.Popen(
            [*IMGCLS, 'tune', '--config', str(cfg), '--storage', postgres],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=1200)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    check_study(postgres, 4, tmp_path / 'runs' / 'sweep')


def test_sigkill_and_resume(tmp_path, digits):
    cfg = tune_yaml(tmp_path, digits, trials=3, epochs=3, pruner='none', heartbeat=1)
    study_dir = tmp_path / 'runs' / 'sweep'
    proc = subprocess.Popen(
        [*IMGCLS, 'tune', '--config', str(cfg)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 600
    while not list(study_dir.glob('trial_*/weights/last.pt')) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()  # mid-trial: epoch 1 saved, epochs 2-3 to go
    killed = next(study_dir.glob('trial_*/weights/last.pt')).parent.parent
    imgcls('tune', '--config', cfg, cwd=tmp_path)
    study = check_study(f'sqlite:///{study_dir / "study.db"}', 3, study_dir)
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs['run_dir'] == str(killed)
    retry = [t for t in study.trials if t.user_attrs.get('resumed_from_trial') == failed[0].number]
    assert (
        len(retry) == 1
        and retry[0].state == optuna.trial.TrialState.COMPLETE
        and retry[0].user_attrs['run_dir'] == str(killed)
    )
    assert 'resuming run' in (killed / 'logs' / 'train.log').read_text()


def test_help_imports_neither_torch_nor_optuna():
    out = help_text('tune', not_imported=('torch', 'optuna'))
    for opt in ('tune', '--trials', '--workers', '--storage', 'key.sub=value'):
        assert opt in out, opt
    assert '--worker ' not in out


def test_a_misspelt_tune_key_is_a_clear_error(tmp_path, digits):
    cfg = tune_yaml(tmp_path, digits)
    res = imgcls('tune', '--config', cfg, 'tune.trails=3', cwd=tmp_path, check=False)
    assert res.returncode == 2 and 'Did you mean `tune.trials`' in res.stderr and 'Traceback' not in res.stderr
    assert not (tmp_path / 'runs').exists()


def test_tune_tab_says_the_epochs_shows_the_best_trial_and_leaves_no_temporary_config(tmp_path, digits, monkeypatch):
    "The panel's Tune tab on a real study of 2 one-epoch trials, in this process (the notebook's own run is `slow`)."
    import re, tempfile
    from imgcls.panel import Panel

    monkeypatch.chdir(tmp_path)
    temps = lambda: set(Path(tempfile.gettempdir()).glob('imgcls-tune-*'))
    before = temps()
    panel = Panel(quick_config(tmp_path / 'panel.yaml', digits, extra='training: {num_epochs: 1}\n'))
    tp = panel.tune
    tp.study.value, tp.trials.value = 'tab', 2
    assert (
        'each trial trains 1 epoch (<code>training.num_epochs</code> from' in tp.plan.value
        and 'panel.yaml' in tp.plan.value
    )
    tp.run(wait=True)
    assert 'finished (2 trials: 2 complete)' in tp.status.value, tp.status.value
    best = tp.load_study().best_trial
    assert (
        f'<b>Best: trial {best.number}, val_acc {best.value:.4f}</b> '
        f'with optimizer.lr={best.params["optimizer.lr"]:.3g}' in tp.best.value
    )
    assert (
        f'cd {tmp_path} &amp;&amp; imgcls train --config runs/tab/study.yaml '
        f'optimizer.lr={best.params["optimizer.lr"]!r}' in tp.best.value
    )
    assert tp.board.value.count('<td class="num">1/1</td>') == 2
    shown = tp.board.value + tp.status.value + tp.best.value.split('<code>')[0]
    assert [
        n
        for n in re.findall(r'\d+\.\d+', shown)
        if len(n.partition('.')[2]) > 4 and len(n.replace('.', '').lstrip('0')) > 3
    ] == [], shown
    assert temps() - before == set()
