"""`imgcls kfold` and `imgcls audit` from the shell, apply and undo, and the panel's Audit tab (cleaner, Start) in
Chromium (served by Voila)."""

import csv, hashlib, re, shutil, subprocess, sys, time
from pathlib import Path

import pytest
from imgcls.testing import quick_config
from helpers import imgcls, small_digits, voila, served_page, count_images, SLOW

CLEANER_NB = Path(__file__).parent / 'audit_cleaner.ipynb'
QUICK = [
    'model.architecture=simple_cnn',
    'training.num_epochs=1',
    'training.batch_size=16',
    'data.num_workers=0',
    *(f'transforms.{s}.resize=16' for s in ('train', 'val', 'test')),
]


@pytest.fixture(scope='module')
def audited(tmp_path_factory, digits):
    "Small digits with one train image copied into test, audited by the CLI (2 folds of 1 epoch); its output."
    work = tmp_path_factory.mktemp('audit')
    data = small_digits(digits, work)
    leaked = sorted((data / 'train' / '3').iterdir())[0]
    shutil.copy(leaked, data / 'test' / '3' / f'copy_{leaked.name}')
    res = imgcls('audit', '--folds', '2', '--name', 'aud', data, *QUICK, f'output.runs_dir={work / "runs"}', cwd=work)
    return work, data, work / 'runs' / 'aud', leaked, res


def read_issues(run):
    with open(run / 'audit' / 'issues.csv', newline='') as f:
        return list(csv.DictReader(f))


def test_audit_cli_writes_findings(audited):
    work, data, run, leaked, res = audited
    assert 'CV accuracy' in res.stdout and 'leak' in res.stdout and 'imgcls audit apply' in res.stdout
    rows = read_issues(run)
    assert list(rows[0]) == ['path', 'kind', 'given_label', 'suggested_label', 'score', 'related_path']
    leaks = [r for r in rows if r['kind'] == 'leak' and float(r['score']) == 1.0]
    assert [(Path(r['path']).name, Path(r['related_path'])) for r in leaks] == [
        (f'copy_{leaked.name}', leaked.absolute())
    ]
    assert (run / 'audit' / 'top_findings.png').stat().st_size > 1000
    assert sorted(p.name for p in run.glob('fold_*')) == ['fold_0', 'fold_1']
    with open(run / 'oof.csv', newline='') as f:
        assert len(list(csv.DictReader(f))) == count_images(data / 'train') + count_images(
            data / 'val'
        )  # every train and val image


def test_audit_cli_prints_its_summary_once(audited):
    "The summary (CV accuracy, findings per kind, the weak-model warning) once over stdout and stderr together."
    res = audited[4]
    said = (res.stdout + res.stderr).splitlines()
    assert sum(line.startswith('CV accuracy') for line in said) == 1, said
    assert [
        sum(bool(re.fullmatch(rf'{kind} +\d+', line)) for line in said) for kind in ('label', 'leak', 'outlier')
    ] == [1, 1, 1], said
    assert (
        sum('is low (below 0.8)' in line for line in said) == 1
        and 'label findings are the model\'s own mistakes' in res.stdout
    )


def test_kfold_cli_continues_a_finished_kfold(audited):
    work, data, run, _, _ = audited
    before = (run / 'fold_0' / 'oof.csv').stat().st_mtime_ns
    res = imgcls(
        'kfold',
        '--folds',
        '2',
        '--name',
        'aud',
        f'data.data_dir={data}',
        *QUICK,
        f'output.runs_dir={work / "runs"}',
        cwd=work,
    )
    assert 'CV accuracy' in res.stdout and '± ' in res.stdout
    assert (run / 'fold_0' / 'oof.csv').stat().st_mtime_ns == before  # nothing retrained
    res = imgcls(
        'kfold',
        '--folds',
        '3',
        '--name',
        'aud',
        f'data.data_dir={data}',
        *QUICK,
        f'output.runs_dir={work / "runs"}',
        cwd=work,
        check=False,
    )
    assert res.returncode == 2 and 'folds 2' in res.stderr and 'Traceback' not in res.stderr


def hashes(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(folder).rglob('*'))
        if p.is_file()
    }


def test_apply_then_undo_restores_the_folder(audited):
    from imgcls.audit import record_decision

    work, data, run, leaked, _ = audited
    rows = read_issues(run)
    leak = next(r for r in rows if r['kind'] == 'leak')
    other = next(r for r in rows if r['path'] != leak['path'] and Path(r['path']).parts[-3] == 'train')
    target = next(c for c in map(str, range(10)) if c != Path(other['path']).parent.name)
    before = hashes(data)
    decisions = run / 'audit' / 'decisions.csv'
    decisions.unlink(missing_ok=True)
    record_decision(run / 'audit', leak['path'], 'quarantine')
    record_decision(run / 'audit', other['path'], 'relabel', target)
    res = imgcls('audit', 'apply', run)
    assert 'moved 2 file(s)' in res.stdout
    assert (work / 'digits_quarantine' / Path(leak['path']).relative_to(data)).is_file()
    assert (data / 'train' / target / Path(other['path']).name).is_file() and not Path(other['path']).exists()
    assert imgcls('audit', 'apply', run, check=False).returncode == 2  # applied already
    res = imgcls('audit', 'undo', run)
    assert 'moved back 2 file(s)' in res.stdout
    assert hashes(data) == before
    assert not (work / 'digits_quarantine').exists()
    decisions.unlink()


def test_audit_help_does_not_import_torch():
    code = (
        "import sys\nfrom imgcls.cli import main\ntry: main(['audit', '--help'])\nexcept SystemExit: pass\n"
        "print('torch' in sys.modules)"
    )
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert 'DATA_DIR' in res.stdout and res.stdout.strip().endswith('False')


@pytest.fixture
def cleaner_url(audited, tmp_path):
    "Voila serving tests/audit_cleaner.ipynb: a panel on the audited data, its Audit tab open on the audit."
    work, data, run = audited[:3]
    config = quick_config(
        tmp_path / 'panel.yaml',
        data,
        work / 'runs',
        'model: {architecture: simple_cnn}\ntraining: {num_epochs: 1, batch_size: 16}\n',
    )
    with voila(CLEANER_NB, tmp_path, {'IMGCLS_AUDIT_RUN': str(run), 'IMGCLS_AUDIT_CONFIG': str(config)}) as url:
        yield url


def item_choice(page, i: int):
    "The toggle buttons of the `i`-th finding on the page."
    return page.locator('.imgcls-cleaner-item').nth(i).locator('.widget-toggle-button')


def test_cleaner_in_chromium_keeps_decisions_across_reload(browser, audited, cleaner_url):
    _, _, run, _, _ = audited
    decisions = run / 'audit' / 'decisions.csv'
    decisions.unlink(missing_ok=True)
    page = browser.new_page(viewport={'width': 1100, 'height': 1200})
    page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(cleaner_url) else route.abort())
    page.goto(cleaner_url, timeout=SLOW)
    page.locator('.imgcls-cleaner-item').first.wait_for(timeout=SLOW)
    thumb = page.locator('.imgcls-cleaner-item img').first
    box, natural = thumb.bounding_box(), thumb.evaluate('i => [i.naturalWidth, i.naturalHeight]')
    assert abs(box['width'] / box['height'] - natural[0] / natural[1]) < 0.02, (
        box,
        natural,
    )  # not stretched to the row
    quarantine = item_choice(page, 0).get_by_text('quarantine')
    assert quarantine.evaluate('b => b.scrollWidth <= b.clientWidth'), 'the quarantine label is cut'
    item_choice(page, 0).get_by_text('relabel').click()
    item_choice(page, 1).get_by_text('quarantine').click()
    deadline = time.monotonic() + 60  # each click reaches the kernel, which writes decisions.csv at once
    while time.monotonic() < deadline and (not decisions.exists() or decisions.read_text().count('\n') < 3):
        page.wait_for_timeout(200)
    with open(decisions, newline='') as f:
        made = {r['decision'] for r in csv.DictReader(f)}
    assert made == {'relabel', 'quarantine'}
    page.reload(timeout=SLOW)  # a new kernel: the widget rebuilds from decisions.csv
    page.locator('.imgcls-cleaner-item').first.wait_for(timeout=SLOW)
    assert 'mod-active' in item_choice(page, 0).get_by_text('relabel').get_attribute('class')
    assert 'mod-active' in item_choice(page, 1).get_by_text('quarantine').get_attribute('class')
    page.close()
    decisions.unlink()


def test_audit_tab_starts_an_audit_in_chromium(browser, audited, cleaner_url):
    "Start in the Audit tab: a 2-fold audit with progress, then the new audit's cleaner and the weak model's warning."
    work = audited[0]
    new = work / 'runs' / 'panel'  # named after the config file: panel.yaml, no overrides
    with served_page(browser, cleaner_url, '.imgcls-cleaner-item >> nth=0') as page:
        page.locator('.imgcls-audit-start').click()
        page.get_by_text(f'{new}/audit/decisions.csv').wait_for(
            timeout=SLOW
        )  # the cleaner's status line names its audit
        assert (new / 'audit' / 'issues.csv').is_file() and sorted(p.name for p in new.glob('fold_*')) == [
            'fold_0',
            'fold_1',
        ]
        assert 'width: 100%' in page.locator('.imgcls-audit-progress .progress-bar').get_attribute('style')
        assert 'is low' in page.locator('.imgcls-audit-message').inner_text()
        assert 'CV accuracy' in page.locator('.imgcls-audit-summary').inner_text()
        assert (
            page.locator('.imgcls-audit-status').inner_text().startswith('done: 2 folds trained and scored')
        )  # not a stale 'scoring ...'
        assert page.locator('.imgcls-cleaner-item').count() > 0
    shutil.rmtree(new)
