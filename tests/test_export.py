"""ONNX export parity: onnxruntime gives PyTorch's top-1 and (temperature-scaled) probabilities on the whole test
split, for a torchvision and a custom model; `imgcls export` says what it wrote and how its check went."""

import json, re
from pathlib import Path
import onnxruntime as ort
import pytest, torch
from torch import nn
from helpers import imgcls, count_images
from imgcls.data import build_data
from imgcls.inference import load_run, export_run
from imgcls.config import register_model, MODELS
from imgcls.train import train


@pytest.fixture
def custom_model():
    @register_model('test_export_net')
    def net(num_classes, dropout=0.0, in_channels=3):
        return nn.Sequential(
            nn.Conv2d(in_channels, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.GELU(),
            nn.AdaptiveMaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(32, num_classes),
        )

    yield 'test_export_net'
    del MODELS['test_export_net']


def _check_parity(run):
    sess = ort.InferenceSession(str(export_run(run, 'onnx')), providers=['CPUExecutionProvider'])
    n = agree = 0
    worst = 0.0
    for xb, _ in build_data(run.cfg).eval_loaders['test']:
        p_onnx = torch.from_numpy(sess.run(None, {'image': xb.numpy()})[0]).softmax(1)
        with torch.inference_mode():
            p_torch = (run.model(xb) / run.temperature).softmax(1)  # the ONNX model includes the temperature
        agree += (p_onnx.argmax(1) == p_torch.argmax(1)).sum().item()
        n += len(xb)
        worst = max(worst, (p_onnx - p_torch).abs().max().item())
    assert n == count_images(Path(run.cfg.data.data_dir) / 'test') and agree == n, (agree, n)  # every test image
    assert worst < 1e-4, worst
    assert run.temperature != 1.0  # fitted after training, so the check above covers it


@pytest.mark.parametrize('arch', ['resnet18', 'custom'])
def test_onnx_parity_on_the_test_split(arch, quick_yaml, custom_model):
    arch = custom_model if arch == 'custom' else arch
    run_dir = train(quick_yaml, [f'model.architecture={arch}', 'training.num_epochs=1'])
    _check_parity(load_run(run_dir))


def test_export_cli_says_what_it_wrote_and_checks_onnx(run_copy):
    "Each format: the artifact's path alone on stdout; on stderr its report and, for ONNX, the onnxruntime check."
    for fmt, suffix in [('onnx', '.onnx'), ('torchscript', '.torchscript.pt'), ('safetensors', '.safetensors')]:
        res = imgcls('export', '--run', run_copy, '--format', fmt)
        path = Path(res.stdout.strip())
        assert path == run_copy / 'export' / f'{run_copy.name}_best{suffix}' and path.is_file()
        meta = run_copy / 'export' / f'{run_copy.name}_best.{fmt}.json'
        t = json.loads(meta.read_text())['temperature']
        assert t != 1.0  # fitted after training: the report names it
        said = res.stderr.splitlines()
        assert re.fullmatch(
            rf'wrote {fmt} {re.escape(str(path))} \(\d+\.\d (kB|MB)(, its weights in {path.name}\.data, .*)?\)', said[0]
        ), said[0]
        assert said[1].startswith('  input: N x 3 x 16 x 16, float32 NCHW') and said[2].startswith(
            '  output: 10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), '
        )
        assert said[
            3
        ] == f"  temperature: {t:.4g}, {'in the metadata only' if fmt == 'safetensors' else 'inside the model'}" + (
            ': divide the logits by it' if fmt == 'safetensors' else ''
        )
        assert said[4] == f'  metadata: {meta}'
        if fmt == 'onnx':
            check = re.fullmatch(
                r'  check: onnxruntime vs PyTorch on 8 images of .+: '
                r'largest difference of a probability (\S+) \(tolerance 1e-04\), passed',
                said[5],
            )
            assert check and float(check[1]) <= 1e-4, said[5]
        assert len(said) == (6 if fmt == 'onnx' else 5), said
    res = imgcls('export', '--run', run_copy, '--format', 'tflite', check=False)
    assert res.returncode == 2 and "invalid choice: 'tflite'" in res.stderr
