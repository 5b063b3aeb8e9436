"Interrupting a real training process and resuming it gives bitwise the run that was never interrupted."
import signal, subprocess, time
import torch
from conftest import imgcls, wait_for, IMGCLS
from imgcls.checkpointing import load_checkpoint

OVERRIDES = ['training.num_epochs=4', 'transforms.train.hflip=0.5', 'data.num_workers=2', 'optimizer.name=adam', 'optimizer.lr=0.003']




def _history(run):
    return [{k: v for k, v in r.items() if k != 'seconds'} for r in load_checkpoint(run/'weights'/'last.pt')['history']]


def test_sigterm_saves_last_pt_and_resume_is_exact(tmp_path, quick_config):
    imgcls('train', '--config', quick_config, '--no-progress', *OVERRIDES)
    full = tmp_path/'runs'/'quick_epochs_4_hflip_0.5_opt_adam_lr_0.003'
    stopped = full.with_name(full.name + '_2')
    proc = subprocess.Popen([*IMGCLS, 'train', '--config', str(quick_config), '--no-progress', *OVERRIDES],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (stopped/'logs'/'train.log').is_file() and 'epoch 1/4' in (stopped/'logs'/'train.log').read_text())
        time.sleep(0.3)  # into the second epoch
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None: proc.kill()
    assert proc.returncode == 130, err
    assert 'Traceback' not in err
    assert 'status: interrupted' in (stopped/'summary.txt').read_text()
    ck = load_checkpoint(stopped/'weights'/'last.pt')
    assert ck['epoch'] < 4
    imgcls('train', '--resume', stopped, '--no-progress')
    a, b = load_checkpoint(full/'weights'/'last.pt'), load_checkpoint(stopped/'weights'/'last.pt')
    for k in a['model']: assert torch.equal(a['model'][k], b['model'][k]), k
    assert _history(full) == _history(stopped)
    assert 'status: completed' in (stopped/'summary.txt').read_text()
    log = (stopped/'logs'/'train.log').read_text()
    assert 'interrupted at epoch' in log and 'resuming run' in log  # appended to the same log


def test_resume_refuses_changed_settings(tmp_path, quick_config):
    imgcls('train', '--config', quick_config, '--no-progress', 'training.num_epochs=1')
    run = tmp_path/'runs'/'quick_epochs_1'
    res = imgcls('train', '--resume', run, 'optimizer.lr=0.5', check=False)
    assert res.returncode == 2 and 'Cannot change optimizer.lr=0.5 when resuming' in res.stderr
    res = imgcls('train', '--resume', run, '--config', quick_config, check=False)
    assert res.returncode == 2 and 'cannot be combined' in res.stderr
    imgcls('train', '--resume', run, '--no-progress', 'training.num_epochs=2')
    assert len(_history(run)) == 2
