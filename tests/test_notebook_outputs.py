"""What the docs show comes from running today's code: every notebook cell that prints or draws carries its saved
output."""

import ast, json, re
from pathlib import Path
import pytest

NBS = Path(__file__).parent.parent / 'nbs'
SHOWS = re.compile(
    r'^\s*(print|display|show_\w+|plot_\w+|Image|Markdown|HTML)\(', re.M
)  # a call whose point is what it shows


def notebooks() -> list:
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(part[0] in '_.' for part in p.relative_to(NBS).parts))


def shows_something(source: str) -> bool:
    "Whether a code cell prints, plots or displays: a call, a shell line, an open figure, or a last value."
    lines = [l for l in source.splitlines() if not l.startswith('#|')]
    code = '\n'.join(lines)
    plots = (
        re.search(r'\b(plt|ax\d?|fig)\.(plot|bar|imshow|subplots|hist|scatter)\(', code) and 'plt.close(' not in code
    )
    if SHOWS.search(code) or any(l.startswith('!') for l in lines) or plots:
        return True
    try:
        last = ast.parse('\n'.join(l for l in lines if not l.lstrip().startswith(('!', '%')))).body[-1:]
    except SyntaxError:
        return False
    return (
        bool(last)
        and isinstance(last[0], ast.Expr)
        and isinstance(last[0].value, (ast.Name, ast.Attribute, ast.Subscript))
    )  # `panel`, `df.head`


@pytest.mark.parametrize('nb', notebooks(), ids=lambda p: p.relative_to(NBS).as_posix())
def test_cells_that_show_something_have_saved_output(nb):
    cells = json.loads(nb.read_text())['cells']
    bare = [
        i
        for i, c in enumerate(cells)
        if c['cell_type'] == 'code'
        and not c['outputs']
        and not re.search(r'^#\|\s*(hide|eval:\s*false|export)', ''.join(c['source']), re.M)
        and shows_something(''.join(c['source']))
    ]
    assert not bare, (
        f"{nb.relative_to(NBS)}: code cell(s) {bare} (counting from 0) print or plot but have no saved output. "
        f"Execute the notebook (jupyter nbconvert --to notebook --execute --inplace {nb.name}, from its folder), "
        "then nbdev-clean."
    )


@pytest.mark.parametrize('nb', sorted((NBS / 'tutorials').glob('*.ipynb')), ids=lambda p: p.name)
def test_tutorials_run_in_ci(nb):
    "No tutorial cell is skipped by nbdev-test: CI runs each tutorial in its quick mode (`quick`, set by IN_TEST)."
    cells = [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
    skipped = [i for i, s in enumerate(cells) if re.search(r'^#\|\s*(slow|notest|eval:\s*false)\b', s, re.M)]
    assert not skipped, (
        f'{nb.name}: code cells {skipped} (counting code cells from 0) are skipped by nbdev-test; '
        'give the tutorial a quick mode instead'
    )
    assert any(re.search(r"quick = 'IN_TEST' in os\.environ", s) for s in cells), f'{nb.name} has no quick mode'
