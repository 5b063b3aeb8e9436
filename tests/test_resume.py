"Interrupting a real training process and resuming it gives bitwise the run that was never interrupted."

import math, os, re, signal, subprocess, threading
import torch
from helpers import imgcls, wait_for, count_images, IMGCLS
from imgcls.checkpointing import load_checkpoint
from imgcls.config import run_name

EPOCHS, BATCH_SIZE = 4, 64
OVERRIDES = [
    f'training.num_epochs={EPOCHS}',
    f'training.batch_size={BATCH_SIZE}',
    'transforms.train.hflip=0.5',
    'data.num_workers=2',
    'optimizer.name=adam',
    'optimizer.lr=0.003',
]


def _history(run):
    return [
        {k: v for k, v in r.items() if k != 'seconds'} for r in load_checkpoint(run / 'weights' / 'last.pt')['history']
    ]


class BatchesSeen:
    "A training process's stderr as it comes; `.count(epoch)`: the last batch count shown for `epoch` (from 1)."

    def __init__(self, proc):
        self.text = ''
        self.thread = threading.Thread(target=self.read, args=(proc.stderr.fileno(),), daemon=True)
        self.thread.start()

    def read(self, fd: int):
        while chunk := os.read(fd, 4096):
            self.text += chunk.decode(errors='replace')

    def count(self, epoch: int) -> int:
        counts = re.findall(
            rf'epoch {epoch}/{EPOCHS}:[^\r\n|]*\|[^|]*\|\s*(\d+)/\d+', self.text
        )  # tqdm: `epoch 2/4:  35%|###5   | 7/20 [...]`
        return int(counts[-1]) if counts else 0


def test_sigterm_saves_last_pt_and_resume_is_exact(tmp_path, quick_yaml, digits):
    imgcls('train', '--config', quick_yaml, '--no-progress', *OVERRIDES)
    full = tmp_path / 'runs' / run_name(OVERRIDES, quick_yaml)
    stopped = full.with_name(full.name + '_2')
    batches = math.ceil(count_images(digits / 'train') / BATCH_SIZE)  # batches per epoch
    stop_after = batches // 3  # observed in the second epoch's progress bar: well before its end
    proc = subprocess.Popen(
        [*IMGCLS, 'train', '--config', str(quick_yaml), *OVERRIDES],  # with progress bars on stderr
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = BatchesSeen(proc)
    try:
        wait_for(lambda: seen.count(2) >= stop_after or proc.poll() is not None)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        seen.thread.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, seen.text[-3000:]
    assert 'Traceback' not in seen.text
    assert 'status: interrupted' in (stopped / 'summary.txt').read_text()
    ck = load_checkpoint(stopped / 'weights' / 'last.pt')
    assert ck['epoch'] == 1 and stop_after <= ck['batch'] < batches, (
        ck['epoch'],
        ck['batch'],
        batches,
    )  # mid-way through the second epoch
    imgcls('train', '--resume', stopped, '--no-progress')
    a, b = load_checkpoint(full / 'weights' / 'last.pt'), load_checkpoint(stopped / 'weights' / 'last.pt')
    for k in a['model']:
        assert torch.equal(a['model'][k], b['model'][k]), k
    assert _history(full) == _history(stopped)
    assert 'status: completed' in (stopped / 'summary.txt').read_text()
    log = (stopped / 'logs' / 'train.log').read_text()
    assert 'interrupted at epoch 2, batch' in log and 'resuming run' in log  # appended to the same log


def test_resume_refuses_changed_settings(run_copy, trained_run):
    run = run_copy  # resuming changes the run: a copy of the shared one-epoch run
    res = imgcls('train', '--resume', run, 'optimizer.lr=0.5', check=False)
    assert res.returncode == 2 and 'Cannot change optimizer.lr=0.5 when resuming' in res.stderr
    res = imgcls('train', '--resume', run, '--config', trained_run.config, check=False)
    assert res.returncode == 2 and 'cannot be combined' in res.stderr
    imgcls('train', '--resume', run, '--no-progress', 'training.num_epochs=2')
    assert len(_history(run)) == 2


def test_resuming_a_completed_run_changes_nothing_and_says_how_to_train_more(run_copy, tmp_path):
    run, elsewhere = run_copy, tmp_path / 'elsewhere'
    elsewhere.mkdir()
    files = {p: p.read_bytes() for p in run.rglob('*') if p.is_file()}
    res = imgcls('train', '--resume', run, cwd=elsewhere, check=False)
    assert (
        res.returncode == 2 and f'Nothing to resume in {run.absolute()}: it trained all 1 of its 1 epochs' in res.stderr
    ), res.stderr
    assert {
        p: p.read_bytes() for p in run.rglob('*') if p.is_file()
    } == files  # summary.txt, logs and weights as they were
    hint = re.search(r'add epochs: (imgcls train --resume \S+ training\.num_epochs=\d+)', res.stderr)[1]
    imgcls(
        *re.sub(r'num_epochs=\d+', 'num_epochs=2', hint).split()[1:], '--no-progress', cwd='/'
    )  # the hint works from any folder
    assert len(_history(run)) == 2 and 'status: completed' in (run / 'summary.txt').read_text()
