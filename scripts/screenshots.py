"""Re-take the panel's screenshots (nbs/images/panel_*.png): serve it with `imgcls panel`, train 2 epochs on the digits and
predict one image in headless Chromium, then save each tab as a small PNG. Run by scripts/screenshots.sh."""
import io, os, shutil, signal, socket, subprocess, sys, tempfile
from pathlib import Path
from PIL import Image
from playwright.sync_api import sync_playwright
from imgcls.data import write_digits

IMAGES = Path(__file__).resolve().parent.parent/'nbs'/'images'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
SLOW = 300_000  # ms: the kernel imports torch and trains on a possibly busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def save_small(png: bytes, path: Path, width: int = 820):
    "Save a screenshot scaled to `width` pixels with a 128-colour palette, so that it stays small."
    im = Image.open(io.BytesIO(png)).convert('RGB')
    im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    im.quantize(colors=128).save(path, optimize=True)
    print(f'{path}: {path.stat().st_size // 1024} KiB')


def shoot(url: str, digit: Path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium', args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={'width': 1000, 'height': 1800}, device_scale_factor=1)
        page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        page.goto(url, timeout=SLOW)
        page.locator('.imgcls-train').click(timeout=SLOW)
        page.locator('.imgcls-metrics').get_by_text('Final val accuracy').wait_for(timeout=SLOW)
        panel = page.locator('.imgcls-panel')
        save_small(panel.screenshot(), IMAGES/'panel_train.png')
        page.get_by_role('tab', name='Predict').click()
        with page.expect_file_chooser() as chooser: page.locator('.imgcls-upload').click()
        chooser.value.set_files(str(digit))
        page.locator('.imgcls-predictions').get_by_text(digit.name).wait_for(timeout=SLOW)
        save_small(panel.screenshot(), IMAGES/'panel_predict.png')
        browser.close()


def main():
    work = Path(tempfile.mkdtemp(prefix='imgcls-panel-demo-'))
    digits = write_digits(work/'data'/'digits')
    (work/'quick.yaml').write_text('data: {data_dir: data/digits, num_workers: 0}\ntraining: {num_epochs: 2}\n'
                                   'transforms: {train: {resize: 16}, val: {resize: 16}, test: {resize: 16}}\n')
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent/'imgcls'), 'panel', '--port', str(port), '--config', 'quick.yaml'],
                            cwd=work, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        if 'http://' not in line: sys.exit(f'imgcls panel did not start: {line}')
        shoot(f'http://127.0.0.1:{port}/', sorted((digits/'test'/'7').glob('*.png'))[0])
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does
        proc.wait(timeout=60)
        shutil.rmtree(work)


if __name__ == '__main__': main()
