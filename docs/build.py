"""Process the notebooks as `nbdev-proc-nbs` does, then adapt `_proc/` into the Sphinx source folder `_docsrc/`.

Run from the project root (`scripts/docs.sh` does). It calls nbdev's Python API rather than the `nbdev-proc-nbs`
command, which would also try to download Quarto and rewrite `_modidx.py`. `_proc/` is written for Quarto; for
myst-nb each page gets its frontmatter as `# title` + `> description`, show_doc cells become their Markdown,
Quarto's `#|` options become myst-nb tags, and pages and links get nbdev's names (`00_config.ipynb` -> `config`).
"""

import posixpath, re, shutil
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from fastcore.nbio import cell_frontmatter, mk_cell, read_nb, write_nb
from myst_parser.slugs import github_slugify
from nbdev.config import get_config, nbpath2html
from nbdev.quarto import refresh_quarto_yml
from nbdev.serve import proc_nbs

SRC = Path('_docsrc')
TAGS = {'echo': 'remove-input', 'output': 'remove-output', 'include': 'remove-cell'}  # `#| k: false` -> tag
LINK = re.compile(r'(\]\()([^)\s]+)')  # a Markdown link's target


def page(nb) -> str:
    "nbdev's page name for notebook path `nb` (relative to `nbs/`): `00_config.ipynb` -> `config`."
    return nbpath2html(nb).with_suffix('').as_posix()


def anchors(nb) -> set:
    "The heading anchors myst gives `nb`'s Markdown cells."
    toks = [t for c in nb.cells if c.cell_type == 'markdown' for t in MarkdownIt().parse(c.source)]
    return {github_slugify(t.content) for h, t in zip(toks, toks[1:]) if h.type == 'heading_open'}


def fix_links(md: str, here: str, pages: dict, targets: dict, site: str) -> str:
    "Point links to the site's pages (nbdev's absolute doc links, `.ipynb` or `.html` paths) at pages in `_docsrc/`."
    folder = posixpath.dirname(here)

    def sub(m):
        url, _, frag = m[2].partition('#')
        path = url.removeprefix(site) if url.startswith(site) else posixpath.join(folder, url)
        target = pages.get(posixpath.normpath(path))
        if target is None:
            return m[0]
        while '.' in frag and github_slugify(frag) not in targets[target]:
            frag = frag.rpartition('.')[0]  # undocumented method: its class
        return m[1] + posixpath.relpath(target, folder or '.') + '.ipynb' + ('#' + github_slugify(frag) if frag else '')

    return LINK.sub(sub, md)


def adapt_cell(cell, i: int):
    "The cells that replace `cell` (the `i`th) for myst-nb."
    fm = cell_frontmatter(cell.source) if i == 0 and cell.cell_type != 'code' else {}
    if fm:
        return [
            mk_cell(f"# {fm['title']}" + (f"\n\n> {fm['description']}" if fm.get('description') else ''), 'markdown')
        ]
    if cell.cell_type != 'code':
        return [cell]
    cell.pop('has_sd', None)
    cell.metadata.pop('execution', None)  # nbdev's timings, which fail notebook validation
    opts = cell.directives
    cell.remove_directives()
    if opts.get('output') == 'asis':  # show_doc: its Markdown output is the page content
        md = [
            mk_cell(
                ''.join(o.data['text/markdown']).strip().removeprefix('---'), 'markdown'
            )  # no rule: a section can't start with one
            for o in cell.outputs
            if 'text/markdown' in o.get('data', {})
        ]
        cell.outputs = []
        return md if opts.get('echo') == 'false' else [cell, *md]
    tags = [tag for k, tag in TAGS.items() if opts.get(k) == 'false']
    if tags:
        cell.metadata['tags'] = cell.metadata.get('tags', []) + tags
    return [cell]


def sidebar_files(items):
    "The notebook paths (relative to `nbs/`) that nbdev's sidebar `items` list, in order."
    for o in items:
        if isinstance(o, str):
            yield o
        else:
            yield from ([o['href']] if 'href' in o else []) + list(sidebar_files(o['contents']))


def toctrees(contents: list) -> str:
    "MyST toctrees for nbdev's sidebar: its top-level pages, then one captioned tree per section."
    trees = [('', [o for o in contents if isinstance(o, str)])] + [
        (o['section'], list(sidebar_files([o]))) for o in contents if isinstance(o, dict)
    ]
    return '\n\n'.join(
        '```{toctree}\n:hidden:\n'
        + (f':caption: {cap}\n' if cap else '')
        + '\n'
        + '\n'.join(p for p in map(page, fs) if p != 'index')
        + '\n```'
        for cap, fs in trees
    )


# An unlisted notebook is, say, a scratch `Untitled.ipynb`.
def published(nbs_path: Path, sidebar: list) -> list:
    "The notebooks `nbs/sidebar.yml` lists; the others are named in one line and left out."
    listed = set(sidebar_files(sidebar)) | {'index.ipynb'}
    others = sorted(
        p.relative_to(nbs_path).as_posix()
        for p in nbs_path.rglob('*.ipynb')
        if not any(part[0] in '_.' for part in p.relative_to(nbs_path).parts)
    )
    left_out = [nb for nb in others if nb not in listed]
    if left_out:
        print(
            f"docs: left out {', '.join(left_out)}: not listed in nbs/sidebar.yml (add a notebook there to publish it)"
        )
    return sorted(listed)


def main():
    cfg = get_config()
    refresh_quarto_yml()  # nbs/nbdev.yml (and nbs/_quarto.yml if missing), as nbdev-docs does
    sidebar = yaml.safe_load((cfg.nbs_path / 'sidebar.yml').read_text())['website']['sidebar'][
        'contents'
    ]  # kept by hand: custom_sidebar
    nbs = published(cfg.nbs_path, sidebar)
    proc = proc_nbs(file_re='^(' + '|'.join(re.escape(Path(nb).name) for nb in nbs) + ')$')
    shutil.rmtree(SRC, ignore_errors=True)
    shutil.copytree(proc, SRC, ignore=shutil.ignore_patterns('*.ipynb', '*.yml', '*.yaml', 'styles.css'))
    pages = {k: page(nb) for nb in nbs for k in (nb, page(nb) + '.html')}
    site = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/') + '/'
    adapted = {}
    for nb_path in nbs:
        nb = adapted[page(nb_path)] = read_nb(proc / nb_path)
        nb.cells = [c for i, cell in enumerate(nb.cells) for c in adapt_cell(cell, i)]
    targets = {here: anchors(nb) for here, nb in adapted.items()}
    for here, nb in adapted.items():
        for c in nb.cells:
            if c.cell_type == 'markdown':
                c.source = fix_links(c.source, here, pages, targets, site)
        if here == 'index':
            nb.cells.append(mk_cell(toctrees(sidebar), 'markdown'))
        nb.metadata['language_info'] = {
            'name': 'python',
            'pygments_lexer': 'ipython3',
        }  # cells may hold !shell and %magic lines
        (SRC / here).parent.mkdir(parents=True, exist_ok=True)
        write_nb(nb, SRC / f'{here}.ipynb')


if __name__ == '__main__':
    main()
