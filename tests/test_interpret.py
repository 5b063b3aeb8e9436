"""Class activation maps find their layer and give a map of the input's size for every model family the issue names
(random weights, one image)."""

import numpy as np
import pytest, torch
from imgcls.interpret import cam_maps
from imgcls.models import build_model

ARCHS = {
    'resnet18': 64,
    'efficientnet_b0': 64,
    'mobilenet_v3_small': 64,
    'convnext_tiny': 64,
    'vit_b_16': 224,
    'swin_t': 64,
    'simple_cnn': 32,
    'tiny_net': 32,
}


def test_cams_for_every_family():
    "One test for all (the transformers are the slow part): GradCAM, GradCAM++ and EigenCAM on one image each."
    torch.manual_seed(0)
    for arch, size in ARCHS.items():
        model = build_model(arch, 3).eval()
        x = torch.randn(1, 3, size, size)
        for method in ('gradcam', 'gradcam++', 'eigencam'):
            h = cam_maps(model, x, method, architecture=arch)
            assert h.shape == (1, size, size), (arch, method, h.shape)
            assert np.isfinite(h).all() and h.min() >= 0 and h.max() <= 1 + 1e-5, (arch, method)
        assert cam_maps(model, x, 'eigencam', architecture=arch).std() > 0, (
            arch
        )  # the layer's activations vary over the image


def test_custom_model_names_its_layer_or_takes_layer():
    from collections import OrderedDict
    from torch import nn
    from imgcls.config import register_model, MODELS

    @register_model('test_cam_net', cam_layer='body.1')
    def net(num_classes, dropout=0.0, in_channels=3):
        return nn.Sequential(
            OrderedDict(
                body=nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU()),
                head=nn.Sequential(
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(8, num_classes)
                ),
            )
        )

    try:
        model, x = build_model('test_cam_net', 2).eval(), torch.randn(2, 3, 16, 16)
        assert cam_maps(model, x, 'gradcam', architecture='test_cam_net').shape == (2, 16, 16)
        assert cam_maps(model, x, 'gradcam', layer='body.0').shape == (2, 16, 16)
        with pytest.raises(ValueError, match="has no module 'body.7'"):
            cam_maps(model, x, layer='body.7')
    finally:
        del MODELS['test_cam_net']
