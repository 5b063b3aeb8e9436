"Every torchvision classification model builds by name with a 3-class head and gives (batch, 3) logits."

import gc
import pytest, torch
from torch import nn
from imgcls.models import build_model, torchvision_models, min_input_size, head_names, model_summary

ALL = torchvision_models()


def test_the_list_is_complete():
    assert len(ALL) >= 80 and {
        'resnet18',
        'vit_b_16',
        'swin_t',
        'squeezenet1_0',
        'inception_v3',
        'googlenet',
        'maxvit_t',
    } <= set(ALL)  # torchvision >= 0.19 has over 80


@pytest.mark.parametrize('arch', ALL)
def test_builds_with_three_classes(arch):
    model = build_model(arch, num_classes=3, dropout=0.1).eval()
    size = min_input_size(arch, model)
    with torch.inference_mode():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, 3)
    for name in head_names(model):
        head = model.get_submodule(name)
        assert (head.out_features if isinstance(head, nn.Linear) else head.out_channels) == 3, name
    del model
    gc.collect()


@pytest.mark.parametrize('arch', ['resnet18', 'mobilenet_v3_small', 'vit_b_16', 'squeezenet1_1'])
def test_summary_counts_flops(arch):
    model = build_model(arch, 3)
    s = model_summary(model, min_input_size(arch, model))
    assert s['flops_per_image'] > 1e6 and s['params'] == s['trainable'] == sum(p.numel() for p in model.parameters())
