"""Small smooth functions shared by mechanism modules."""

import sympy as sp


def softplus(x, width):
    """Smooth max(0, x): ~0 well below zero, ~x well above, rounded over about ``width``."""
    return width * sp.log(1 + sp.exp(x / width))


def hill(x, k, n):
    """Increasing Hill function x^n / (k^n + x^n)."""
    return x**n / (k**n + x**n)
