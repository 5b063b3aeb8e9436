"""Faults a user meets: bad run folders, a full disk, kills at random moments, empty inputs, uneven splits, processes
racing on a fresh folder."""

import os, random, shutil, signal, subprocess, time
from contextlib import contextmanager
from pathlib import Path
import pytest
import torch
from helpers import imgcls, wait_for, count_images, digits_size, IMGCLS
from test_distributed import TORCHRUN
from test_resume import _history
from imgcls.checkpointing import load_checkpoint
from imgcls.config import run_name

TINY = [
    'model.architecture=tiny_net',
    'data.num_workers=0',
    'training.num_epochs=1',
    *(f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')),
]


def _one_line_error(res, *expected):
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert 'Traceback' not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    for e in expected:
        assert e in res.stderr, (e, res.stderr)


@pytest.fixture(scope='module')
def small_digits(tmp_path_factory, digits):
    "The digits with at most 20 images per class and split: epochs of a fraction of a second."
    root = tmp_path_factory.mktemp('small') / 'digits'
    for split in ('train', 'val', 'test'):
        for c in (digits / split).iterdir():
            shutil.copytree(c, root / split / c.name, ignore=lambda d, files: sorted(files)[20:])
    return root


@contextmanager
def tmpfs(path, size: str):
    "A small tmpfs mounted at `path` (needs root and mount rights; skips otherwise)."
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root; run the suite as root (as CI does) to test a full disk')
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(path)], capture_output=True, text=True
    )
    if res.returncode != 0:
        pytest.skip(f'this machine does not allow mounting a tmpfs ({res.stderr.strip()})')
    try:
        yield path
    finally:
        subprocess.run(['umount', '-l', str(path)], check=True)


# ----- the run folder
def test_runs_dir_that_is_a_file_fails_before_training(tmp_path, quick_yaml):
    (tmp_path / 'runs_file').write_text('not a folder')
    res = imgcls('train', '--config', quick_yaml, *TINY, f'output.runs_dir={tmp_path / "runs_file"}', check=False)
    _one_line_error(res, f'output.runs_dir={tmp_path / "runs_file"} is a file, not a folder')
    assert 'epoch' not in res.stderr


def test_runs_dir_that_is_not_writable_fails_before_training(tmp_path, quick_yaml):
    ro = tmp_path / 'ro'
    if os.geteuid() != 0:
        ro.mkdir()
        ro.chmod(0o555)
        ctx = None
    else:
        ctx = tmpfs(ro, '1m')  # root writes through permissions: a read-only mount is what stops it
    with ctx or _nothing():
        if ctx is not None:
            subprocess.run(['mount', '-o', 'remount,ro', str(ro)], check=True)
        res = imgcls('train', '--config', quick_yaml, *TINY, f'output.runs_dir={ro / "runs"}', check=False)
    _one_line_error(res, f'Cannot write run folders into output.runs_dir={ro / "runs"}', 'writable folder')


@contextmanager
def _nothing():
    yield


# ----- a full disk
def test_disk_full_during_a_checkpoint_save_keeps_the_last_one_and_resumes(tmp_path, small_digits):
    with tmpfs(tmp_path / 'disk', '2m') as disk:
        common = [f'data.data_dir={small_digits}', f'output.runs_dir={disk}', *TINY]
        run = Path(imgcls('train', '--no-progress', *common).stdout.strip().splitlines()[-1])
        before = (run / 'weights' / 'last.pt').read_bytes()
        free = shutil.disk_usage(disk).free
        (disk / 'filler').write_bytes(b'\0' * (free - 24 * 1024))  # room for log lines, not for a checkpoint
        res = imgcls('train', '--resume', run, '--no-progress', 'training.num_epochs=2', check=False)
        assert res.returncode == 2, res.stderr
        assert 'Traceback' not in res.stderr, res.stderr
        error = res.stderr.strip().splitlines()[-1]
        assert (
            error.startswith('imgcls train: error: Could not save')
            and str(run / 'weights') in error
            and 'no space left' in error
        ), error
        assert f'imgcls train --resume {run}' in error
        assert (run / 'weights' / 'last.pt').read_bytes() == before  # the previous checkpoint, intact
        assert sorted(p.name for p in (run / 'weights').iterdir()) == [
            'best.pt',
            'last.pt',
            'temperature.json',
        ]  # the first run's files, nothing partial
        (disk / 'filler').unlink()
        imgcls('train', '--resume', run, '--no-progress', 'training.num_epochs=2')
        assert [r['epoch'] for r in _history(run)] == [1, 2]
        assert 'status: completed' in (run / 'summary.txt').read_text()


# ----- SIGKILL at random moments
def test_five_sigkills_at_random_moments_then_the_run_equals_an_uninterrupted_one(tmp_path, small_digits):
    epochs, rng = 16, random.Random(13)
    common = [
        f'data.data_dir={small_digits}',
        'model.architecture=tiny_net',
        'data.num_workers=0',
        f'training.num_epochs={epochs}',
        'training.batch_size=16',
        'transforms.train.hflip=0.5',
        'optimizer.name=adam',
        'optimizer.lr=0.003',
        *(f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')),
    ]
    imgcls('train', '--no-progress', *common, f'output.runs_dir={tmp_path / "full"}')
    full, run = tmp_path / 'full' / run_name(common), tmp_path / 'killed' / run_name(common)
    epoch_seconds = (
        sum(r['seconds'] for r in load_checkpoint(full / 'weights' / 'last.pt')['history']) / epochs
    )  # this machine's speed
    last = run / 'weights' / 'last.pt'
    argv = [*IMGCLS, 'train', '--no-progress', *common, f'output.runs_dir={tmp_path / "killed"}']
    for kill in range(5):
        done = _epoch_of(last) if last.is_file() else 0
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # progress first (a checkpoint newer than this process started from), then a seeded moment within an epoch
        try:
            wait_for(lambda: proc.poll() is not None or _epoch_of(last) > done, timeout=300)
            time.sleep(rng.uniform(0, 1.5) * epoch_seconds)
            assert proc.poll() is None, f'the run ended before kill {kill + 1}; raise the number of epochs'
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        argv = [*IMGCLS, 'train', '--resume', str(run), '--no-progress']
    assert _epoch_of(last) < epochs
    imgcls(*argv[1:])
    a, b = load_checkpoint(full / 'weights' / 'last.pt'), load_checkpoint(last)
    assert b['epoch'] == epochs
    for k in a['model']:
        assert torch.equal(a['model'][k], b['model'][k]), k
    assert _history(full) == _history(run)
    assert 'status: completed' in (run / 'summary.txt').read_text()


def _epoch_of(path):
    "The epoch of the checkpoint at `path`; -1 when there is none yet."
    try:
        return load_checkpoint(path)['epoch']
    except Exception:
        return -1


# ----- predict with nothing to predict
def test_predict_on_a_folder_without_images_exits_non_zero(tmp_path, run_copy):
    run = run_copy
    empty = tmp_path / 'photos'
    empty.mkdir()
    (empty / 'readme.txt').write_text('no images here')
    res = imgcls('predict', '--run', run, empty, check=False)
    _one_line_error(res, f'{empty} holds no images', '.jpg', '.png')


# ----- splits whose classes are a subset of train's
def test_val_and_test_may_lack_some_of_trains_classes(tmp_path, small_digits):
    data = tmp_path / 'subset'
    shutil.copytree(small_digits, data)
    shutil.rmtree(data / 'test' / '7')
    shutil.rmtree(data / 'val' / '2')
    res = imgcls('train', '--no-progress', f'data.data_dir={data}', f'output.runs_dir={tmp_path / "runs"}', *TINY)
    assert f"{data / 'test'} has no images of 1 class(es) that train/ has: ['7']" in res.stderr
    assert f"{data / 'val'} has no images of 1 class(es) that train/ has: ['2']" in res.stderr
    run = Path(res.stdout.strip().splitlines()[-1])
    val_report = (run / 'logs' / 'classification_report_val.txt').read_text()
    row = next(l.split() for l in val_report.splitlines() if l.split()[:1] == ['2'])
    assert row[-1] == '0', val_report  # class 2 is listed, with zero support
    imgcls('infer', '--run', run, '--split', 'test')
    test_report = (run / 'logs' / 'classification_report_test.txt').read_text()
    assert next(l.split() for l in test_report.splitlines() if l.split()[:1] == ['7'])[-1] == '0'
    assert sum(
        int(l.split()[-1]) for l in test_report.splitlines() if l.split()[:1] and l.split()[0].isdigit()
    ) == count_images(data / 'test')  # the 9 classes left
    ck = load_checkpoint(run / 'weights' / 'best.pt')
    assert ck['classes'] == [str(i) for i in range(10)]  # labels follow train's class list
    for split, c in (('val', '2'), ('test', '7')):
        shutil.copytree(small_digits / split / c, data / split / c)  # no warning left
    shutil.copytree(small_digits / 'train' / '3', data / 'test' / 'three')
    res = imgcls(
        'train', '--no-progress', f'data.data_dir={data}', f'output.runs_dir={tmp_path / "runs"}', *TINY, check=False
    )
    _one_line_error(res, f"{data / 'test'} has class folder(s) that {data / 'train'} lacks: ['three']")


# ----- pretrained weights that are not there
def test_missing_pretrained_weights_offline_name_the_file_and_the_fix(tmp_path, quick_yaml):
    env = {
        **os.environ,
        'TORCH_HOME': str(tmp_path / 'torch'),
        'https_proxy': 'http://127.0.0.1:9',
        'HTTPS_PROXY': 'http://127.0.0.1:9',
    }
    res = imgcls(
        'train', '--config', quick_yaml, 'model.architecture=resnet18', 'model.weights=DEFAULT', check=False, env=env
    )
    cached = tmp_path / 'torch' / 'hub' / 'checkpoints' / 'resnet18-f37072fd.pth'
    _one_line_error(
        res, 'https://download.pytorch.org/models/resnet18-f37072fd.pth', f'save it as {cached}', 'model.weights'
    )
    assert not list((tmp_path / 'runs').glob('*/config.yaml'))  # no run folder for a run that never started


# ----- processes that start together on a fresh folder
def test_torchrun_from_a_fresh_folder_writes_the_digits_once(tmp_path):
    res = subprocess.run(
        [*TORCHRUN, *IMGCLS, 'train', '--no-progress', *TINY],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, 'OMP_NUM_THREADS': '1'},
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'status: completed' in (tmp_path / res.stdout.strip().splitlines()[-1] / 'summary.txt').read_text()
    assert sorted(p.name for p in (tmp_path / 'data').iterdir()) == ['.digits.lock', 'digits']
    assert count_images(tmp_path / 'data' / 'digits') == digits_size()


def test_three_trainings_started_at_once_from_a_fresh_folder(tmp_path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    procs = [
        subprocess.Popen(
            [*IMGCLS, 'train', '--no-progress', *TINY],
            cwd=tmp_path,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    runs = sorted(
        tmp_path / out.strip().splitlines()[-1] for out, _ in outs
    )  # printed relative to the processes' folder
    assert [r.name for r in runs] == [
        runs[0].name,
        runs[0].name + '_2',
        runs[0].name + '_3',
    ]  # three runs, three folders
    for r in runs:
        assert 'status: completed' in (r / 'summary.txt').read_text()
    assert sorted(p.name for p in (tmp_path / 'data').iterdir()) == ['.digits.lock', 'digits']
    assert count_images(tmp_path / 'data' / 'digits') == digits_size()
