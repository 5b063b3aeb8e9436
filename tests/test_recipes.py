"The recipe files load against the schema, and a small-input model goes through train -> load_run -> predict."

from pathlib import Path
import pytest, torch
from imgcls.testing import quick_config


RECIPES = sorted((Path(__file__).parent.parent / 'recipes').glob('*.yaml'))


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda p: p.stem)
def test_recipe_loads(recipe):
    from imgcls.config import load_config
    from imgcls.data import build_transforms

    cfg = load_config(recipe)
    assert cfg.transforms.train.crop == 'random_pad'
    side = cfg.transforms.train.resize
    assert build_transforms(cfg.transforms.train)(torch.zeros(3, side, side, dtype=torch.uint8)).shape == (
        3,
        side,
        side,
    )


def test_small_input_train_and_reload(tmp_path, digits):
    from imgcls.train import train
    from imgcls.inference import load_run

    cfg = quick_config(
        tmp_path / 'q.yaml',
        digits,
        tmp_path / 'runs',
        "model: {architecture: mobilenet_v3_small, small_input: true}\n"
        "training: {num_epochs: 1, temperature_scaling: false}\n",
    )
    run = load_run(train(cfg, ['transforms.train.crop=random_pad', 'transforms.train.pad=2']))
    assert run.model.features[0][0].stride == (1, 1)  # the run's own small-input stem is rebuilt for its weights
    assert run.model(torch.zeros(2, 3, 16, 16)).shape == (2, 10)
