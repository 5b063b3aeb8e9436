"""Framework overhead: imgcls's training loop against a bare PyTorch loop (same preloaded tensors, model and batch).

Run: python bench/overhead.py [--arch resnet18] [--size 32] [--batches 30] [--rounds 5]
Both loops do forward, loss, backward, optimiser step and LR-schedule step in fp32; imgcls adds its events, metrics and
stop checks.
Prints seconds per epoch (best of the interleaved rounds) and the overhead. Target: <= 3 %.
"""

import argparse, copy, sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).parent))
import torch
from torch import nn
from common import interleaved, machine
from imgcls.train import Training


class Preloaded:
    "Preloaded batches, shaped like the training loader the loop reads."

    def __init__(self, batches, batch_size):
        self.batches, self.batch_size = batches, batch_size
        self.dataset, self.sampler = range(len(batches) * batch_size), SimpleNamespace(skip=0)

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--arch', default='resnet18')
    p.add_argument('--size', type=int, default=32)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--batches', type=int, default=30)
    p.add_argument('--rounds', type=int, default=5)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    batches = [(torch.randn(a.batch, 3, a.size, a.size), torch.randint(0, 10, (a.batch,))) for _ in range(a.batches)]
    t = Training(
        overrides=[
            f'model.architecture={a.arch}',
            'model.num_classes=10',
            'model.dropout=0.0',
            'data.num_workers=0',
            'deterministic=false',
            f'training.batch_size={a.batch}',
            'training.precision=fp32',
            'data.scan=false',
        ]
    ).build()
    t.data.train_loader = Preloaded(batches, a.batch)
    model = copy.deepcopy(t.model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)

    def bare():
        model.train()
        for x, y in batches:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()

    def ours():
        t.state['batch'] = 0
        t.train_epoch(0)

    bare()
    ours()  # warm-up
    best = interleaved({'bare': bare, 'imgcls': ours}, a.rounds)
    overhead = best['imgcls'] / best['bare'] - 1
    print(machine())
    print(f"{a.arch} at {a.size} px, batch {a.batch}, {a.batches} batches/epoch, best of {a.rounds} interleaved rounds")
    print(
        f"bare loop {best['bare']:.3f}s/epoch, imgcls loop {best['imgcls']:.3f}s/epoch, "
        f"overhead {overhead:+.1%} (target <= 3 %)"
    )
    return {
        'bare': best['bare'],
        'imgcls': best['imgcls'],
        'overhead': overhead,
        'arch': a.arch,
        'size': a.size,
        'batch': a.batch,
    }


if __name__ == '__main__':
    main()
