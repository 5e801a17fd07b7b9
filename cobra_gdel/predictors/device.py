"""Torch devices of the learned predictors: ``"auto"``, ``"cpu"`` or ``"cuda[:n]"``.

torch is imported by the functions, not by the module, so the device of a call can be
validated by code that otherwise needs no torch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

__all__ = ["resolve_device", "check_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device meant by *device*.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` or None: CUDA when available, else the CPU; ``"cpu"`` and
        ``"cuda[:n]"`` as given; a :class:`torch.device` is returned unchanged.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For any other string, or ``"cuda"`` when CUDA is not available.
    """
    import torch

    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or not (device == "cpu" or device.split(":")[0] == "cuda"):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return torch.device(device)


def check_device(device: Any) -> str | None:
    """Validate *device* early (before any work is done with it).

    Parameters
    ----------
    device : str, torch.device or None

    Returns
    -------
    str or None
        ``str(device)``, or None for None.

    Raises
    ------
    ValueError
        An unknown device name, or CUDA asked for but not available.
    """
    if device is None:
        return None
    resolve_device(device)
    return str(device)
