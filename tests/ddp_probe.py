"Run under torchrun by test_distributed.py: train one run and print, from rank 0, how often the ranks communicated."

import json, sys
import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from imgcls.train import Training

counts = {'all_reduce': 0, 'gradient_exchanges': 0}
_all_reduce = dist.all_reduce


def counted_all_reduce(*args, **kwargs):
    counts['all_reduce'] += 1
    return _all_reduce(*args, **kwargs)


dist.all_reduce = counted_all_reduce  # still the real collective, counted


def counted_allreduce_hook(group, bucket):
    counts['gradient_exchanges'] += 1
    return default_hooks.allreduce_hook(group, bucket)


config, *overrides = sys.argv[1:]
t = Training(config, overrides)
t.on(
    'on_train_begin',
    lambda training, **kw: (getattr(training, 'ddp', None) or training.wrapped).register_comm_hook(
        None, counted_allreduce_hook
    ),
)
t.run()
if t.dist.is_main:
    print(
        json.dumps(
            {
                **counts,
                'batches': t.batches_per_epoch,
                'steps': t.state.global_step,
                'group_left': not dist.is_initialized(),
            }
        )
    )
