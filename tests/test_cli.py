"The `imgcls` command line, run as a user runs it: in a subprocess."

import subprocess, sys
import yaml
from helpers import imgcls, help_text, TRAINED_OVERRIDES

RUN_FILES = [
    'config.json',
    'config.yaml',
    'metrics/train.json',
    'metrics/val.json',
    'logs/classification_report_train.txt',
    'logs/classification_report_val.txt',
    'logs/history.csv',
    'logs/most_confused_train.txt',
    'logs/most_confused_val.txt',
    'logs/train.log',
    'plots/confusion_matrix_train.png',
    'plots/confusion_matrix_train_normalized.png',
    'plots/confusion_matrix_val.png',
    'plots/confusion_matrix_val_normalized.png',
    'plots/top_losses_train.png',
    'plots/top_losses_val.png',
    'summary.txt',
    'weights/best.pt',
    'weights/last.pt',
]
RUN_FILES = sorted(
    RUN_FILES
    + [
        f'{d}/{n}_{s}.{e}'
        for s in ('train', 'val')
        for d, n, e in (('logs', 'calibration', 'json'), ('plots', 'reliability', 'png'))
    ]
    + ['weights/temperature.json']
)  # calibration: see nbs/05_train.ipynb, Temperature scaling


def test_help_documents_every_option_without_importing_torch():
    out = help_text('train', 'infer')
    for opt in (
        '--config',
        '--resume',
        '--no-progress',
        'key.sub=value',
        '--run',
        '--split',
        '--checkpoint',
        '--runs-dir',
        '--device',
    ):
        assert opt in out, opt


def test_train_then_infer_leaves_a_complete_run_folder(trained_run, run_copy):
    run = trained_run.dir
    assert run.name == 'quick_arch_simple_cnn_epochs_1' and trained_run.stdout.strip().endswith(str(run))
    files = sorted(str(p.relative_to(run)) for p in run.rglob('*') if p.is_file() and 'tensorboard' not in p.parts)
    assert files == RUN_FILES
    assert list((run / 'tensorboard').glob('events.out.tfevents.*'))
    assert 'status: completed' in (run / 'summary.txt').read_text()
    log = (run / 'logs' / 'train.log').read_text()
    assert 'epoch 1/1' in log and '| INFO    |' in log
    res = imgcls('infer', '--run', run_copy, '--split', 'test')  # infer writes into the run: on a copy
    assert 'test accuracy' in res.stdout
    for f in (
        'logs/inference.log',
        'logs/classification_report_test.txt',
        'plots/confusion_matrix_test.png',
        'metrics/test.json',
    ):
        assert (run_copy / f).is_file(), f


def test_same_overrides_never_overwrite_a_run(tmp_path, trained_run, run_copy):
    "Training again with the shared run's config and overrides, beside a copy of it, makes a second run."
    imgcls(
        'train',
        '--config',
        trained_run.config,
        '--no-progress',
        *TRAINED_OVERRIDES,
        f'output.runs_dir={tmp_path / "runs"}',
    )
    assert sorted(p.name for p in (tmp_path / 'runs').iterdir()) == [trained_run.dir.name, trained_run.dir.name + '_2']


def test_user_errors_are_one_line_with_exit_code_2(tmp_path, quick_yaml):
    cases = [
        (['train', 'optimizer.lrr=0.1'], 'Did you mean `optimizer.lr`?'),
        (['train', 'training.batch_size=big'], 'expects int'),
        (['train', 'data.data_dir=/no/such/dir'], '/no/such/dir'),
        (['train', '--config', tmp_path / 'missing.yaml'], 'Config file not found'),
        (['train', '--config', quick_yaml, 'model.architecture=resnet19'], 'Did you mean resnet18'),
        (['train', '--config', quick_yaml, 'model.num_classes=3'], 'model.num_classes=3'),
        (['infer', '--run', tmp_path], 'is not a run folder'),
        (['train', '--resume', tmp_path / 'nope'], 'does not exist'),
    ]
    for argv, expected in cases:
        res = imgcls(*argv, check=False, cwd=tmp_path)
        assert res.returncode == 2, (argv, res.stderr)
        assert expected in res.stderr, (argv, res.stderr)
        assert 'Traceback' not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_bad_argument_exits_2_with_usage():
    res = imgcls('fly', check=False)
    assert res.returncode == 2 and 'usage: imgcls' in res.stderr


def test_custom_models_train_by_name_from_the_cli(tmp_path, quick_yaml, trained_run):
    imgcls('train', '--config', quick_yaml, '--no-progress', 'model.architecture=tiny_net', 'training.num_epochs=1')
    for arch, run in (
        ('tiny_net', tmp_path / 'runs' / 'quick_arch_tiny_net_epochs_1'),
        ('simple_cnn', trained_run.dir),
    ):  # the shared run names simple_cnn
        assert 'status: completed' in (run / 'summary.txt').read_text()
        assert yaml.safe_load((run / 'config.yaml').read_text())['model']['architecture'] == arch
