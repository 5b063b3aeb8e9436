"""Sweeps: (1) the decoded-image cache across trials: trial 1's and trial 2's first epoch (data set-up included) in one
worker on JPEG photos (target: trial 2 at least 3x faster); (2) pruning pays: N trials with median pruning against N
without on the digits, wall time and best val accuracy of each (target: under 60 % of the time, best accuracy within 0.5
points).

Run: python bench/tune.py [--trials 12] [--epochs 6] [--photos 500] [--only cache|pruning]
Smoke: python bench/tune.py --trials 2 --epochs 2 --photos 8
"""

import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, photo_folder
from imgcls.data import write_digits
from imgcls.tune import Study, work, study_results

SPACE = """  space:
    optimizer.lr: {type: float, low: 1.0e-3, high: 0.3, log: true}
    training.batch_size: {type: categorical, choices: [32, 64, 128]}
"""


def config(folder: Path, data, study: str, trials: int, epochs: int, size: int, pruner: str) -> Path:
    p = folder / f'{study}.yaml'
    p.write_text(
        f"seed: 0\ndata: {{data_dir: {data}, num_workers: 0}}\noutput: {{runs_dir: {folder / 'runs'}}}\n"
        f"training: {{num_epochs: {epochs}}}\n"
        f"transforms: {{train: {{resize: {size}}}, val: {{resize: {size}}}, test: {{resize: {size}}}}}\n"
        f"tune:\n  study: {study}\n  trials: {trials}\n  pruner: {pruner}\n  sampler: random\n  seed: 0\n{SPACE}"
    )
    return p


def first_epochs(folder: Path, photos: int) -> list:
    "Seconds from each trial's start to the end of its first epoch, for two trials in one worker."
    cfg = config(folder, photo_folder(photos), 'cache', 2, 1, 64, 'none')
    times, start = [], {}

    def watch(t):
        start['t'] = time.perf_counter()
        t.on('on_epoch_end', lambda epoch, **kw: epoch == 1 and times.append(time.perf_counter() - start['t']))

    work(Study(cfg), 0, watch)
    return times


def sweep_time(folder: Path, digits, trials: int, epochs: int, pruner: str) -> tuple:
    sweep = Study(config(folder, digits, f'prune_{pruner}', trials, epochs, 16, pruner))
    t0 = time.perf_counter()
    work(sweep, 0)
    wall = time.perf_counter() - t0
    res = study_results(sweep, plots=False)
    return wall, res['best']['value'], res['states']


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--trials', type=int, default=12)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--photos', type=int, default=500)
    ap.add_argument('--only', choices=['cache', 'pruning'], help='run one of the two benchmarks')
    a = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        if a.only != 'pruning':
            t1, t2 = first_epochs(d, a.photos)
            print(
                f'decoded-image cache, {2 * a.photos} train + {2 * max(1, a.photos // 3)} val JPEGs of 500x375: '
                f'trial 1 first epoch {t1:.2f}s, trial 2 {t2:.2f}s, ratio {t1 / t2:.2f}x (target >= 3x)'
            )
        if a.only == 'cache':
            sys.exit()
        digits = write_digits(d / 'digits')
        rows = {p: sweep_time(d, digits, a.trials, a.epochs, p) for p in ('none', 'median')}
        for p, (wall, best, states) in rows.items():
            print(f'pruner {p:6s}: {a.trials} trials in {wall:.1f}s, best val acc {best:.4f}, {states}')
        (wn, bn, _), (wm, bm, _) = rows['none'], rows['median']
        print(
            f'median pruning: {wm / wn:.0%} of the time (target < 60%), '
            f'best val acc {100 * (bm - bn):+.2f} points (target within 0.5)'
        )
