"""Helpers for code that runs on numpy and CuPy arrays alike."""

import numpy as np


def to_host(array):
    """A numpy array from a numpy or CuPy array (CuPy copies device to host)."""
    return array.get() if hasattr(array, "get") else np.asarray(array)
