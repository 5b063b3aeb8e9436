"""Data set helpers from the command line; hymenoptera against a zip served on 127.0.0.1; a folder without test/ end to
end."""

import functools, http.server, io, threading, zipfile
import numpy as np
import pytest
from PIL import Image
from helpers import imgcls, count_images, digits_size


PER_CLASS = 12  # images per class and split in the stand-in zip


def _hymenoptera_zip(path, per_class=PER_CLASS):
    "A small zip shaped like the official one: hymenoptera_data/{train,val}/{ants,bees}/*.jpg."
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, 'w') as z:
        for split in ('train', 'val'):
            for k, cls in enumerate(('ants', 'bees')):
                for i in range(per_class):
                    img = np.full((48, 64, 3), 60 + 120 * k, np.uint8) + rng.integers(
                        0, 40, (48, 64, 3), dtype=np.uint8
                    )
                    buf = io.BytesIO()
                    Image.fromarray(img).save(buf, 'JPEG')
                    z.writestr(f'hymenoptera_data/{split}/{cls}/{i}.jpg', buf.getvalue())
    return path


@pytest.fixture
def server(tmp_path):
    "An HTTP server on 127.0.0.1 serving tmp_path/www, stopped at the end."
    www = tmp_path / 'www'
    www.mkdir()
    srv = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    )
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield www, f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_hymenoptera_downloads_unpacks_and_trains_without_test_folder(tmp_path, server):
    www, url = server
    _hymenoptera_zip(www / 'hymenoptera_data.zip')
    dest = tmp_path / 'data' / 'hymenoptera'
    res = imgcls('data', 'hymenoptera', dest, '--url', f'{url}/hymenoptera_data.zip')
    assert res.stdout.strip() == str(dest)
    assert sorted(p.name for p in dest.iterdir()) == ['train', 'val']
    assert len(list((dest / 'train' / 'bees').glob('*.jpg'))) == PER_CLASS
    runs = tmp_path / 'runs'
    imgcls(
        'train',
        '--no-progress',
        f'data.data_dir={dest}',
        f'output.runs_dir={runs}',
        'data.num_workers=0',
        'training.num_epochs=2',
        'transforms.train.resize=32',
        'transforms.val.resize=32',
        'transforms.test.resize=32',
        'training.batch_size=8',
    )
    run = next(runs.iterdir())
    manifest = (run / 'data_manifest.csv').read_text().splitlines()
    carved_test = [l for l in manifest[1:] if l.endswith(',test')]
    assert (
        manifest[0] == 'path,class,class_index,split' and 3 <= len(carved_test) <= 6
    )  # carved from the 2 x PER_CLASS train images
    assert {l.split(',')[1] for l in carved_test} == {'ants', 'bees'}  # stratified
    res = imgcls('infer', '--run', run)
    assert 'test accuracy' in res.stdout and (run / 'plots' / 'confusion_matrix_test.png').is_file()
    assert f'({len(carved_test)} images)' in (run / 'logs' / 'inference.log').read_text()


def test_failed_or_partial_download_leaves_nothing_behind(tmp_path, server):
    www, url = server
    data = _hymenoptera_zip(tmp_path / 'full.zip').read_bytes()
    (www / 'partial.zip').write_bytes(data[: len(data) // 2])
    for name, expected in (('missing.zip', 'Could not download'), ('partial.zip', 'not a complete zip')):
        res = imgcls('data', 'hymenoptera', tmp_path / 'data' / 'hym', '--url', f'{url}/{name}', check=False)
        assert res.returncode == 2 and expected in res.stderr, res.stderr
        left = sorted(p.name for p in (tmp_path / 'data').iterdir()) if (tmp_path / 'data').exists() else []
        assert left in ([], ['.hym.lock']), left  # at most the empty lock file that serialises first use (see data)


def test_fashion_mnist_and_digits_from_the_cli(tmp_path):
    per_class = 3
    res = imgcls('data', 'fashion_mnist', tmp_path / 'fm', '--per-class', per_class)
    assert {p.name for p in (tmp_path / 'fm').iterdir()} == {'train', 'val', 'test'}
    assert len(list((tmp_path / 'fm' / 'test').rglob('*.png'))) == per_class * 10  # Fashion-MNIST has 10 classes
    imgcls('data', 'digits', tmp_path / 'digits')
    assert count_images(tmp_path / 'digits') == digits_size()
    res = imgcls('data', 'digits', tmp_path / 'digits', check=False)
    assert res.returncode == 2 and 'already exists' in res.stderr
