"""Run listing: `list_runs` over 1,000 run folders with 50 epochs of history each, and `imgcls runs` on the same folder.

Targets: `list_runs` < 2 s, `imgcls runs` (start-up included) < 3 s. Wall and CPU times are printed: on a shared, busy
machine the CPU time (user + system) is the fairer number. `--keep DIR` keeps the folders in DIR and reuses them on the
next run. The folders are written with imgcls's own writers (config, history, summary lines as training writes them); a
few are left running, stopped or broken so every path of the listing is timed.

Run: python bench/runs.py [--runs 1000] [--epochs 50] [--keep DIR]
"""

import argparse, random, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import copy
from omegaconf import OmegaConf
from imgcls.config import load_config
from imgcls.rundir import RunDir

IMGCLS = str(Path(sys.executable).parent / 'imgcls')
ARCHS = ['simple_cnn', 'tiny_net', 'resnet18', 'resnet34', 'efficientnet_b0']


def make_run(run_dir: Path, i: int, epochs: int, rng: random.Random, base: dict):
    "One run folder as training leaves it: config.yaml, config.json, logs/history.csv, summary.txt and (empty) weights."
    cfg = copy.deepcopy(base)
    cfg['model']['architecture'], cfg['optimizer']['lr'] = ARCHS[i % len(ARCHS)], rng.choice([0.1, 0.05, 0.01, 0.003])
    cfg['training']['num_epochs'], cfg['training']['batch_size'] = epochs, rng.choice([32, 64, 128])
    run_dir.mkdir(parents=True)
    rd = RunDir(run_dir)
    rd.write_config(OmegaConf.create(cfg))
    hist = [
        {
            'epoch': e + 1,
            'train_loss': 2 / (e + 1),
            'train_acc': 1 - 0.9 / (e + 1),
            'val_loss': 2.1 / (e + 1) + rng.random() * 0.05,
            'val_acc': 1 - 0.95 / (e + 1) - rng.random() * 0.02,
            'lr': 0.05,
            'seconds': 3.0 + rng.random(),
        }
        for e in range(epochs)
    ]
    rd.write_history(hist)
    status = (
        'stopped' if i % 97 == 0 else 'running' if i % 89 == 0 else 'completed'
    )  # 'running' with no lock: interrupted
    rd.write_summary(
        {
            'run': run_dir.name,
            'status': status,
            'epochs': f'{epochs}/{epochs}',
            'architecture': ARCHS[i % len(ARCHS)],
            'started': '2026-11-29T08:00:00+00:00',
            'finished': '2026-11-29T09:00:00+00:00',
            'best val_acc': f"{max(r['val_acc'] for r in hist):.4f}",
            'train time': f"{sum(r['seconds'] for r in hist):.1f}s",
        }
    )
    rd.write_metrics(
        'test',
        {'loss': hist[-1]['val_loss'], 'acc': hist[-1]['val_acc']},
        checkpoint='best.pt',
        epoch=epochs,
        source='imgcls infer',
    )
    rd.weights.mkdir()
    rd.last.write_bytes(b'')


def build(root: Path, n: int, epochs: int) -> Path:
    rng, runs, base = random.Random(0), root / 'runs', OmegaConf.to_container(load_config())
    for i in range(n):
        make_run(runs / (f'sweep_{i // 100}/trial_{i:04d}' if i % 2 else f'run_{i:04d}'), i, epochs, rng, base)
    (runs / 'notes').mkdir()
    (runs / 'notes' / 'todo.txt').write_text('foreign folder\n')
    return runs


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=1000)
    ap.add_argument('--epochs', type=int, default=50)
    ap.add_argument('--keep')
    a = ap.parse_args(argv)
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp())
    try:
        t0 = time.perf_counter()
        runs = root / 'runs' if (root / 'runs').is_dir() else build(root, a.runs, a.epochs)
        t_build = time.perf_counter() - t0
        from imgcls.runs import list_runs

        list_runs(runs)  # warm the file cache once, as a second call by a user would find it
        t0, c0 = time.perf_counter(), time.process_time()
        df = list_runs(runs, 'val_acc')
        t_list, c_list = time.perf_counter() - t0, time.process_time() - c0
        assert len(df) == a.runs + 1, len(df)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run([IMGCLS, 'runs', str(runs)], capture_output=True, text=True)
        t_cli = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c_cli = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
        assert res.returncode == 0, res.stderr
        t0 = time.perf_counter()
        subprocess.run([IMGCLS, '--help'], capture_output=True)
        t_help = time.perf_counter() - t0
        print(
            f'{len(df) - 1} runs x {a.epochs} epochs (made in {t_build:.1f}s); '
            f'statuses: {df.status.value_counts().to_dict()}'
        )
        print(f'list_runs:   {t_list:.2f} s wall, {c_list:.2f} s CPU (target < 2 s)')
        print(
            f'imgcls runs: {t_cli:.2f} s wall, {c_cli:.2f} s CPU, start-up included '
            f'(target < 3 s; imgcls --help alone {t_help:.2f} s wall)'
        )
        return {
            'list_runs': t_list,
            'list_runs_cpu': c_list,
            'imgcls runs': t_cli,
            'imgcls_runs_cpu': c_cli,
            'runs': len(df) - 1,
            'epochs': a.epochs,
        }
    finally:
        if not a.keep:
            shutil.rmtree(root)


if __name__ == '__main__':
    main()
