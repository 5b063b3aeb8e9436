"Shared pieces of the benchmarks: data sets on disk, the tutorial pipeline, timing, machine facts."

import os, platform, tempfile, time
from pathlib import Path
import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T

CACHE = Path(os.environ.get('IMGCLS_BENCH_DATA', Path(tempfile.gettempdir()) / 'imgcls_bench'))


def machine() -> str:
    "CPU model, cores and torch version."
    cpu = next(
        (
            l.split(':', 1)[1].strip()
            for l in Path('/proc/cpuinfo').read_text().splitlines()
            if l.startswith('model name')
        ),
        platform.processor(),
    )
    return f'{cpu}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}'


# `per_class` is capped at 5,800 for train and at 1,000 for test.
def fashion_folder(per_class: int) -> Path:
    "A Fashion-MNIST ImageFolder of PNGs, made once: `per_class` train images per class, 200 val, `per_class` test."
    from imgcls.data import fashion_mnist

    dest = CACHE / f'fmnist_{per_class}'
    return dest if dest.exists() else fashion_mnist(dest, per_class=per_class, val_fraction=1 / 30)


def photo_folder(n_per_class: int) -> Path:
    "A folder of 500x375 JPEGs in 2 classes (train/val): random crops of scikit-learn's two bundled photos, resized."
    from PIL import Image
    from sklearn.datasets import load_sample_image

    dest = CACHE / f'photos_{n_per_class}'
    if dest.exists():
        return dest
    rng = np.random.default_rng(0)
    for split, n in (('train', n_per_class), ('val', max(1, n_per_class // 3))):
        for cls in ('china', 'flower'):
            img = load_sample_image(f'{cls}.jpg')
            (dest / split / cls).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                h, w = img.shape[:2]
                ch, cw = int(h * rng.uniform(0.6, 1)), int(w * rng.uniform(0.6, 1))
                y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
                Image.fromarray(img[y : y + ch, x : x + cw]).resize((500, 375)).save(
                    dest / split / cls / f'{i}.jpg', quality=90
                )
    return dest


# The pipeline is ImageFolder + PIL transforms + ToTensor + DataLoader.
def tutorial_loader(root, augment: str, size: int, batch: int, workers: int = 2) -> DataLoader:
    "The PyTorch transfer-learning tutorial's pipeline; `augment` is none, flip or crop."
    geometry = {
        'crop': [T.RandomResizedCrop(size), T.RandomHorizontalFlip()],
        'flip': [T.Resize((size, size)), T.RandomHorizontalFlip()],
        'none': [T.Resize((size, size))],
    }[augment]
    return DataLoader(
        datasets.ImageFolder(str(root), T.Compose([*geometry, T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])),
        batch_size=batch,
        shuffle=augment != 'none',
        num_workers=workers,
        persistent_workers=workers > 0,
    )


def interleaved(fns: dict, repeats: int) -> dict:
    "Best time of each function, run in alternating rounds so that noise hits all alike."
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            times[k].append(timed(fn)[0])
    return {k: min(v) for k, v in times.items()}


def timed(fn):
    "(seconds, result) of one call."
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def drain(loader) -> int:
    "Iterate a loader once; the number of images."
    return sum(len(x) for x, _ in loader)


def matmul_rate(dtype, n: int = 2048, reps: int = 10) -> float:
    "Measured GFLOP/s of an n x n matmul in `dtype` on the CPU."
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t, _ = timed(lambda: [a @ b for _ in range(reps)])
    return 2 * n**3 * reps / t / 1e9


# Linux: VmHWM, which, unlike ru_maxrss, does not inherit the forking parent's peak.
def peak_rss_mb() -> float:
    "This process's peak resident memory in MiB."
    status = Path('/proc/self/status')
    if status.exists():
        return next(int(l.split()[1]) for l in status.read_text().splitlines() if l.startswith('VmHWM:')) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
