"""Datasets with Keras's ``load_data()``: ``mnist`` and ``fashion_mnist``."""

from neuroflow.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
