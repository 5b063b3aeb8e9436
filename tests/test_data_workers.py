"""Worker start methods: batches that travel through the shared slots are the same under fork, spawn and forkserver
(Python 3.14's default)."""

import pytest, torch
from imgcls.config import load_config
from imgcls.data import build_data, Slot


def epoch(digits, workers, context=None):
    loader = build_data(
        load_config(
            overrides=[
                f'data.data_dir={digits}',
                f'data.num_workers={workers}',
                'transforms.train.hflip=0.5',
                'transforms.train.resize=40',
            ]
        )
    ).train_loader
    if context:
        loader.loader.multiprocessing_context = context
    return [x for x, _ in loader], loader


@pytest.mark.parametrize('context', ['fork', 'spawn', 'forkserver'])
def test_slots_under_every_start_method(digits, context):
    reference, _ = epoch(digits, 0)
    batches, loader = epoch(digits, 2, context)
    assert len(batches) == len(reference) and all(torch.equal(a, b) for a, b in zip(reference, batches))
    assert loader.collate_fn.slots is not None and isinstance(
        next(iter(loader.loader)), Slot
    )  # the images went through the slots
