"""Inference speed: imgcls `predict` against a bare torchvision eval loop, and the bf16 gain.

Run: python bench/inference.py [--arch resnet18] [--size 64] [--batch 64] [--repeats 3]
Both use the same model, batch and input.
Prints images/s for each and the ratios (imgcls / bare; bf16 / fp32). Target: imgcls / bare >= 1.0.
"""

import argparse, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import torch
from common import interleaved, tutorial_loader
from imgcls.config import load_config
from imgcls.data import write_digits, read_image, build_transforms, normalize_batch, list_images
from imgcls.inference import Run, predict, predict_batch
from imgcls.models import build_model


def bare_loop(model, root, size, batch):
    "The PyTorch tutorial's eval loop: ImageFolder + PIL transforms + DataLoader + no_grad."
    loader = tutorial_loader(root, 'none', size, batch, workers=0)

    def run():
        with torch.no_grad():
            for xb, _ in loader:
                model(xb).softmax(1)

    return run, len(loader.dataset)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--arch', default='resnet18')
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp())
    root = write_digits(tmp / 'digits') / 'train'
    cfg = load_config(
        overrides=[
            f'model.architecture={a.arch}',
            'model.num_classes=10',
            *(f'transforms.{s}.resize={a.size}' for s in ('train', 'val', 'test')),
        ]
    )
    model = build_model(a.arch, 10).eval()
    run = Run(tmp, cfg, model, [str(i) for i in range(10)], torch.device('cpu'), tmp / 'none.pt', 0)
    bare, n = bare_loop(model, root, a.size, a.batch)
    tfm = build_transforms(cfg.transforms.test)
    files = list_images(root)
    batches = [torch.stack([tfm(read_image(path)) for path in files[i : i + a.batch]]) for i in range(0, n, a.batch)]
    norm = cfg.transforms.test.normalize
    floats = [
        normalize_batch(xb, norm.mean, norm.std) for xb in batches
    ]  # the bare model gets them ready; imgcls normalises inside

    def bare_tensors():
        with torch.no_grad():
            [model(xb).softmax(1) for xb in floats]

    rows = interleaved(
        {
            'bare torchvision loop (files)': bare,
            'imgcls predict (files)': lambda: predict(run, root, batch_size=a.batch),
            'imgcls predict bf16 (files)': lambda: predict(run, root, batch_size=a.batch, bf16=True),
        },
        a.repeats,
    )
    rows.update(
        interleaved(
            {
                'bare model (tensors)': bare_tensors,
                'imgcls model path (tensors)': lambda: [predict_batch(run, xb) for xb in batches],
                'imgcls model path bf16 (tensors)': lambda: [predict_batch(run, xb, bf16=True) for xb in batches],
            },
            a.repeats,
        )
    )
    print(
        f'{a.arch}, {n} digits PNGs at {a.size}px, batch {a.batch}, torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads, best of {a.repeats}'
    )
    print(f"{'pipeline':36} {'images/s':>10}")
    for k, s in rows.items():
        print(f'{k:36} {n / s:10.0f}')
    ips = {k: n / s for k, s in rows.items()}
    print(
        "ratio imgcls/bare (files):   "
        f"{ips['imgcls predict (files)'] / ips['bare torchvision loop (files)']:.2f}  (target >= 1.0)"
    )
    print(
        "ratio imgcls/bare (tensors): "
        f"{ips['imgcls model path (tensors)'] / ips['bare model (tensors)']:.2f}  (target >= 1.0)"
    )
    print(f"bf16 gain (files):   {ips['imgcls predict bf16 (files)'] / ips['imgcls predict (files)']:.2f}x")
    print(f"bf16 gain (tensors): {ips['imgcls model path bf16 (tensors)'] / ips['imgcls model path (tensors)']:.2f}x")
    return {
        'files': ips['imgcls predict (files)'] / ips['bare torchvision loop (files)'],
        'tensors': ips['imgcls model path (tensors)'] / ips['bare model (tensors)'],
        'bf16_files': ips['imgcls predict bf16 (files)'] / ips['imgcls predict (files)'],
        'bf16_tensors': ips['imgcls model path bf16 (tensors)'] / ips['imgcls model path (tensors)'],
    }


if __name__ == '__main__':
    sys.exit(main())
