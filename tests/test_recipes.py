"The recipe files load against the schema, and a small-input model goes through train -> load_run -> predict."
from pathlib import Path
import pytest, torch

RECIPES = sorted((Path(__file__).parent.parent/'recipes').glob('*.yaml'))


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda p: p.stem)
def test_recipe_loads(recipe):
    from imgcls.config import load_config
    from imgcls.data import build_transforms
    cfg = load_config(recipe)
    assert cfg.transforms.train.crop == 'random_pad'
    side = cfg.transforms.train.resize
    assert build_transforms(cfg.transforms.train)(torch.zeros(3, side, side, dtype=torch.uint8)).shape == (3, side, side)


def test_small_input_train_and_reload(tmp_path, digits):
    from imgcls.train import train
    from imgcls.inference import load_run
    cfg = tmp_path/'q.yaml'
    cfg.write_text(f"data: {{data_dir: {digits}, num_workers: 0}}\noutput: {{runs_dir: {tmp_path/'runs'}}}\n"
                   "model: {architecture: mobilenet_v3_small, small_input: true}\ntraining: {num_epochs: 1, temperature_scaling: false}\n"
                   "transforms: {train: {resize: 16, crop: random_pad, pad: 2}, val: {resize: 16}, test: {resize: 16}}\n")
    run = load_run(train(cfg))
    assert run.model.features[0][0].stride == (1, 1)  # the run's own small-input stem is rebuilt for its weights
    assert run.model(torch.zeros(2, 3, 16, 16)).shape == (2, 10)
