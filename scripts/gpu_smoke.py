"""One-shot check of imgcls's CUDA paths, run by scripts/gpu_smoke.sh; prints a table, exits 1 when a check fails.

`--device cpu` runs the same checks on the CPU as a dry run of this script (fp16 checks are skipped there)."""

import argparse, copy, sys, tempfile, time, traceback
from pathlib import Path
import torch

ROWS = []


def check(name):
    "Run the decorated check now, and record its outcome, detail and time in the table."

    def run(fn):
        t0 = time.perf_counter()
        try:
            status, detail = 'ok', fn()
        except Skip as e:
            status, detail = 'skipped', str(e)
        except Exception as e:
            status, detail = 'FAILED', f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
            traceback.print_exc()
        ROWS.append((name, status, detail or '', time.perf_counter() - t0))
        print(f'[{status}] {name}: {detail}', flush=True)

    return run


class Skip(Exception):
    pass


def same_weights(a, b) -> bool:
    from imgcls.checkpointing import load_checkpoint

    ma, mb = (load_checkpoint(Path(r) / 'weights' / 'last.pt')['model'] for r in (a, b))
    return all(torch.equal(ma[k], mb[k]) for k in ma)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--device', default='cuda', help='cuda (default) or cpu for a dry run of the script')
    args = p.parse_args()
    dev = args.device
    if dev.startswith('cuda') and not torch.cuda.is_available():
        sys.exit(
            'gpu_smoke: CUDA is not available on this machine, so the GPU checks cannot run. '
            'Run it on a machine with a GPU, or `scripts/gpu_smoke.sh --device cpu` for a dry run of the script itself.'
        )
    gpu = dev.startswith('cuda')
    from imgcls.data import write_digits
    from imgcls.train import Training, train
    from imgcls.checkpointing import load_checkpoint
    from imgcls.inference import load_run, predict, export_run

    tmp = Path(tempfile.mkdtemp(prefix='imgcls_gpu_smoke_'))
    digits = write_digits(tmp / 'digits')
    config = tmp / 'smoke.yaml'
    config.write_text(
        f"data: {{data_dir: {digits}, num_workers: 2}}\noutput: {{runs_dir: {tmp / 'runs'}}}\n"
        f"training: {{device: {dev}, batch_size: 64}}\n"
        "transforms: {train: {resize: 32}, val: {resize: 32}, test: {resize: 32}}\n"
    )
    base = ['training.num_epochs=2', 'deterministic=true']
    need_fp16 = lambda: None if gpu else (_ for _ in ()).throw(Skip('fp16 needs CUDA'))
    env = f'torch {torch.__version__}, ' + (torch.cuda.get_device_name(0) if gpu else 'CPU dry run')
    print(f'gpu_smoke on {env}; scratch folder {tmp}', flush=True)
    runs = {}

    @check('fp32 twice, deterministic: identical weights')
    def _():
        a = train(config, [*base, 'training.precision=fp32', 'model.dropout=0.2'])
        b = train(config, [*base, 'training.precision=fp32', 'model.dropout=0.2'])
        runs['fp32'] = a
        assert same_weights(a, b), 'the two runs differ'
        return f"val acc {load_checkpoint(a / 'weights' / 'last.pt')['history'][-1]['val_acc']:.4f}"

    @check('fp16 + clipping + grad_accum + MixUp/CutMix + class weights')
    def _():
        need_fp16()
        r = train(
            config,
            [
                *base,
                'training.precision=fp16',
                'training.grad_clip=1.0',
                'training.grad_accum=2',
                'transforms.mixup=0.2',
                'transforms.cutmix=1.0',
                'data.balance=loss_weights',
            ],
        )
        ck = load_checkpoint(r / 'weights' / 'last.pt')
        assert ck['scaler'], 'the GradScaler state is empty'
        losses = [h['train_loss'] for h in ck['history']]
        assert all(l == l and l < 10 for l in losses), losses
        return f"train loss {losses[-1]:.4f}, scale {ck['scaler']['scale']:.0f}"

    @check('bf16 + channels_last + compile')
    def _():
        r = train(
            config,
            [
                'training.num_epochs=2',
                'training.precision=bf16',
                'training.channels_last=true',
                'training.compile=true',
            ],
        )
        acc = load_checkpoint(r / 'weights' / 'last.pt')['history'][-1]['val_acc']
        assert acc > 0.3, acc
        return f'val acc {acc:.4f}'

    @check('stop mid-epoch, resume: bitwise equal to an uninterrupted run')
    def _():
        over = [
            *base,
            'training.num_epochs=3',
            'training.precision=' + ('fp16' if gpu else 'fp32'),
            'transforms.train.hflip=0.5',
            'model.dropout=0.2',
        ]
        full = train(config, over)
        t = Training(config, over)
        t.on(
            'on_batch_end',
            lambda training, epoch, batch, **kw: training.request_stop() if (epoch, batch) == (1, 7) else None,
        )
        stopped = t.run()
        assert 'status: stopped' in (stopped / 'summary.txt').read_text()
        train(resume=stopped)
        assert same_weights(full, stopped), 'the resumed run differs'
        return 'stopped at epoch 2, batch 8; equal after resume'

    @check('lr_find' + (' under fp16' if gpu else '') + ': state restored')
    def _():
        t = Training(config, ['training.precision=' + ('fp16' if gpu else 'fp32')]).build()
        before = copy.deepcopy((t.model.state_dict(), t.optimizer.state_dict(), t.scaler.state_dict()))
        res = t.lr_find(num_iter=30)
        after = (t.model.state_dict(), t.optimizer.state_dict(), t.scaler.state_dict())
        assert all(torch.equal(before[0][k], after[0][k]) for k in before[0]), 'model changed'
        assert before[2] == after[2], 'scaler changed'
        assert before[1]['param_groups'] == after[1]['param_groups'], 'optimizer changed'
        return f"suggested lr {res['suggestion']:.2g}"

    @check('infer/predict on the GPU and the CPU: probabilities within 1e-4')
    def _():
        run_dir = runs.get('fp32') or train(config, ['training.num_epochs=1'])
        images = (
            sorted((digits / 'test').rglob('*.png'))[:64]
            if (digits / 'test').is_dir()
            else sorted(digits.rglob('*.png'))[:64]
        )
        here = predict(load_run(run_dir, device=dev), images, topk=10)
        cpu = predict(load_run(run_dir, device='cpu'), images, topk=10)
        worst = max(abs(a - b) for x, y in zip(here, cpu) for a, b in zip(sorted(x['probs']), sorted(y['probs'])))
        same_top = sum(x['classes'][0] == y['classes'][0] for x, y in zip(here, cpu))
        assert worst < 1e-4 and same_top == len(images), (worst, same_top)
        return f'{len(images)} images, largest difference {worst:.2e}'

    @check('export: onnx, torchscript, safetensors')
    def _():
        run = load_run(runs.get('fp32') or train(config, ['training.num_epochs=1']), device=dev)
        paths = [export_run(run, fmt, tmp / 'export') for fmt in ('onnx', 'torchscript', 'safetensors')]
        assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
        return ', '.join(f'{p.suffix} {p.stat().st_size // 1024} KiB' for p in paths)

    arch = 'resnet18' if gpu else 'simple_cnn'  # the dry run keeps to a small model

    @check(f'speed and memory: {arch} at 64 px, one epoch')
    def _():
        if gpu:
            torch.cuda.reset_peak_memory_stats()
        t = Training(
            config,
            [
                'training.num_epochs=1',
                f'model.architecture={arch}',
                'transforms.train.resize=64',
                'transforms.val.resize=64',
                'transforms.test.resize=64',
                'training.precision=auto',
            ],
        ).build()
        t.state['batch'] = 0
        t0 = time.perf_counter()
        t.train_epoch(0)
        if gpu:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        mem = f', peak memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB' if gpu else ''
        return f'{t.state["global_step"] / seconds:.1f} steps/s ({t.amp_dtype or "fp32"}, batch 64){mem}'

    print('\n| check | result | detail | seconds |\n|---|---|---|---|')
    for name, status, detail, seconds in ROWS:
        print(f'| {name} | {status} | {detail} | {seconds:.1f} |')
    print(f'\n{env}')
    sys.exit(1 if any(s == 'FAILED' for _, s, _, _ in ROWS) else 0)


if __name__ == '__main__':
    main()
