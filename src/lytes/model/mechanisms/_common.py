"""Small smooth functions shared by mechanism modules."""

import sympy as sp


def softplus(x, width):
    """Smooth max(0, x): ~0 well below zero, ~x well above, rounded over about ``width``."""
    return width * sp.log(1 + sp.exp(x / width))


def hill(x, k, n):
    """Increasing Hill function x^n / (k^n + x^n)."""
    return x**n / (k**n + x**n)


def per_nephron(x, a, most):
    """Per-nephron rise of a tubular transport as nephron mass x (GFR / GFR_0) falls: ~x^-a in CKD, at most ``most``.

    (1 + 1/most) / (x^a + 1/most): 1 at x = 1, finite (``most`` + 1) at x = 0, so nothing divides by the GFR.
    """
    return (1 + 1 / most) / (x**a + 1 / most)


def soft_cap(x, most):
    """A rise that saturates smoothly at ``most``: ~x well below it, 1 at x = 1, never above ~``most``."""
    return x * ((1 + most**-4) / (1 + (x / most) ** 4)) ** sp.Rational(1, 4)
