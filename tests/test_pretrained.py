"""Pretrained torchvision weights through torchvision's real loading code, offline: stand-in weights (a state dict of
the right architecture) lie in a temporary TORCH_HOME under the exact file name torchvision looks for, so nothing is
downloaded."""

import os, shutil
from pathlib import Path
import pytest
import torch, torchvision
from imgcls.testing import quick_config
from helpers import imgcls, count_images
from imgcls.checkpointing import load_checkpoint
from imgcls.config import load_config
from imgcls.models import weights_cache_path, split_parameters, build_model
from imgcls.train import train
from imgcls.inference import load_run, predict, export_run

ARCHS = ('resnet18', 'efficientnet_b0', 'mobilenet_v3_small', 'convnext_tiny', 'vit_b_32')
IMAGENET = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}


@pytest.fixture(scope='module')
def torch_home(tmp_path_factory):
    "A TORCH_HOME whose hub cache holds stand-ins for `ARCHS` (resnet18's DEFAULT and IMAGENET1K_V1 share a file)."
    home = tmp_path_factory.mktemp('torch_home')
    saved, os.environ['TORCH_HOME'] = os.environ.get('TORCH_HOME'), str(home)
    for arch in ARCHS:
        path = weights_cache_path(arch, 'DEFAULT')
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        torch.save(torchvision.models.get_model(arch).state_dict(), path)
    yield home
    if saved is None:
        os.environ.pop('TORCH_HOME')
    else:
        os.environ['TORCH_HOME'] = saved


@pytest.fixture(scope='module')
def two_digits(tmp_path_factory, digits):
    "Digits 3 and 8 only: 4 training, 2 validation and 2 test images per class."
    root = tmp_path_factory.mktemp('two') / 'three_vs_eight'
    for split, n in (('train', 4), ('val', 2), ('test', 2)):
        for c in ('3', '8'):
            shutil.copytree(digits / split / c, root / split / c, ignore=lambda d, files, n=n: sorted(files)[n:])
    return root


def _overrides(data, runs, arch, *more, resize=32):
    return [
        f'data.data_dir={data}',
        f'output.runs_dir={runs}',
        'data.num_workers=0',
        'training.num_epochs=1',
        'training.batch_size=4',
        f'model.architecture={arch}',
        *(f'transforms.{s}.resize={resize}' for s in ('train', 'val', 'test')),
        *more,
    ]


def _backbone_equals_stand_in(run_dir, arch, which='last'):
    "Whether every backbone tensor of the run's checkpoint equals the stand-in file's (a frozen backbone keeps them)."
    stand_in = torch.load(weights_cache_path(arch, 'DEFAULT'), weights_only=True)
    trained = load_checkpoint(Path(run_dir) / 'weights' / f'{which}.pt')['model']
    m = build_model(arch, 2)
    heads = {n for n, p in m.named_parameters() if any(p is q for q in split_parameters(m)[1])}
    return all(torch.equal(trained[k], stand_in[k]) for k in trained if k not in heads)


@pytest.mark.parametrize('arch', ARCHS[1:])
def test_pretrained_architectures_train_load_predict_export(tmp_path, torch_home, two_digits, arch):
    resize = 224 if arch.startswith('vit') else 32  # a ViT takes its own size only
    run = train(
        overrides=_overrides(
            two_digits, tmp_path / 'runs', arch, 'model.weights=DEFAULT', 'model.freeze_backbone=true', resize=resize
        )
    )
    cfg = load_config(run / 'config.yaml')
    assert (
        dict(cfg.transforms.val.normalize) == IMAGENET and cfg.transforms.val.crop == 'center'
    )  # from the weights' metadata
    assert 'status: completed' in (run / 'summary.txt').read_text()
    assert _backbone_equals_stand_in(run, arch)  # the backbone came from the cached file, and stayed frozen
    r = load_run(run)
    preds = predict(r, two_digits / 'test', topk=1)
    assert len(preds) == count_images(two_digits / 'test') and all(p['classes'][0] in ('3', '8') for p in preds)
    out = export_run(r, 'safetensors')
    assert out.is_file() and (out.parent / f'{out.name.rsplit(".", 1)[0]}.safetensors.json').is_file()


def test_pretrained_resnet18_from_the_cli_then_resume_predict_export(tmp_path, torch_home, two_digits):
    env = {
        **os.environ,
        'TORCH_HOME': str(torch_home),
        'https_proxy': 'http://127.0.0.1:9',
    }  # offline: the cache must serve it
    run = Path(
        imgcls(
            'train',
            '--no-progress',
            *_overrides(two_digits, tmp_path / 'runs', 'resnet18', 'model.weights=IMAGENET1K_V1'),
            env=env,
        ).stdout.split()[-1]
    )
    assert 'status: completed' in (run / 'summary.txt').read_text()
    assert dict(load_config(run / 'config.yaml').transforms.train.normalize) == IMAGENET
    imgcls('train', '--resume', run, '--no-progress', 'training.num_epochs=2', env=env)
    assert [h['epoch'] for h in load_checkpoint(run / 'weights' / 'last.pt')['history']] == [1, 2]
    res = imgcls('predict', '--run', run, two_digits / 'test', '--topk', '1', env=env)
    assert len(res.stdout.strip().splitlines()) == count_images(two_digits / 'test')  # one line per image
    res = imgcls('export', '--run', run, '--format', 'onnx', env=env)
    assert Path(res.stdout.strip()).is_file()
    local = tmp_path / 'resnet18-f37072fd.pth'  # torchvision's file, copied elsewhere: `model.weights=<file>`
    shutil.copy(weights_cache_path('resnet18', 'DEFAULT'), local)
    run2 = Path(
        imgcls(
            'train',
            '--no-progress',
            *_overrides(
                two_digits, tmp_path / 'runs', 'resnet18', f'model.weights={local}', 'model.freeze_backbone=true'
            ),
            env={**env, 'TORCH_HOME': str(tmp_path / 'empty')},
        ).stdout.split()[-1]
    )
    assert (
        dict(load_config(run2 / 'config.yaml').transforms.train.normalize) == IMAGENET
    )  # its name still says whose weights they are
    assert _backbone_equals_stand_in(run2, 'resnet18')


def test_frozen_then_unfrozen_pretrained_backbone(tmp_path, torch_home, two_digits):
    run = train(
        overrides=_overrides(
            two_digits,
            tmp_path / 'runs',
            'resnet18',
            'model.weights=DEFAULT',
            'model.freeze_backbone=true',
            'model.unfreeze_after=1',
            'training.num_epochs=2',
            'training.monitor=val_loss',
        )
    )
    log = (run / 'logs' / 'train.log').read_text()
    assert 'unfreezing the backbone at epoch 2' in log
    assert not _backbone_equals_stand_in(run, 'resnet18', 'last')  # epoch 2 trained the backbone too


def test_the_panels_weights_field_trains_a_pretrained_run(tmp_path, torch_home, two_digits):
    from imgcls.widgets import TrainingPanel

    config = tmp_path / 'panel.yaml'
    quick_config(config, two_digits, tmp_path / 'runs', 'training: {num_epochs: 1, batch_size: 4}\n', resize=32)
    panel = TrainingPanel(str(config))
    panel.picker.value = 'resnet18'
    assert 'DEFAULT' in panel['model.weights'].options and 'IMAGENET1K_V1' in panel['model.weights'].options
    panel['model.weights'].value = 'DEFAULT'
    panel['model.freeze_backbone'].value = True
    assert 'model.weights=DEFAULT' in panel.command()
    panel.train_button.click()
    run = panel.wait(timeout=600)
    assert run is not None, panel.message.value
    assert 'status: completed' in (run / 'summary.txt').read_text()
    assert load_config(run / 'config.yaml').model.weights == 'DEFAULT'
    assert _backbone_equals_stand_in(run, 'resnet18')
    assert 'Final val accuracy' in panel.metrics.value
