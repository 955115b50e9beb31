"""Learning-rate schedules: α for each epoch, from the base rate α₀.

=============  ===========================================================================
``constant``   α₀ every epoch
``step``       α₀ · γ^⌊(e − 1 − w) / s⌋ after warm-up: multiplied by γ every s epochs
``cosine``     α₀ · ½ (1 + cos(π (e − 1 − w) / (E − w))) after warm-up: from α₀ towards 0
=============  ===========================================================================

with epochs e = 1 … E and w warm-up epochs, during which α grows linearly: α₀ · e / (w + 1)
(so that the first epoch does not start at 0 and epoch w + 1 is the first at α₀). The rate
changes between epochs, never within one; the training loop records it per epoch.
"""

from __future__ import annotations

import math

SCHEDULES = ("constant", "step", "cosine")


def learning_rate_at(epoch: int, base: float, *, schedule: str = "constant", epochs: int = 1,
                     warmup_epochs: int = 0, step_epochs: int = 1,
                     step_gamma: float = 1.0) -> float:
    """α for ``epoch`` (1-based) of ``epochs``; see the module docstring."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")
    if epoch <= warmup_epochs:
        # α = α₀ · e / (w + 1)
        return base * epoch / (warmup_epochs + 1)
    since = epoch - 1 - warmup_epochs  # epochs after warm-up, 0 at the first
    if schedule == "step":
        # α = α₀ · γ^⌊since / s⌋
        return base * step_gamma ** (since // step_epochs)
    if schedule == "cosine":
        # α = α₀ · ½ (1 + cos(π · since / (E − w)))
        return base * 0.5 * (1 + math.cos(math.pi * since / max(1, epochs - warmup_epochs)))
    return base
