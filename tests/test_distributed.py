"""`imgcls train` under torchrun: 2 CPU processes (gloo) write one run folder, reach the accuracy of a single process,
and resume; fine-tuning, gradient accumulation, tiny eval splits and two nodes work too."""

import json, math, os, subprocess, sys
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from helpers import imgcls, free_port, count_images, IMGCLS
from imgcls.checkpointing import load_checkpoint

RUN = [sys.executable, '-m', 'torch.distributed.run']
TORCHRUN = [*RUN, '--standalone', '--nproc_per_node=2']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}


def torchrun(*args, check=True, launcher=TORCHRUN, program=IMGCLS, timeout=600):
    res = subprocess.run(
        [*launcher, *program, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=timeout
    )
    if check and res.returncode != 0:
        raise AssertionError(f'torchrun exited {res.returncode}\n{res.stdout}\n{res.stderr[-4000:]}')
    return res


def test_two_processes_train_one_run_folder(tmp_path, quick_yaml):
    torchrun('train', '--config', quick_yaml, '--no-progress', 'training.num_epochs=4', 'training.batch_size=32')
    runs = list((tmp_path / 'runs').iterdir())
    assert [r.name for r in runs] == ['quick_epochs_4_batch_32']  # only rank 0 created a folder
    run = runs[0]
    summary = (run / 'summary.txt').read_text()
    assert 'status: completed' in summary and 'processes: 2' in summary
    ck = load_checkpoint(run / 'weights' / 'last.pt')
    assert len(ck['rng']) == 2 and len(ck['history']) == 4
    assert max(r['val_acc'] for r in ck['history']) > 0.8, ck[
        'history'
    ]  # the best epoch (best.pt); single epochs at lr 0.05 are noisy
    assert (run / 'plots' / 'confusion_matrix_val.png').is_file()
    log = (run / 'logs' / 'train.log').read_text()
    assert 'x 2 processes' in log and log.count('epoch 4/4') == 1  # one writer
    res = imgcls('infer', '--run', run)
    assert float(res.stdout.split()[-1]) > 0.8


def test_distributed_resume_continues_the_run(tmp_path, quick_yaml):
    torchrun('train', '--config', quick_yaml, '--no-progress', 'training.num_epochs=2')
    run = tmp_path / 'runs' / 'quick_epochs_2'
    torchrun('train', '--resume', run, '--no-progress', 'training.num_epochs=3')
    ck = load_checkpoint(run / 'weights' / 'last.pt')
    assert [r['epoch'] for r in ck['history']] == [1, 2, 3]
    res = imgcls('train', '--resume', run, 'training.num_epochs=4', check=False)
    assert res.returncode == 2 and 'same number' in res.stderr


def test_frozen_backbone_then_unfrozen_under_ddp(tmp_path, quick_yaml):
    "DDP is built after freezing and rebuilt at unfreezing (it failed with 'Expected to have finished reduction')."
    torchrun(
        'train',
        '--config',
        quick_yaml,
        '--no-progress',
        'model.freeze_backbone=true',
        'model.unfreeze_after=1',
        'training.num_epochs=2',
    )
    run = tmp_path / 'runs' / 'quick_freeze_backbone_true_unfreeze_after_1_epochs_2'
    assert 'status: completed' in (run / 'summary.txt').read_text()
    assert 'unfreezing the backbone at epoch 2' in (run / 'logs' / 'train.log').read_text()
    rng = load_checkpoint(run / 'weights' / 'last.pt')['rng']
    assert not torch.equal(rng[0]['torch'], rng[1]['torch'])  # each rank has its own stream (dropout, MixUp/CutMix)
    assert torch.equal(rng[0]['generator'], rng[1]['generator'])  # and all share the shuffle of each epoch


def test_hot_loop_communicates_once_per_optimiser_step(tmp_path, quick_yaml, digits):
    "grad_accum=2: gradients meet once per step, the stop flag every `stop_check_every` steps; the group is left."
    res = torchrun(
        quick_yaml,
        'training.num_epochs=1',
        'training.grad_accum=2',
        'training.batch_size=16',
        program=[str(Path(__file__).parent / 'ddp_probe.py')],
    )
    counts = json.loads(res.stdout.strip().splitlines()[-1])
    batches = math.ceil(
        math.ceil(count_images(digits / 'train') / 2) / 16
    )  # per process: 2 processes share train/, 16 images a batch
    assert counts['batches'] == batches and counts['steps'] == math.ceil(batches / 2), (
        counts
    )  # one optimiser step per 2 batches
    assert counts['gradient_exchanges'] == counts['steps'], counts  # no_sync on the micro-batches (was one per batch)
    other = (
        counts['all_reduce'] - counts['gradient_exchanges']
    )  # stop checks plus the epoch's totals and its stop check
    assert other <= counts['steps'] // 8 + 2, counts  # (was one per optimiser step)
    assert counts['group_left'], counts


def write_tiny_folder(root, per_class: dict) -> Path:
    "A train/val/test ImageFolder of random 16 px images, `per_class[split]` images per class and split."
    rng = np.random.default_rng(0)
    for split, n in per_class.items():
        for c in ('a', 'b'):
            (root / split / c).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / split / c / f'{i}.png')
    return root


def test_eval_split_smaller_than_the_world(tmp_path):
    "3 processes, a val split of 2 images: the rank with no val image must not hang the others."
    data = write_tiny_folder(tmp_path / 'tiny', {'train': 6, 'val': 1, 'test': 1})
    torchrun(
        'train',
        '--no-progress',
        f'data.data_dir={data}',
        'data.num_workers=0',
        f'output.runs_dir={tmp_path / "runs"}',
        'transforms.train.resize=16',
        'transforms.val.resize=16',
        'transforms.test.resize=16',
        'training.num_epochs=1',
        'training.batch_size=2',
        launcher=[*RUN, '--standalone', '--nproc_per_node=3'],
        timeout=180,
    )
    [run] = (tmp_path / 'runs').iterdir()
    assert (
        'status: completed' in (run / 'summary.txt').read_text() and 'processes: 3' in (run / 'summary.txt').read_text()
    )


def test_two_nodes_train_one_run_folder(tmp_path, quick_yaml):
    "Two torchrun launchers, one process each, joined by c10d rendezvous on 127.0.0.1: the same path as two machines."
    node = [
        *RUN,
        '--nnodes=2',
        '--nproc_per_node=1',
        '--rdzv-backend=c10d',
        f'--rdzv-endpoint=127.0.0.1:{free_port()}',
        '--rdzv-id=imgcls-test',
        *IMGCLS,
        'train',
        '--config',
        str(quick_yaml),
        '--no-progress',
        'training.num_epochs=2',
    ]
    nodes = [
        subprocess.Popen(node, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], [err[-3000:] for _, err in outs]
    [run] = (tmp_path / 'runs').iterdir()
    assert (
        'processes: 2' in (run / 'summary.txt').read_text() and 'status: completed' in (run / 'summary.txt').read_text()
    )
    assert len(load_checkpoint(run / 'weights' / 'last.pt')['rng']) == 2
