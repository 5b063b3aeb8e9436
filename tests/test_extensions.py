"""Extension points from the command line: `imports:` plugins, entry-point plugins, the safety of opening a run,
CSV-labelled data."""

import os, shutil, subprocess, sys, textwrap
from pathlib import Path
import pytest
import yaml
from imgcls.testing import quick_config
from helpers import imgcls

PLUGIN = textwrap.dedent('''\
    "Registers one of each extension point, and notes each import in a file."
    import os
    import torch
    from torch import nn
    from torchvision.transforms import v2
    from imgcls.config import (register_model, register_loss, register_optimizer, register_scheduler,
                               register_transform, register_metric)
    with open(os.environ['PLUGIN_LOG'], 'a') as f: f.write('imported\\n')

    @register_model('plug_net')
    def plug_net(num_classes, dropout=0.0, in_channels=3):
        return nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Dropout(dropout), nn.Linear(8, num_classes))

    @register_loss('plug_loss')
    def plug_loss(weight=None, label_smoothing=0.0):
        return lambda logits, target: nn.functional.cross_entropy(
            logits, target, weight=weight, label_smoothing=label_smoothing
        )

    @register_optimizer('plug_opt')
    def plug_opt(groups, ocfg): return torch.optim.Adam(groups, lr=ocfg.lr)

    @register_scheduler('plug_sched')
    def plug_sched(optimizer, scfg, total_steps, steps_per_epoch, mode):
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / (total_steps + 1))

    @register_transform('plug_tf')
    def plug_tf(p=0.5): return v2.RandomInvert(p)

    @register_metric('plug_err', mode='min')
    def plug_err(r): return sum(a != b for a, b in zip(r['y_true'], r['y_pred'])) / max(1, len(r['y_true']))
    ''')

USES_EVERY_POINT = [
    'model.architecture=plug_net',
    'loss.name=plug_loss',
    'optimizer.name=plug_opt',
    'optimizer.lr=0.01',
    'scheduler.name=plug_sched',
    'transforms.train.extra={plug_tf: {p: 0.3}}',
    'training.monitor=val_plug_err',
]


@pytest.fixture
def plugin_config(tmp_path, digits):
    "A config in its own folder that imports `my_parts.py` beside it, and the plugin's import log."
    folder = tmp_path / 'project'
    folder.mkdir()
    (folder / 'my_parts.py').write_text(PLUGIN)
    cfg = quick_config(
        folder / 'cfg.yaml', digits, tmp_path / 'runs', 'imports: [my_parts.py]\ntraining: {num_epochs: 1}\n'
    )
    return cfg, tmp_path / 'plugin.log'


def env(**kw):
    return {**os.environ, **{k: str(v) for k, v in kw.items()}}


def test_imports_reach_train_resume_infer_predict_export(tmp_path, plugin_config, digits):
    cfg, log = plugin_config
    res = imgcls('train', '--config', cfg, '--no-progress', *USES_EVERY_POINT, env=env(PLUGIN_LOG=log), cwd=tmp_path)
    run = Path(res.stdout.strip().splitlines()[-1])
    saved = yaml.safe_load((run / 'config.yaml').read_text())
    assert saved['imports'] == ['my_parts']  # saved by module name, never as a file path
    assert 'best val_plug_err' in (run / 'summary.txt').read_text()
    # a later command finds the module on the Python path ...
    on_path = env(PLUGIN_LOG=log, PYTHONPATH=cfg.parent)
    imgcls('infer', '--run', run, env=on_path, cwd=tmp_path)
    imgcls('predict', '--run', run, digits / 'test' / '3', env=on_path, cwd=tmp_path)
    imgcls('export', '--run', run, '--format', 'safetensors', env=on_path, cwd=tmp_path)
    imgcls('train', '--resume', run, 'training.num_epochs=2', '--no-progress', env=on_path, cwd=tmp_path)
    assert 'epochs: 2/2' in (run / 'summary.txt').read_text()
    # ... or in the current folder; without it, the error names the module to install
    imgcls('infer', '--run', run, env=env(PLUGIN_LOG=log), cwd=cfg.parent)
    res = imgcls('infer', '--run', run, env=env(PLUGIN_LOG=log), cwd=tmp_path, check=False)
    assert res.returncode == 2 and "Module 'my_parts'" in res.stderr and 'not installed' in res.stderr, res.stderr
    assert 'Traceback' not in res.stderr


def test_opening_a_run_never_runs_code_that_came_with_it(tmp_path, run_copy, trained_run):
    run = run_copy
    marker = tmp_path / 'EXECUTED'
    code = f"open({str(marker)!r}, 'w').write('ran')\nfrom imgcls.config import register_model\n"
    (run / 'evil.py').write_text(code)
    (run.parent / 'evil_next.py').write_text(code)
    config = (run / 'config.yaml').read_text()
    commands = [
        ['infer', '--run', run],
        ['predict', '--run', run, trained_run.config],
        ['export', '--run', run, '--format', 'safetensors'],
        ['train', '--resume', run, 'training.num_epochs=2'],
    ]
    refused = ('is a file path', 'Refusing to import', 'not installed')
    # infer, predict and export open a run through load_run, train --resume through its own path: each form of entry is
    # tried on one of each; a module is tried from the folder where a module search would find its file
    cases = (
        [('evil.py', argv, run) for argv in commands]
        + [(str(run / 'evil.py'), argv, run) for argv in commands[::3]]
        + [(entry, argv, cwd) for entry, cwd in (('evil', run), ('evil_next', run.parent)) for argv in commands[::3]]
    )
    for entry, argv, cwd in cases:
        (run / 'config.yaml').write_text(config.replace('imports: []', f'imports: [{entry!r}]'))
        res = imgcls(*argv, cwd=cwd, check=False)
        assert res.returncode == 2 and any(r in res.stderr for r in refused), (entry, argv, res.stderr)
        assert 'Traceback' not in res.stderr and not marker.exists(), (entry, argv)
    # with the current folder first on sys.path (python -c), a module found in the run folder is still refused
    (run / 'config.yaml').write_text(config.replace('imports: []', "imports: ['evil']"))
    res = subprocess.run(
        [sys.executable, '-c', 'import sys; from imgcls.cli import main; sys.exit(main())', 'infer', '--run', '.'],
        cwd=run,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "Refusing to import 'evil'" in res.stderr, res.stderr
    assert not marker.exists()


def test_entry_point_plugins_load_on_a_missing_name_and_never_for_help(tmp_path, quick_yaml):
    site = tmp_path / 'site'
    dist = site / 'imgcls_fake_plugin-0.1.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: imgcls-fake-plugin\nVersion: 0.1\n')
    (dist / 'entry_points.txt').write_text('[imgcls.plugins]\nfake = fake_plugin_parts\n')
    (site / 'fake_plugin_parts.py').write_text(PLUGIN)
    log = tmp_path / 'plugin.log'
    e = env(PYTHONPATH=site, PLUGIN_LOG=log)
    for argv in (['--help'], ['train', '--help'], ['infer', '--help']):
        imgcls(*argv, env=e)
    assert not log.exists()
    imgcls('train', '--config', quick_yaml, '--no-progress', 'training.num_epochs=1', env=e)
    assert not log.exists()  # every name was known: no plugin loaded
    imgcls('train', '--config', quick_yaml, '--no-progress', *USES_EVERY_POINT, env=e)
    assert log.read_text() == 'imported\n'
    (site / 'fake_plugin_parts.py').write_text('raise ImportError("needs libfoo")\n')
    res = imgcls('train', '--config', quick_yaml, 'model.architecture=plug_net', env=e, check=False)
    assert res.returncode == 2 and "Plugin 'fake'" in res.stderr and 'needs libfoo' in res.stderr, res.stderr


def test_a_failing_import_names_the_module_and_the_key(tmp_path, quick_yaml):
    (tmp_path / 'broken_parts.py').write_text('import no_such_dependency_xyz\n')
    cfg = tmp_path / 'cfg.yaml'
    cfg.write_text(quick_yaml.read_text() + 'imports: [broken_parts.py]\n')
    res = imgcls('train', '--config', cfg, check=False)
    assert (
        res.returncode == 2
        and 'broken_parts.py' in res.stderr
        and '`imports:`' in res.stderr
        and 'no_such_dependency_xyz' in res.stderr
    ), res.stderr
    res = imgcls('train', '--config', quick_yaml, 'imports=[not_installed_parts]', check=False, cwd=tmp_path)
    assert res.returncode == 2 and "Module 'not_installed_parts'" in res.stderr, res.stderr


def labelled_copy(digits, dest) -> list:
    "Copy the digits to `dest/images`; return (relative path, label, split) rows."
    shutil.copytree(digits, dest / 'images')
    return [
        (p.relative_to(dest).as_posix(), p.parent.name, p.parent.parent.name)
        for p in sorted((dest / 'images').rglob('*.png'))
    ]


def write_csv(path, rows, header='path,label,split'):
    path.write_text(header + '\n' + ''.join(','.join(r) + '\n' for r in rows))


def test_csv_labels_skip_unreadable_files_and_resume(tmp_path, digits):
    from imgcls.config import load_config
    from imgcls.data import build_data

    root = tmp_path / 'labelled'
    rows = labelled_copy(digits, root)
    (root / 'images' / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    rows += [('images/broken.png', '3', 'train'), ('images/missing.png', '4', 'train')]
    write_csv(
        root / 'labels.csv', [(p, f'digit_{c}') for p, c, _ in rows], header='path,label'
    )  # no split column: carved
    data = build_data(
        load_config(overrides=[f'data.data_dir={root}', 'data.labels_csv=labels.csv', 'data.num_workers=0'])
    )
    assert sorted(Path(p).name for p in data.scan.bad) == ['broken.png', 'missing.png']
    assert data.classes == [f'digit_{i}' for i in range(10)] and data.carved
    assert sum(len(l.dataset) for s, l in data.eval_loaders.items()) == len(rows) - 2
    common = [
        '--no-progress',
        f'data.data_dir={root}',
        'data.labels_csv=labels.csv',
        'data.num_workers=0',
        f'output.runs_dir={tmp_path / "runs"}',
        *[f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')],
    ]
    res = imgcls('train', *common, 'training.num_epochs=1')
    run = Path(res.stdout.strip().splitlines()[-1])
    assert (run / 'data_manifest.csv').is_file() and 'skipped 2 unreadable file(s)' in (
        run / 'logs' / 'train.log'
    ).read_text()
    imgcls('train', '--resume', run, 'training.num_epochs=2')  # the same splits, from the manifest
    assert 'epochs: 2/2' in (run / 'summary.txt').read_text()
    imgcls('infer', '--run', run)


def test_csv_label_in_only_one_split_and_bad_tables(tmp_path, digits):
    root = tmp_path / 'labelled'
    rows = labelled_copy(digits, root)
    rows = [(p, 'rare' if s == 'val' and i % 50 == 0 else f'digit_{c}', s) for i, (p, c, s) in enumerate(rows)]
    write_csv(root / 'labels.csv', rows)
    base = ['train', f'data.data_dir={root}', 'data.labels_csv=labels.csv']
    cases = [([], 'Label(s) rare of'), (['data.labels_csv=nope.csv'], 'Labels file not found')]
    for extra, expected in cases:
        res = imgcls(*base, *extra, check=False, cwd=tmp_path)
        assert res.returncode == 2 and expected in res.stderr and 'Traceback' not in res.stderr, res.stderr
    write_csv(root / 'labels.csv', [(p, c) for p, c, _ in rows], header='file,label')
    res = imgcls(*base, check=False, cwd=tmp_path)
    assert res.returncode == 2 and "unknown: ['file']" in res.stderr, res.stderr
    write_csv(root / 'labels.csv', [(p, '' if i == 3 else c, s) for i, (p, c, s) in enumerate(rows)])
    res = imgcls(*base, check=False, cwd=tmp_path)
    assert res.returncode == 2 and 'line 5: empty label' in res.stderr, res.stderr
