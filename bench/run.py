"""Run every benchmark and write the Markdown table to bench/RESULTS.md (and print it).

Run: python bench/run.py [--suite-log LOG]   (LOG: the output of `bash scripts/test.sh`, for the test-suite rows)
     python bench/run.py --render --suite-log LOG   (re-render RESULTS.md from bench/results.json without re-running)
     python bench/run.py --only train data          (re-measure some benchmarks, keep the other rows)
Every ratio compares against a baseline measured in the same run on the same machine.
"""

import argparse, json, re, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import data, inference, overhead, runs, scale, startup, train
from common import machine

HERE = Path(__file__).parent


def suite_rows(log):
    "Test-suite wall times parsed from a scripts/test.sh log."
    text = Path(log).read_text()
    rows = []
    m = re.search(r'nbdev-test took (\d+)s', text)
    if m:
        rows.append(('nbdev-test wall time', f'{m.group(1)} s', '', 'target < 180 s'))
    slow = re.findall(r'^(\S+\.ipynb): (\d+) secs', text, re.M)
    if slow:
        rows.append(('slowest notebooks', ', '.join(f'{n} {s} s' for n, s in slow[:3]), '', 'trim these first'))
    m = re.search(r'scripts/test.sh after set-up took (\d+)s', text)
    if m:
        rows.append(('.ci/run after set-up', f'{m.group(1)} s', '', 'CI limit 5,400 s'))
    m = re.search(r'(\d+) passed.* in ([\d.]+)s', text)
    if m:
        rows.append(('pytest', f'{m.group(1)} passed in {float(m.group(2)):.0f} s', '', ''))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--suite-log')
    p.add_argument('--render', action='store_true')
    p.add_argument('--only', nargs='+', choices=list(GROUPS))
    a = p.parse_args(argv)
    if a.render:
        rows = json.loads((HERE / 'results.json').read_text())
    elif a.only:
        fresh = measure(a.only)
        rows = [
            r
            for r in json.loads((HERE / 'results.json').read_text())
            if not r[0].startswith(tuple(p for g in a.only for p in GROUPS[g]))
        ]
        rows = sorted(
            rows + fresh, key=lambda r: list(GROUPS).index(next(g for g, ps in GROUPS.items() if r[0].startswith(ps)))
        )
    else:
        rows = measure(list(GROUPS))
    (HERE / 'results.json').write_text(json.dumps(rows, indent=1))
    if a.suite_log:
        rows += [(f'6. test suite: {n}', v, r, c) for n, v, r, c in suite_rows(a.suite_log)]
    table = ['| benchmark | measured | ratio | workload / notes |', '|---|---|---|---|'] + [
        f'| {" | ".join(map(str, r))} |' for r in rows
    ]
    text = (
        f"# Benchmark results\n\nMachine: {machine()}. "
        "Run with `python bench/run.py --suite-log LOG` (each benchmark is also a script "
        "of its own in `bench/`). Ratios compare against a baseline measured in the same run; "
        "the machine is shared, so absolute times vary.\n\n" + '\n'.join(table) + '\n'
    )
    (HERE / 'RESULTS.md').write_text(text)
    print(text)


GROUPS = {
    'train': ('1.', '3.'),
    'overhead': ('2.',),
    'scale': ('4.',),
    'startup': ('5.',),
    'data': ('data loader',),
    'inference': ('inference',),
    'runs': ('runs:',),
}


def measure(groups) -> list:
    "Run the benchmarks of `groups`; one table row each."
    rows = []
    if 'train' in groups:
        rows += train_rows()
    if 'overhead' in groups:
        ov = overhead.main([])
        rows.append(
            (
                '2. framework overhead',
                f"{ov['imgcls']:.3f} s vs {ov['bare']:.3f} s per epoch",
                f"{ov['overhead']:+.1%}",
                f"{ov['arch']} {ov['size']} px, batch {ov['batch']}, fp32, preloaded tensors; target <= 3 %",
            )
        )
    if 'scale' in groups:
        for r in scale.main([]):
            rows.append(
                (
                    f"4. scale, {r['train_images']} train images, cache budget {r['cache_budget_mb']} MiB",
                    f"{r['epoch_s']:.1f} s/epoch, peak RSS {r['peak_mb']:.0f} MiB",
                    f"{1000 * r['epoch_s'] / r['train_images']:.2f} s per 1k images",
                    f"simple_cnn 28 px, batch 64, bf16 where native; cached {r['cache_mb']:.0f} MiB",
                )
            )
    if 'startup' in groups:
        for k, v in startup.main().items():
            rows.append((f'5. start-up: {k}', f'{v:.3f} s', '', 'target < 0.5 s'))
    if 'data' in groups:
        for d in data.main([]):
            rows.append(
                (
                    f"data loader: {d['name']}",
                    f"{d['rows'][-1][1]:.0f} vs {d['rows'][-1][2]:.0f} img/s (last epoch)",
                    f"{d['ratio']:.2f}x from epoch 2 (lowest {d['lowest']:.2f}x)",
                    f"{d['images']} images -> {d['output']}, batch 64, 2 workers each; target >= 3x (issue 3)",
                )
            )
    if 'inference' in groups:
        inf = inference.main([])
        rows.append(
            (
                'inference: imgcls predict vs bare torchvision loop',
                f"{inf['files']:.2f}x (files), {inf['tensors']:.2f}x (tensors)",
                '',
                'target >= 1.0 (issue 6)',
            )
        )
        rows.append(
            (
                'inference: bf16 vs fp32',
                f"{inf['bf16_files']:.2f}x (files), {inf['bf16_tensors']:.2f}x (tensors)",
                '',
                'resnet18 64 px, batch 64',
            )
        )
    if 'runs' in groups:
        rows += runs_rows(runs.main([]))
    return rows


def runs_rows(r: dict) -> list:
    "Rows for bench/runs.py's timings."
    wl = f"{r['runs']} run folders x {r['epochs']} epochs of history"
    return [
        ('runs: list_runs', f"{r['list_runs']:.2f} s wall, {r['list_runs_cpu']:.2f} s CPU", '', f'{wl}; target < 2 s'),
        (
            'runs: imgcls runs, start-up included',
            f"{r['imgcls runs']:.2f} s wall, {r['imgcls_runs_cpu']:.2f} s CPU",
            '',
            f'{wl}; target < 3 s',
        ),
    ]


def train_rows() -> list:
    rows = []
    tr = train.main([])
    ours, theirs = tr['ours'], tr['theirs']
    wl = (
        f"Fashion-MNIST folder, {tr['train_images']} train / {tr['val_images']} val PNGs, "
        "resnet18 from scratch, 64 px RGB, batch 64"
    )
    for i, (o, t) in enumerate(zip(ours, theirs)):
        rows.append(
            (
                f'1. end-to-end epoch {i + 1} (train + val)',
                f"{o['train_s'] + o['val_s']:.1f} s vs {t['train_s'] + t['val_s']:.1f} s",
                f"{(t['train_s'] + t['val_s']) / (o['train_s'] + o['val_s']):.2f}x",
                f"{wl}; imgcls {tr['precision']} + channels_last + cache vs tutorial fp32",
            )
        )
    rows.append(
        (
            '1. end-to-end, 2 epochs',
            f"val acc {ours[-1]['val_acc']:.4f} vs {theirs[-1]['val_acc']:.4f}",
            f"{tr['speedup']:.2f}x",
            'target >= 1.6x at equal or better accuracy',
        )
    )
    rows.append(
        (
            '3. training FLOP/s',
            f"{tr['gflops']:.0f} GFLOP/s",
            (
                f"{tr['gflops'] / tr['rates']['fp32']:.0%} of fp32, "
                f"{tr['gflops'] / tr['rates']['bf16']:.0%} of bf16 matmul"
            ),
            (
                f"matmul 2048^2: fp32 {tr['rates']['fp32']:.0f}, bf16 {tr['rates']['bf16']:.0f} GFLOP/s "
                "measured in the same run"
            ),
        )
    )
    return rows


if __name__ == '__main__':
    main()
