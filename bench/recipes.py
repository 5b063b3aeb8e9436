"""A recipe on the full Fashion-MNIST, beside the published results.

Run: python bench/recipes.py [recipes/fashion_mnist.yaml] [--data data/fmnist] [--name NAME] [--no-write]
     [key.sub=value ...]
Workload: `imgcls train --config RECIPE` as a fresh process, then best.pt scored on the test split (start-up, data
caching, training, temperature fit and the test evaluation all inside the wall time) on `imgcls data fashion_mnist`
(50k train, 10k val, the official 10k test).
Prints the official-test accuracy and the wall time beside the rows of Fashion-MNIST's own benchmark table
(https://github.com/zalandoresearch/fashion-mnist#benchmark, "Benchmark" section of its README), the machine and its
load (`os.getloadavg`: on a shared machine the wall time is inflated by roughly load / cores), and appends the row to
bench/RESULTS.md.
"""

import argparse, datetime, os, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine

PUBLISHED = [
    ('ResNet18 (with augmentation)', '0.949'),
    ('MobileNet', '0.950'),
    ('WRN-28-10', '0.959'),
    ('Two-conv-layer nets', '0.919-0.925'),
]
SOURCE = 'Fashion-MNIST README, benchmark table (https://github.com/zalandoresearch/fashion-mnist#benchmark)'


# Returns (run folder, test accuracy, wall seconds, load averages before and after).
def run_recipe(recipe, data, name, overrides) -> tuple:
    "Train `recipe` in a fresh `imgcls train` process, then score best.pt on the official test split."
    load0, t0 = os.getloadavg(), time.perf_counter()
    subprocess.run(
        [
            'imgcls',
            'train',
            '--config',
            str(recipe),
            '--name',
            name,
            '--no-progress',
            f'data.data_dir={data}',
            *overrides,
        ],
        check=True,
    )
    from imgcls.inference import load_run, evaluate_run

    run_dir = Path('runs') / name
    acc = evaluate_run(load_run(run_dir), 'test')['accuracy']
    return run_dir, acc, time.perf_counter() - t0, (load0, os.getloadavg())


def table(recipe, acc, wall, load) -> str:
    "The comparison as Markdown: this run, then the published rows."
    rows = [
        f'| imgcls `{recipe}` (this run) | {acc:.4f} | {wall / 60:.1f} min, load {load[0][0]:.1f} -> {load[1][0]:.1f} |'
    ]
    rows += [f'| {m} (published) | {a} | |' for m, a in PUBLISHED]
    return '\n'.join(['| Model | Official-test accuracy | Wall time (2-core CPU) |', '|---|---|---|', *rows])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('recipe', nargs='?', default='recipes/fashion_mnist.yaml')
    p.add_argument('--data', default='data/fmnist')
    p.add_argument('--name', default=None)
    p.add_argument('--no-write', action='store_true')
    p.add_argument('overrides', nargs='*', help='config overrides, e.g. training.num_epochs=1 for a smoke run')
    a = p.parse_intermixed_args(argv)
    if not (Path(a.data) / 'test').is_dir():
        raise SystemExit(f'{a.data} has no test/ split; make it with: imgcls data fashion_mnist {a.data}')
    name = a.name or f"bench_{Path(a.recipe).stem}_{datetime.datetime.now():%Y%m%d_%H%M%S}"
    run_dir, acc, wall, load = run_recipe(a.recipe, a.data, name, a.overrides)
    text = table(a.recipe, acc, wall, load)
    print(f'\n{machine()}\n{text}\nSource of the published rows: {SOURCE}')
    if not a.no_write:
        with open(Path(__file__).parent / 'RESULTS.md', 'a') as f:
            f.write(
                f"\n## bench/recipes.py: `{a.recipe}` {' '.join(a.overrides)} ({datetime.date.today()})\n\n"
                f"{machine()}; run folder {run_dir}\n\n"
                f"{text}\n\nSource of the published rows: {SOURCE}.\n"
            )


if __name__ == '__main__':
    main()
