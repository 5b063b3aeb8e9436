"The built wheel carries the package data and imports from a script outside the repository."

import subprocess, sys, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_imports_outside_the_repo(tmp_path):
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pip',
            'wheel',
            '-q',
            '--no-deps',
            '--no-build-isolation',
            '-w',
            tmp_path / 'dist',
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / 'dist').glob('imgcls-*.whl'))
    names = zipfile.ZipFile(wheel).namelist()
    assert 'imgcls/default_config.yaml' in names and 'imgcls/train.py' in names
    subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target', tmp_path / 'site', wheel],
        check=True,
        capture_output=True,
    )
    script = tmp_path / 'outside' / 'use_imgcls.py'
    script.parent.mkdir()
    script.write_text(
        "import imgcls\nfrom imgcls.train import train, Training\nfrom imgcls.config import load_config\n"
        "print(imgcls.__file__)\nprint(load_config().model.architecture)\n"
    )
    res = subprocess.run(
        [sys.executable, '-P', script],
        cwd=script.parent,
        capture_output=True,
        text=True,
        env={'PYTHONPATH': str(tmp_path / 'site'), 'PATH': '/usr/bin:/bin'},
    )
    assert res.returncode == 0, res.stderr
    assert str(tmp_path / 'site') in res.stdout and 'simple_cnn' in res.stdout


def test_feature_modules_load_no_widgets():
    "runs, tune, audit, inference and interpret are widget-free: only imgcls.widgets and imgcls.panel load ipywidgets."
    code = (
        "import sys, imgcls.runs, imgcls.tune, imgcls.audit, imgcls.inference, imgcls.interpret\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ipywidgets' "
        "or m in ('imgcls.widgets', 'imgcls.panel')))\n"
        "import imgcls.panel\nprint('ipywidgets' in sys.modules)"
    )
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ['[]', 'True']
