"""The offline docs site: `scripts/docs.sh` builds it once, then headless Chromium checks every page."""

import subprocess, tempfile, threading, urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag

import pytest, yaml
from filelock import FileLock
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from nbdev.config import get_config, nbpath2html

ROOT = Path(__file__).parent.parent
SITE, NBS = ROOT / '_site', ROOT / 'nbs'
MODULES = {
    'config',
    'rundir',
    'data',
    'models',
    'checkpointing',
    'metrics',
    'train',
    'inference',
    'runs',
    'tune',
    'audit',
    'widgets',
    'panel',
    'cli',
}
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'


def page_of(nb) -> str:
    "The site page of notebook `nb` (a path under nbs/), as nbdev names it: `00_config.ipynb` -> `config.html`."
    return nbpath2html(Path(nb).relative_to(NBS)).as_posix()


class _Quiet(SimpleHTTPRequestHandler):
    "Serves files without logging each request."

    def log_message(self, *args):
        pass


SCRATCH = NBS / 'Untitled-docs-test.ipynb'  # what JupyterLab's "New notebook" leaves in nbs/: not listed in the sidebar


def build_site(testrun_uid: str) -> str:
    "Build the site once per test run (with a scratch notebook in nbs/) and return what docs.sh printed."
    # xdist workers wait for the first; the scratch notebook is what a user's workflow leaves in nbs/
    out = Path(tempfile.gettempdir()) / f'imgcls-docs-{testrun_uid}.out'
    with FileLock(str(out.with_suffix('.lock'))):
        if not out.is_file():
            SCRATCH.write_text(
                '{"cells": [{"cell_type": "code", "execution_count": null, "id": "0a1b2c3d", "metadata": {}, '
                '"outputs": [], "source": ["import os"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
            )
            try:
                res = subprocess.run(['bash', 'scripts/docs.sh'], cwd=ROOT, capture_output=True, text=True)
            finally:
                SCRATCH.unlink()
            assert res.returncode == 0, f'scripts/docs.sh failed:\n{res.stdout}\n{res.stderr}'
            out.write_text(res.stdout)
    return out.read_text()


@pytest.fixture(scope='session')
def base_url(testrun_uid):
    "The site, built once, served from `_site/` on 127.0.0.1."
    stdout = build_site(testrun_uid)
    left_out = [line for line in stdout.splitlines() if line.startswith('docs: left out ')]
    assert left_out and SCRATCH.name in left_out[0] and 'not listed in nbs/sidebar.yml' in left_out[0], stdout
    server = ThreadingHTTPServer(('127.0.0.1', 0), partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()
    server.server_close()


def visit(browser, url: str, base_url: str) -> dict:
    "What the page at `url` shows: its title, links, ids, images, sidebar, and any errors while loading it."
    page, errors = browser.new_page(), []
    page.on('pageerror', lambda e: errors.append(f'script error: {e}'))
    page.on('response', lambda r: r.status >= 400 and errors.append(f'{r.status} {r.url}'))
    page.on('requestfailed', lambda r: r.url.startswith(base_url) and errors.append(f'failed {r.url}'))
    status = page.goto(url).status
    views = page.locator(WIDGET_VIEW).count()  # ipywidgets saved in the notebook, rendered by the bundled JS
    try:
        if views:
            page.wait_for_function(f'document.querySelectorAll(".jupyter-widgets").length >= {views}', timeout=15_000)
    except PlaywrightTimeout:
        errors.append(f'{views} saved widget(s) did not render')
    h1 = page.locator('h1').first
    res = dict(
        status=status,
        errors=errors,
        title=h1.inner_text() if h1.count() and h1.is_visible() else '',
        system_messages=page.locator('.system-message').count(),
        widget_views=views,
        links=page.eval_on_selector_all('a[href]', 'as => as.map(a => a.href)'),
        ids=set(page.eval_on_selector_all('[id]', 'es => es.map(e => e.id)')),
        images=page.eval_on_selector_all('img', 'is => is.map(i => [i.src, i.complete && i.naturalWidth > 0])'),
        sidebar=page.eval_on_selector_all('.sidebar-tree a.reference', 'as => as.map(a => a.getAttribute("href"))'),
    )
    page.close()
    return res


@pytest.fixture(scope='session')
def pages(base_url, browser):
    "Every page of the site, visited once, by path (`config.html`)."
    paths = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob('*.html') if '_static' not in p.parts)
    return {p: visit(browser, base_url + p, base_url) for p in paths}


def sidebar_notebooks() -> list:
    "The notebooks `nbs/sidebar.yml` lists, in order."

    def files(items):
        for o in items:
            if isinstance(o, str):
                yield o
            else:
                yield from ([o['href']] if 'href' in o else []) + list(files(o['contents']))

    return list(files(yaml.safe_load((NBS / 'sidebar.yml').read_text())['website']['sidebar']['contents']))


def test_sidebar_lists_every_numbered_notebook():
    "The hand-kept sidebar names every module notebook and tutorial (`NN_name.ipynb`), so none goes unpublished."
    numbered = {
        nb.relative_to(NBS).as_posix() for nb in NBS.rglob('[0-9][0-9]*.ipynb') if '.ipynb_checkpoints' not in nb.parts
    }
    assert numbered <= set(sidebar_notebooks()), sorted(numbered - set(sidebar_notebooks()))


def test_every_notebook_has_a_page(pages):
    expected = {page_of(NBS / nb) for nb in sidebar_notebooks()} | {'index.html'}
    assert {f'{m}.html' for m in MODULES} <= expected
    assert page_of(SCRATCH) not in pages, 'a notebook missing from the sidebar was published'
    for path in expected:
        assert path in pages, f'no page for {path}'
        p = pages[path]
        assert p['status'] == 200 and p['title'], f'{path}: status {p["status"]}, title {p["title"]!r}'
        assert not p['system_messages'], f'{path} shows {p["system_messages"]} Sphinx error message(s)'
        assert not p['errors'], f'{path}: {p["errors"]}'


def test_sidebar_in_notebook_order(pages):
    "The sidebar lists the pages as nbdev's `nbs/sidebar.yml` does: in notebook order, folders as sections."
    order = [page_of(NBS / f) for f in sidebar_notebooks() if page_of(NBS / f) != 'index.html']
    assert pages['index.html']['sidebar'] == order


def test_internal_links(pages, base_url):
    "Every link to the site itself loads, its #anchor exists on its page, and none goes to the online docs."
    cfg = get_config()
    online = f'{cfg.doc_host}{cfg.doc_baseurl}'.rstrip('/') + '/'
    bad = [f'{path} -> {l} (online docs)' for path, p in pages.items() for l in p['links'] if l.startswith(online)]
    for path, p in pages.items():
        for link in {l for l in p['links'] if l.startswith(base_url)}:
            url, frag = urldefrag(link)
            target = url.removeprefix(base_url) or 'index.html'
            if target in pages:
                if frag and frag not in pages[target]['ids']:
                    bad.append(f'{path} -> {link} (no such anchor)')
            else:
                try:
                    urllib.request.urlopen(url).close()
                except OSError as e:
                    bad.append(f'{path} -> {link} ({e})')
    assert not bad, '\n'.join(bad)


def test_images_load(pages):
    images = [(path, src, ok) for path, p in pages.items() for src, ok in p['images']]
    assert any('_images/' in src for _, src, _ in images), 'no plots from notebook outputs on the site'
    assert not [(path, src) for path, src, ok in images if not ok]


def test_search(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + 'search.html?q=load_config')
    page.wait_for_selector('#search-results li', timeout=15_000)
    assert any(
        h.startswith('config.html')
        for h in page.eval_on_selector_all('#search-results li a', 'as => as.map(a => a.getAttribute("href"))')
    )
    page.close()


def test_widgets_render(pages):
    "ipywidgets saved in a notebook render from the site's own JavaScript (the visit waits for them)."
    with_widgets = [path for path, p in pages.items() if p['widget_views']]
    if not with_widgets:
        pytest.skip('no notebook has saved ipywidgets')
    for path in with_widgets:
        assert not pages[path]['errors'], f'{path}: {pages[path]["errors"]}'


def test_readme_and_panel_page_picture_every_panel_tab():
    "Each panel tab has its picture (scripts/screenshots.sh), and the README and the panel page show them all."
    from imgcls.panel import Panel

    pictures = [f'images/panel_{title.lower()}.png' for title in Panel().titles]
    assert len(pictures) == 5, pictures
    missing = [p for p in pictures if not (NBS / p).is_file()]
    assert not missing, f'{missing} missing: run scripts/screenshots.sh'
    for doc in (ROOT / 'README.md', NBS / '12_panel.ipynb'):
        absent = [p for p in pictures if f']({"nbs/" if doc.suffix == ".md" else ""}{p})' not in doc.read_text()]
        assert not absent, f'{doc.name} does not show {absent}'
