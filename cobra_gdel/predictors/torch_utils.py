"""Building blocks of the learned predictors' networks and training loops.

Seeded training never touches torch's global random number generator: a network is
constructed on the ``meta`` device and initialised from a local
:class:`torch.Generator` (:func:`build_module`, with the draw order of torch's default
initialisers, :func:`reset_default_parameters`), and :class:`Dropout` draws its masks
from a generator that the training loop lends it (:func:`dropout_generator`). On the
CPU this gives the same numbers as seeding the global generator would.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import torch
from torch import nn

logger = logging.getLogger(__name__)

__all__ = [
    "EPS",
    "logit",
    "length_chunks",
    "masked_mean",
    "EarlyStopping",
    "Dropout",
    "dropout_generator",
    "make_generators",
    "reset_default_parameters",
    "build_module",
]

#: Probabilities are clipped to [EPS, 1 - EPS] before :func:`logit`.
EPS = 1e-4

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` of *p* clipped to ``[EPS, 1 - EPS]``."""
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def length_chunks(lengths: Sequence[int], size: int) -> list[np.ndarray]:
    """Index chunks of at most *size*, sorted by length (bucketing against padding)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


def masked_mean(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean over time of ``x`` (n, L, d), counting only the first ``lengths[i]`` steps."""
    steps = torch.arange(x.shape[1], device=x.device)
    mask = (steps[None, :] < lengths[:, None].to(x.device)).to(x.dtype)
    return (x * mask[..., None]).sum(1) / lengths.to(x.device, x.dtype).clamp(min=1)[:, None]


class EarlyStopping:
    """Best-validation bookkeeping of a training loop.

    Keeps the weights of the best epoch and says when *patience* epochs passed
    without improvement (only when there is a validation split, *active*).
    """

    def __init__(self, patience: int, active: bool) -> None:
        self.patience, self.active = patience, active
        self.best, self.best_epoch, self.wait, self.epochs = math.inf, 0, 0, 0
        self.state: dict | None = None

    def step(self, val: float, net: nn.Module) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        self.epochs += 1
        if val < self.best - 1e-6:
            self.best, self.best_epoch, self.wait = val, self.epochs, 0
            self.state = copy.deepcopy(net.state_dict())
            return False
        self.wait += 1
        return self.active and self.wait >= self.patience

    def finish(self, net: nn.Module) -> dict:
        """Load the best weights (with a validation split) and summarise the run."""
        if self.state is not None and self.active:
            net.load_state_dict(self.state)
        return {"epochs_run": self.epochs, "best_epoch": self.best_epoch,
                "best_val_loss": self.best}


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` that draws its masks from :attr:`generator` when set.

    Without a generator (the default, and always at inference) it is
    :class:`torch.nn.Dropout`. With one, a training step draws the same mask that
    :func:`torch.nn.functional.dropout` draws on the CPU from a global generator in
    the same state. It holds no parameter, so checkpoints are those of
    :class:`torch.nn.Dropout`.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gen = self.generator
        if gen is None or not self.training or self.p in (0.0, 1.0) or x.numel() == 0:
            return super().forward(x)
        noise = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=gen)
        noise.div_(1.0 - self.p)
        return x * noise


@contextlib.contextmanager
def dropout_generator(module: nn.Module, generator: torch.Generator) -> Iterator[None]:
    """Lend *generator* to every :class:`Dropout` of *module* for the ``with`` block."""
    layers = [m for m in module.modules() if isinstance(m, Dropout)]
    for layer in layers:
        layer.generator = generator
    try:
        yield
    finally:
        for layer in layers:
            layer.generator = None


def make_generators(seed: int, device: torch.device) -> tuple[torch.Generator, torch.Generator]:
    """Generators of a seeded fit: (initial weights, dropout masks on *device*).

    Initial weights are always drawn on the CPU (so they do not depend on the
    device); on the CPU the masks continue the same stream.
    """
    init = torch.Generator().manual_seed(int(seed))
    if device.type == "cpu":
        return init, init
    return init, torch.Generator(device=device).manual_seed(int(seed))


def _reset_linear(m: nn.Linear, gen: torch.Generator) -> None:
    nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=gen)
    if m.bias is not None:
        fan_in = m.weight.shape[1]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        nn.init.uniform_(m.bias, -bound, bound, generator=gen)


def _reset_embedding(m: nn.Embedding, gen: torch.Generator) -> None:
    nn.init.normal_(m.weight, generator=gen)
    if m.padding_idx is not None:
        m.weight[m.padding_idx].fill_(0)


def _reset_lstm(m: nn.LSTM, gen: torch.Generator) -> None:
    stdv = 1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0
    for weight in m.parameters():
        nn.init.uniform_(weight, -stdv, stdv, generator=gen)


def _reset_layer_norm(m: nn.LayerNorm, gen: torch.Generator) -> None:
    if m.weight is not None:
        nn.init.ones_(m.weight)
    if m.bias is not None:
        nn.init.zeros_(m.bias)


_RESETS: dict[type, Callable[[nn.Module, torch.Generator], None]] = {
    nn.Linear: _reset_linear,
    nn.Embedding: _reset_embedding,
    nn.LSTM: _reset_lstm,
    nn.LayerNorm: _reset_layer_norm,
}


@torch.no_grad()
def reset_default_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """Initialise *module*'s layers as torch's constructors do, drawing from *generator*.

    Layers are visited in registration order (the order in which their constructors
    would have drawn from the global generator).

    Raises
    ------
    TypeError
        For a layer with parameters of a type this function does not know.
    """
    for m in module.modules():
        reset = _RESETS.get(type(m))
        if reset is not None:
            reset(m, generator)
        elif any(True for _ in m.parameters(recurse=False)):
            raise TypeError(f"no generator-driven initialiser for {type(m).__name__}")


def build_module(factory: Callable[[], ModuleT], generator: torch.Generator | None) -> ModuleT:
    """Construct ``factory()`` without drawing from torch's global generator.

    The module is built on the CPU with the global generator's state saved and
    restored around it (``torch.random.fork_rng``), so the constructors' own
    initialisation draws leave no trace; with a *generator* its
    ``reset_parameters(generator)`` then initialises every parameter and buffer, without
    one its values are to be replaced by ``load_state_dict``. (Building on the ``meta``
    device instead, as before, imports ``torch._dynamo`` on the first call: 1.2 s of
    every process's first prediction, docs/benchmarks.md, first calls.)
    """
    with torch.random.fork_rng(devices=[]):
        module = factory()
    if generator is not None:
        with torch.no_grad():
            module.reset_parameters(generator)
    return module
