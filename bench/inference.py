"""Inference speed: imgcls `predict` against a bare torchvision eval loop (same model, batch and input), and the bf16 gain.

Run: python bench/inference.py [--arch resnet18] [--size 64] [--batch 64] [--repeats 3]
Prints images/s for each and the ratios (imgcls / bare; bf16 / fp32). Target: imgcls / bare >= 1.0.
"""
import argparse, sys, tempfile, time
from pathlib import Path
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T
from imgcls.config import load_config
from imgcls.data import write_digits, read_image, build_transforms
from imgcls.inference import Run, predict, _probs
from imgcls.models import build_model


def best_of(fn, repeats):
    "Fastest of `repeats` timed calls (the machine is shared and noisy)."
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times)


def bare_loop(model, root, size, batch):
    "The PyTorch tutorial's eval loop: ImageFolder + PIL transforms + DataLoader + no_grad."
    tfm = T.Compose([T.Resize((size, size)), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(datasets.ImageFolder(root, tfm), batch_size=batch, num_workers=0)
    def run():
        with torch.no_grad():
            for xb, _ in loader: model(xb).softmax(1)
    return run, len(loader.dataset)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--arch', default='resnet18'); p.add_argument('--size', type=int, default=64)
    p.add_argument('--batch', type=int, default=64); p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp())
    root = write_digits(tmp/'digits')/'train'
    cfg = load_config(overrides=[f'model.architecture={a.arch}', 'model.num_classes=10', *(f'transforms.{s}.resize={a.size}' for s in ('train', 'val', 'test'))])
    model = build_model(a.arch, 10).eval()
    run = Run(tmp, cfg, model, [str(i) for i in range(10)], torch.device('cpu'), tmp/'none.pt', 0)
    bare, n = bare_loop(model, root, a.size, a.batch)
    rows = {'bare torchvision loop (files)': best_of(bare, a.repeats),
            'imgcls predict (files)': best_of(lambda: predict(run, root, batch_size=a.batch), a.repeats),
            'imgcls predict bf16 (files)': best_of(lambda: predict(run, root, batch_size=a.batch, bf16=True), a.repeats)}
    tfm = build_transforms(cfg.transforms.test)
    batches = [torch.stack([tfm(read_image(path)) for path, _ in datasets.ImageFolder(root).samples[i:i + a.batch]])
               for i in range(0, n, a.batch)]
    def model_only(fn):
        return lambda: [fn(xb) for xb in batches]
    with torch.no_grad():
        rows['bare model (tensors)'] = best_of(model_only(lambda xb: model(xb).softmax(1)), a.repeats)
    rows['imgcls model path (tensors)'] = best_of(model_only(lambda xb: _probs(run, xb, False, False, False)), a.repeats)
    rows['imgcls model path bf16 (tensors)'] = best_of(model_only(lambda xb: _probs(run, xb, False, True, False)), a.repeats)
    print(f'{a.arch}, {n} digits PNGs at {a.size}px, batch {a.batch}, torch {torch.__version__}, {torch.get_num_threads()} threads, best of {a.repeats}')
    print(f"{'pipeline':36} {'images/s':>10}")
    for k, s in rows.items(): print(f'{k:36} {n / s:10.0f}')
    ips = {k: n / s for k, s in rows.items()}
    print(f"ratio imgcls/bare (files):   {ips['imgcls predict (files)'] / ips['bare torchvision loop (files)']:.2f}  (target >= 1.0)")
    print(f"ratio imgcls/bare (tensors): {ips['imgcls model path (tensors)'] / ips['bare model (tensors)']:.2f}  (target >= 1.0)")
    print(f"bf16 gain (files):   {ips['imgcls predict bf16 (files)'] / ips['imgcls predict (files)']:.2f}x")
    print(f"bf16 gain (tensors): {ips['imgcls model path bf16 (tensors)'] / ips['imgcls model path (tensors)']:.2f}x")


if __name__ == '__main__':
    sys.exit(main())
