"""A key misspelt the way other tools spell it fails at once, with one line naming the imgcls key, and makes no run
folder."""

import pytest
from helpers import imgcls


@pytest.mark.parametrize(
    'given, meant', [('optimizer.learning_rate=0.1', 'optimizer.lr'), ('epochs=5', 'training.num_epochs')]
)
def test_a_foreign_key_name_suggests_the_imgcls_key(tmp_path, given, meant):
    res = imgcls('train', given, cwd=tmp_path, check=False)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f'Did you mean `{meant}`?' in lines[0] and 'Traceback' not in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())  # no runs/ folder, no data written
