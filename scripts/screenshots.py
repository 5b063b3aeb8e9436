"""Re-take the panel's screenshots, one per tab (nbs/images/panel_<tab>.png): serve it with `imgcls panel` on the digits
and, in headless Chromium, train 2 epochs (Train), open that run (Runs), tune 2 trials (Tune), audit with 2 folds
(Audit) and predict one image (Predict), saving each tab as a small PNG. Run by scripts/screenshots.sh."""

import io, os, shutil, signal, socket, subprocess, sys, tempfile
from pathlib import Path
from PIL import Image
from playwright.sync_api import sync_playwright
from imgcls.data import write_digits

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / 'nbs' / 'images'
sys.path.insert(0, str(ROOT / 'tests'))
from helpers import CHROMIUM, CHROMIUM_ARGS, free_port  # the browser tests' Chromium and port finder

SLOW = 300_000  # ms: the kernel imports torch and trains on a possibly busy machine


def save_small(png: bytes, path: Path, width: int = 820, max_height: int = 1300):
    "Save a screenshot scaled to `width` pixels, cut at `max_height`, with a 128-colour palette, so it stays small."
    im = Image.open(io.BytesIO(png)).convert('RGB')
    im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    im = im.crop((0, 0, width, min(im.height, max_height)))
    im.quantize(colors=128).save(path, optimize=True)
    print(f'{path}: {path.stat().st_size // 1024} KiB')


def tab(page, name: str):
    "Open the panel's tab `name`."
    page.get_by_role('tab', name=name).click()


def shoot(url: str, digit: Path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={'width': 1000, 'height': 1800}, device_scale_factor=1)
        page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        page.goto(url, timeout=SLOW)
        panel = page.locator('.imgcls-panel')
        page.locator('.imgcls-train').click(timeout=SLOW)
        page.locator('.imgcls-metrics').get_by_text('Final val accuracy').wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES / 'panel_train.png')
        tab(page, 'Runs')
        page.locator('.imgcls-runs-board tr[data-run="quick"]').wait_for(timeout=SLOW)
        page.locator('.imgcls-runs-pick select').select_option(label=['quick [completed]'])
        page.locator('img.imgcls-runs-confusion').wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES / 'panel_runs.png')
        tab(page, 'Tune')
        page.locator('.imgcls-tune-trials input').fill('2')
        page.locator('.imgcls-tune-start').click()
        page.locator('.imgcls-tune-best').get_by_text('Best: trial').wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES / 'panel_tune.png')
        tab(page, 'Audit')
        page.locator('.imgcls-audit-folds input').fill('2')
        page.locator('.imgcls-audit-start').click()
        page.locator('.imgcls-cleaner-item').first.wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES / 'panel_audit.png')
        tab(page, 'Predict')
        with page.expect_file_chooser() as chooser:
            page.locator('.imgcls-upload').click()
        chooser.value.set_files(str(digit))
        page.locator('.imgcls-predictions').get_by_text(digit.name).wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES / 'panel_predict.png')
        browser.close()


def main():
    work = Path(tempfile.mkdtemp(prefix='imgcls-panel-demo-'))
    digits = write_digits(work / 'data' / 'digits')
    (work / 'quick.yaml').write_text(
        'data: {data_dir: data/digits, num_workers: 0}\ntraining: {num_epochs: 2}\n'
        'transforms: {train: {resize: 16}, val: {resize: 16}, test: {resize: 16}}\n'
    )
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / 'imgcls'), 'panel', '--port', str(port), '--config', 'quick.yaml'],
        cwd=work,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = proc.stdout.readline()
        if 'http://' not in line:
            sys.exit(f'imgcls panel did not start: {line}')
        shoot(f'http://127.0.0.1:{port}/', sorted((digits / 'test' / '7').glob('*.png'))[0])
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does
        proc.wait(timeout=60)
        shutil.rmtree(work)


if __name__ == '__main__':
    main()
