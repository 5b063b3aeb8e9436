"""Scale: epoch time and peak memory for 6k, 30k and 58k Fashion-MNIST train images, and the cache's RAM budget.

Run: python bench/scale.py [--sizes 600 3000 5800] [--arch simple_cnn]
Each size trains one epoch (28 px, batch 64) in a fresh process; a last run sets a cache budget too small for the data
to show the fallback.
"""

import argparse, json, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import fashion_folder, machine

CHILD = (
    '''
import json, sys, time
sys.path.insert(0, {bench!r})
from common import peak_rss_mb
from imgcls.train import Training
t = Training(overrides={overrides!r}).build()
t0 = time.perf_counter(); t.run()
h = t.state['history'][-1]
print(json.dumps({{'train_images': len(t.data.train_loader.dataset), 'epoch_s': h['seconds'], '''
    "'total_s': time.perf_counter() - t0,\n"
    "                  'peak_mb': peak_rss_mb(), "
    "'cache_mb': (t.data.scan.cache.nbytes / 2**20) if t.data.scan.cache is not None else 0.0}}))\n"
)


def one(root, arch, cache_mb):
    overrides = [
        f'data.data_dir={root}',
        f'model.architecture={arch}',
        'training.num_epochs=1',
        'deterministic=false',
        'training.precision=auto',
        'training.channels_last=true',
        f'data.cache_mb={cache_mb}',
        'output.runs_dir=' + str(Path(root).parent / 'runs'),
        *(f'transforms.{s}.resize=28' for s in ('train', 'val', 'test')),
    ]
    out = subprocess.run(
        [sys.executable, '-c', CHILD.format(bench=str(Path(__file__).parent), overrides=overrides)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sizes', type=int, nargs='+', default=[600, 3000, 5800])
    p.add_argument('--arch', default='simple_cnn')
    a = p.parse_args(argv)
    print(machine())
    rows = [dict(one(fashion_folder(n), a.arch, 2048), cache_budget_mb=2048) for n in a.sizes]
    rows.append(dict(one(fashion_folder(a.sizes[-1]), a.arch, 16), cache_budget_mb=16))
    print(
        f"{'train images':>12} {'cache budget':>12} {'cached MiB':>10} {'epoch s':>8} {'s/1k img':>8} {'peak MiB':>9}"
    )
    for r in rows:
        print(
            f"{r['train_images']:>12} {r['cache_budget_mb']:>12} {r['cache_mb']:>10.1f} {r['epoch_s']:>8.1f} "
            f"{1000 * r['epoch_s'] / r['train_images']:>8.2f} {r['peak_mb']:>9.0f}"
        )
    return rows


if __name__ == '__main__':
    main()
