"A run folder written by the previous version (tests/fixtures/run_v0) still loads, lists and resumes bitwise."

import os, shutil
from pathlib import Path
import pytest, torch
from helpers import small_digits
from imgcls.checkpointing import load_checkpoint
from imgcls.inference import load_run, evaluate_run
from imgcls.runs import list_runs
from imgcls.train import train

FIXTURE = Path(__file__).parent / 'fixtures' / 'run_v0'
NAME = 'quick_arch_tiny_net_epochs_2'


@pytest.fixture
def old_run(tmp_path, digits, monkeypatch):
    "The old run in tmp_path/runs beside the 8-per-class digits it was trained on; tmp_path is the working folder."
    small_digits(digits, tmp_path / 'data')
    run = Path(shutil.copytree(FIXTURE, tmp_path / 'runs' / NAME))
    monkeypatch.chdir(tmp_path)
    return run


def test_old_run_lists(old_run):
    row = list_runs('runs').iloc[0]
    assert (row['name'], row['status'], row['architecture'], row['epochs'], row['planned_epochs']) == (
        NAME,
        'completed',
        'tiny_net',
        2,
        2,
    )
    assert row['val_acc'] == pytest.approx(0.1) and row['test_acc'] == pytest.approx(0.1)


def test_old_run_loads_and_evaluates(old_run):
    run = load_run(old_run)
    assert run.classes == [str(i) for i in range(10)] and run.temperature > 1
    assert evaluate_run(run, 'test')['accuracy'] == pytest.approx(0.1)


def test_old_run_resumes_bitwise(old_run):
    resumed = train(resume=old_run, overrides=['training.num_epochs=3'])
    fresh = train(old_run / 'config.yaml', ['training.num_epochs=3'])  # the same settings, never interrupted
    a, b = load_checkpoint(resumed / 'weights' / 'last.pt'), load_checkpoint(fresh / 'weights' / 'last.pt')
    assert a['epoch'] == b['epoch'] == 3
    for k in a['model']:
        assert torch.equal(a['model'][k], b['model'][k]), k
