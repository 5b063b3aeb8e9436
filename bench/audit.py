"""Audit: does `imgcls audit` find flipped labels and leaks?

A copy of the digits (16 px) with 5 % of the train labels flipped to another class (seeded) and 10 train images copied
into test. Prints the recall and precision of the flipped images among the audit's top 2 x (number of flips) label
findings (target: recall >= 0.7), and whether every copy in test is reported as a leak.

Run: python bench/audit.py [--folds 3] [--epochs 6] [--keep DIR]
"""

import argparse, json, random, shutil, sys, tempfile, time
from pathlib import Path
from imgcls.data import write_digits
from imgcls.audit import audit, read_issues, ISSUES, CV


# Flipping a label moves the file to another class folder.
def corrupt(root: Path, fraction: float, copies: int, seed: int) -> tuple:
    "Flip `fraction` of the train labels and copy `copies` train images into test; return (flipped, copied) paths."
    rng = random.Random(seed)
    train = sorted((root / 'train').glob('*/*.png'))
    classes = sorted(p.name for p in (root / 'train').iterdir())
    picked = rng.sample(train, round(fraction * len(train)))
    flipped = []
    for p in picked:
        dst = root / 'train' / rng.choice([c for c in classes if c != p.parent.name]) / p.name
        p.rename(dst)
        flipped.append(dst.absolute())
    left = [p for p in sorted((root / 'train').glob('*/*.png')) if p.absolute() not in set(flipped)]
    copied = []
    for p in rng.sample(left, copies):
        dst = root / 'test' / p.parent.name / f'copy_{p.name}'
        shutil.copy(p, dst)
        copied.append(dst.absolute())
    return flipped, copied


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--folds', type=int, default=3)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--keep', metavar='DIR', help='work in DIR and keep it (default: a temporary folder, removed)')
    args = ap.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix='imgcls-audit-bench-'))
    try:
        root = write_digits(work / 'digits', size=16)
        flipped, copied = corrupt(root, 0.05, 10, seed=0)
        t0 = time.perf_counter()
        out = audit(
            overrides=[
                f'data.data_dir={root}',
                'model.architecture=simple_cnn',
                *(f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')),
                f'training.num_epochs={args.epochs}',
                'optimizer.name=adam',
                'optimizer.lr=0.005',
                'training.batch_size=32',
                'data.num_workers=0',
                f'output.runs_dir={work / "runs"}',
                'output.name=bench',
            ],
            folds=args.folds,
        )
        seconds = time.perf_counter() - t0
        found = read_issues(out / ISSUES)
        labels = [f for f in found if f['kind'] == 'label']  # most suspect first
        top = {Path(f['path']) for f in labels[: 2 * len(flipped)]}
        hits = len(top & set(flipped))
        leaks = {Path(f['path']) for f in found if f['kind'] == 'leak'}
        cv = json.loads((out.parent / CV).read_text())
        result = {
            'flips': len(flipped),
            'label_findings': len(labels),
            'top': len(top),
            'recall': hits / len(flipped),
            'precision': hits / max(1, len(top)),
            'copies_reported_as_leaks': f'{len(set(copied) & leaks)}/{len(copied)}',
            'cv_accuracy': f"{cv['mean']:.4f} ± {cv['sd']:.4f}",
            'folds': args.folds,
            'epochs': args.epochs,
            'seconds': round(seconds, 1),
        }
        print(json.dumps(result, indent=1))
        print(
            f"recall {result['recall']:.3f} (target >= 0.7), precision {result['precision']:.3f} "
            f"among the top {len(top)} label findings; "
            f"leaks found for {result['copies_reported_as_leaks']} copies in test"
        )
        return 0 if result['recall'] >= 0.7 and len(set(copied) & leaks) == len(copied) else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
