"`imgcls train` under torchrun: 2 CPU processes (gloo) write one run folder, reach the accuracy of a single process, and resume."
import os, subprocess, sys
from conftest import imgcls, IMGCLS
from imgcls.checkpointing import load_checkpoint

TORCHRUN = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2']


def torchrun(*args, check=True):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    res = subprocess.run([*TORCHRUN, *IMGCLS, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    if check and res.returncode != 0: raise AssertionError(f'torchrun exited {res.returncode}\n{res.stdout}\n{res.stderr[-4000:]}')
    return res


def test_two_processes_train_one_run_folder(tmp_path, quick_config):
    torchrun('train', '--config', quick_config, '--no-progress', 'training.num_epochs=4', 'training.batch_size=32')
    runs = list((tmp_path/'runs').iterdir())
    assert [r.name for r in runs] == ['quick_epochs_4_batch_32']  # only rank 0 created a folder
    run = runs[0]
    summary = (run/'summary.txt').read_text()
    assert 'status: completed' in summary and 'processes: 2' in summary
    ck = load_checkpoint(run/'weights'/'last.pt')
    assert len(ck['rng']) == 2 and len(ck['history']) == 4
    assert max(r['val_acc'] for r in ck['history']) > 0.8, ck['history']  # the best epoch (best.pt); single epochs at lr 0.05 are noisy
    assert (run/'plots'/'confusion_matrix_val.png').is_file()
    log = (run/'logs'/'train.log').read_text()
    assert 'x 2 processes' in log and log.count('epoch 4/4') == 1  # one writer
    res = imgcls('infer', '--run', run)
    assert float(res.stdout.split()[-1]) > 0.8


def test_distributed_resume_continues_the_run(tmp_path, quick_config):
    torchrun('train', '--config', quick_config, '--no-progress', 'training.num_epochs=2')
    run = tmp_path/'runs'/'quick_epochs_2'
    torchrun('train', '--resume', run, '--no-progress', 'training.num_epochs=3')
    ck = load_checkpoint(run/'weights'/'last.pt')
    assert [r['epoch'] for r in ck['history']] == [1, 2, 3]
    res = imgcls('train', '--resume', run, 'training.num_epochs=4', check=False)
    assert res.returncode == 2 and 'same number' in res.stderr
