"""Start-up: wall time of `imgcls --help` and of an argument error (target < 0.5 s), best of 5, with no torch import.

Run: python bench/startup.py
"""

import subprocess, sys, time
from pathlib import Path

IMGCLS = str(Path(sys.executable).parent / 'imgcls')


def best(args, n=5):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([IMGCLS, *args], capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    res = {
        'imgcls --help': best(['--help']),
        'imgcls train --help': best(['train', '--help']),
        'imgcls fly (argument error)': best(['fly']),
    }
    for k, v in res.items():
        print(f'{k:30} {v:.3f}s (target < 0.5 s)')
    return res


if __name__ == '__main__':
    main()
