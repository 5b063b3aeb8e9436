"""`imgcls runs` on the run folders a user ends up with: completed, stopped, killed (SIGKILL), still running, foreign
or broken, and a k-fold audit."""

import json, os, signal, subprocess, sys
from pathlib import Path
import pytest
from imgcls.testing import quick_config
from helpers import imgcls, small_digits, wait_for, IMGCLS


def _rows(runs_dir, *args) -> dict:
    return {r['name']: r for r in json.loads(imgcls('runs', runs_dir, '--format', 'json', *args).stdout)}


@pytest.fixture(scope='module')
def runs_dir(tmp_path_factory, digits):
    "A runs folder with a completed run, a stopped run and two folders that are not runs."
    d = tmp_path_factory.mktemp('runs')
    cfg = d / 'exp.yaml'
    quick_config(cfg, digits, d / 'runs', 'model: {architecture: tiny_net}\n')
    imgcls('train', '--config', cfg, '--no-progress', 'training.num_epochs=1')
    from imgcls.train import Training

    t = Training(cfg, ['training.num_epochs=5'])
    t.on(
        'on_batch_end', lambda training, batch, **kw: batch == 3 and training.request_stop()
    )  # as the panel's Stop button does
    t.run()
    (d / 'runs' / 'notes').mkdir()
    (d / 'runs' / 'notes' / 'todo.txt').write_text('try resnet18\n')
    (d / 'runs' / 'half').mkdir()
    (d / 'runs' / 'half' / 'config.yaml').write_text('model: [unclosed\n')
    return d / 'runs', cfg


def test_completed_stopped_and_unreadable(runs_dir):
    runs, _ = runs_dir
    rows = _rows(runs)
    assert set(rows) == {'exp_epochs_1', 'exp_epochs_5', 'notes', 'half'}
    done, stopped = rows['exp_epochs_1'], rows['exp_epochs_5']
    assert (done['status'], done['architecture'], done['epochs'], done['planned_epochs'], done['best_epoch']) == (
        'completed',
        'tiny_net',
        1,
        1,
        1,
    )
    assert (
        0 < done['val_acc'] <= 1
        and done['train_time'] > 0
        and done['started']
        and done['finished']
        and done['resume'] is None
    )
    assert (stopped['status'], stopped['epochs'], stopped['planned_epochs']) == ('stopped', 0, 5)
    assert stopped['resume'] == f"imgcls train --resume {runs / 'exp_epochs_5'}"
    assert rows['notes']['status'] == rows['half']['status'] == 'unreadable'
    assert rows['notes']['reason'] == 'not a run folder: no config.yaml or summary.txt inside'
    assert rows['half']['reason'].startswith('config.yaml is not valid YAML')
    table = imgcls('runs', runs).stdout
    lines = table.splitlines()
    assert lines[0].split()[:3] == ['name', 'status', 'architecture'] and lines[1].startswith(
        'exp_epochs_1'
    )  # best val_acc first
    assert (
        f"exp_epochs_5: imgcls train --resume {runs / 'exp_epochs_5'}" in table
        and 'half: unreadable: config.yaml is not valid YAML' in table
    )


@pytest.fixture(scope='module')
def audited_runs(tmp_path_factory, digits):
    "What `imgcls audit --folds 2 --name aud` writes on small digits: fold runs, fold lists, findings."
    work = tmp_path_factory.mktemp('kfold')
    data = small_digits(digits, work)
    imgcls(
        'audit',
        '--folds',
        '2',
        '--name',
        'aud',
        data,
        'model.architecture=tiny_net',
        'training.num_epochs=1',
        'data.num_workers=0',
        *(f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')),
        f'output.runs_dir={work / "runs"}',
        cwd=work,
    )
    return work / 'runs'


def test_audit_and_fold_lists_are_not_listed(audited_runs):
    aud = audited_runs / 'aud'
    assert (aud / 'audit' / 'summary.txt').is_file() and (
        aud / 'folds' / 'fold_0.csv'
    ).is_file()  # what showed as unreadable runs before
    rows = _rows(audited_runs)
    assert sorted(rows) == ['aud/fold_0', 'aud/fold_1'] and {r['status'] for r in rows.values()} == {'completed'}
    table = imgcls('runs', audited_runs, '--sort', 'name').stdout
    assert 'unreadable' not in table and 'aud/audit' not in table and 'aud/folds' not in table
    assert [l.split()[0] for l in table.splitlines()[1:]] == ['aud/fold_0', 'aud/fold_1']


def test_tensorboard_hparams_match_the_leaderboard(runs_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    runs, _ = runs_dir
    row = _rows(runs)['exp_epochs_1']
    ea = EventAccumulator(str(runs / 'exp_epochs_1' / 'tensorboard' / 'hparams')).Reload()
    for k in ('epochs', 'best_epoch', 'val_acc', 'val_loss', 'train_time'):
        assert abs(ea.Scalars(f'hparam/{k}')[0].value - row[k]) < 1e-3, k
    starts = [HParamsPluginData.FromString(c).session_start_info for c in ea.PluginTagToContent('hparams').values()]
    hparams = next(dict(s.hparams) for s in starts if s.hparams)
    assert hparams['model.architecture'].string_value == row['architecture']
    assert hparams['training.num_epochs'].number_value == 1  # the changed keys, as in the leaderboard's `changes`
    assert set(hparams) == {'model.architecture', *(c.split('=')[0] for c in row['changes'].split())}


def test_filter_sort_csv_and_errors(runs_dir):
    runs, _ = runs_dir
    csv = imgcls(
        'runs', runs, '--format', 'csv', '--filter', 'architecture=tiny*', '--sort', 'name'
    ).stdout.splitlines()
    assert [l.split(',')[0] for l in csv] == ['name', 'exp_epochs_1', 'exp_epochs_5']
    res = imgcls('runs', runs, '--sort', 'speed', check=False)
    assert (
        res.returncode == 2
        and "imgcls runs: error: Cannot sort by 'speed'" in res.stderr
        and 'Traceback' not in res.stderr
    )
    res = imgcls('runs', runs / 'missing', check=False)
    assert res.returncode == 2 and 'No runs folder' in res.stderr


def test_compare_writes_a_png(runs_dir, tmp_path):
    runs, _ = runs_dir
    res = imgcls('runs', 'compare', 'exp_epochs_1', 'exp_epochs_5', '--runs-dir', runs, '--out', tmp_path / 'c.png')
    assert 'training.num_epochs' in res.stdout and (tmp_path / 'c.png').read_bytes()[:4] == b'\x89PNG'
    res = imgcls('runs', 'compare', 'exp_epochs_1', 'half', '--runs-dir', runs, check=False)
    assert res.returncode == 2 and 'half cannot be compared' in res.stderr


def test_sigkill_shows_running_then_interrupted_with_resume(runs_dir):
    runs, cfg = runs_dir
    proc = subprocess.Popen(
        [*IMGCLS, 'train', '--config', str(cfg), '--no-progress', '--name', 'killed', 'training.num_epochs=50'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = runs / 'killed'
    try:
        wait_for(lambda: (run / 'logs' / 'history.csv').is_file())  # one epoch done: last.pt saved
        assert _rows(runs, '--filter', 'name=killed')['killed']['status'] == 'running'
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    row = _rows(runs, '--filter', 'name=killed')['killed']
    assert row['status'] == 'interrupted' and row['resume'] == f'imgcls train --resume {run}'
    assert 'status: running' in (run / 'summary.txt').read_text()  # the listing changed nothing in the folder


def test_runs_needs_neither_torch_nor_pandas_for_help_nor_torch_to_list(runs_dir):
    runs, _ = runs_dir
    code = (
        "import sys, contextlib, io\nfrom imgcls.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try: main(['runs', '--help'])\n    except SystemExit: pass\n"
        "assert '--filter' in out.getvalue() and 'compare' in out.getvalue()\n"
        "assert 'torch' not in sys.modules and 'pandas' not in sys.modules, 'help imported torch or pandas'\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['runs', {str(runs)!r}])\n"
        "assert 'torch' not in sys.modules, 'listing imported torch'\n"
    )
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
