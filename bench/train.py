"""End-to-end training: imgcls with its best settings for this machine against the PyTorch tutorial's pipeline.

Run: python bench/train.py [--per-class 600] [--epochs 2]
Workload: Fashion-MNIST folder (6,000 train / 2,000 val PNGs), ResNet-18 from scratch at 64 px RGB, batch 64, SGD,
StepLR.
Prints train and val seconds per epoch, val accuracy, and the speed-up. Target: imgcls epochs >= 1.6x faster at equal or
better accuracy.
"""

import argparse, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import torch, torchvision
from torch import nn
from common import fashion_folder, tutorial_loader, machine, matmul_rate
from imgcls.train import Training

SGD = dict(lr=0.05, momentum=0.9, weight_decay=5e-4)


def tutorial(root, epochs, batch, workers):
    "The tutorial's loop: fp32, ImageFolder + PIL transforms, DataLoader(num_workers=2)."
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.SGD(model.parameters(), **SGD)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.2)
    train, val = (
        tutorial_loader(root / 'train', 'flip', 64, batch, workers),
        tutorial_loader(root / 'val', 'none', 64, batch, workers),
    )
    rows = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        for x, y in train:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        sched.step()
        t1 = time.perf_counter()
        model.eval()
        correct = n = 0
        with torch.no_grad():
            for x, y in val:
                correct += (model(x).argmax(1) == y).sum().item()
                n += len(y)
        rows.append({'train_s': t1 - t0, 'val_s': time.perf_counter() - t1, 'val_acc': correct / n})
    return rows


def imgcls_settings(root, epochs, batch, workers, precision='auto', channels_last=True, compile=False):
    return [
        f'data.data_dir={root}',
        *([f'data.num_workers={workers}'] if workers is not None else []),
        f'training.batch_size={batch}',
        f'training.num_epochs={epochs}',
        'model.architecture=resnet18',
        'model.dropout=0.0',
        'optimizer.name=sgd',
        f"optimizer.lr={SGD['lr']}",
        f"optimizer.momentum={SGD['momentum']}",
        f"optimizer.weight_decay={SGD['weight_decay']}",
        'scheduler.name=step',
        'scheduler.step_size=5',
        'scheduler.gamma=0.2',
        *(f'transforms.{s}.resize=64' for s in ('train', 'val', 'test')),
        'transforms.train.hflip=0.5',
        f'training.precision={precision}',
        f'training.channels_last={str(channels_last).lower()}',
        f'training.compile={str(compile).lower()}',
        'deterministic=false',
        'output.runs_dir=' + str(Path(root).parent / 'runs'),
    ]


# The val seconds (the rest of each epoch) cover evaluation and checkpoints.
def imgcls(root, epochs, batch, workers, **settings):
    "imgcls's one training path; train seconds from the loop, val seconds as the rest of each epoch."
    t = Training(overrides=imgcls_settings(root, epochs, batch, workers, **settings))
    rows, marks = [], []
    t.on('on_train_begin', lambda **kw: marks.append(time.perf_counter()))

    def end(metrics, **kw):
        now = time.perf_counter()
        rows.append(
            {
                'train_s': metrics['seconds'],
                'val_s': now - marks[-1] - metrics['seconds'],
                'val_acc': metrics['val_acc'],
            }
        )
        marks.append(now)

    t.on('on_epoch_end', end)
    t0 = time.perf_counter()
    t.build()
    setup = time.perf_counter() - t0  # the scan and cache fill
    t.run()
    rows[0]['train_s'] += setup
    return rows, t


def report(name, rows):
    for i, r in enumerate(rows):
        print(
            f"{name:34} epoch {i + 1}: train {r['train_s']:6.1f}s  val {r['val_s']:5.1f}s  val acc {r['val_acc']:.4f}"
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--per-class', type=int, default=600)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--workers', type=int, default=2)
    a = p.parse_args(argv)
    root = fashion_folder(a.per_class)
    print(machine())
    ours, t = imgcls(root, a.epochs, a.batch, None)  # imgcls picks its workers (none on 2 cores with the data cached)
    theirs = tutorial(root, a.epochs, a.batch, a.workers)
    report(f'imgcls ({t.amp_dtype or torch.float32}, channels_last, {t.data.train_loader.num_workers} workers)', ours)
    report('tutorial (fp32)', theirs)
    total = lambda rows: sum(r['train_s'] + r['val_s'] for r in rows)
    speedup = total(theirs) / total(ours)
    print(
        f"speed-up (train + val, {a.epochs} epochs): {speedup:.2f}x (target >= 1.6); "
        f"val acc {ours[-1]['val_acc']:.4f} vs {theirs[-1]['val_acc']:.4f}"
    )
    from torch.utils.flop_counter import FlopCounterMode

    m = torchvision.models.resnet18(num_classes=10)
    with FlopCounterMode(display=False) as fc:
        nn.functional.cross_entropy(
            m(torch.randn(a.batch, 3, 64, 64)), torch.zeros(a.batch, dtype=torch.long)
        ).backward()
    n_train = len(t.data.train_loader.dataset)
    achieved = fc.get_total_flops() / a.batch * n_train / min(r['train_s'] for r in ours[1:] or ours) / 1e9
    rates = {'fp32': matmul_rate(torch.float32), 'bf16': matmul_rate(torch.bfloat16)}
    print(
        f"training: {achieved:.0f} GFLOP/s = {achieved / rates['fp32']:.0%} of fp32 matmul ({rates['fp32']:.0f}), "
        f"{achieved / rates['bf16']:.0%} of bf16 matmul ({rates['bf16']:.0f})"
    )
    return {
        'ours': ours,
        'theirs': theirs,
        'speedup': speedup,
        'gflops': achieved,
        'rates': rates,
        'precision': str(t.amp_dtype or torch.float32),
        'train_images': n_train,
        'val_images': len(t.data.eval_loaders['val'].dataset),
    }


if __name__ == '__main__':
    main()
