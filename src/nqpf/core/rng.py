"""Random generators (随机数生成器): every seeded method draws from ``numpy.random.default_rng``."""

from __future__ import annotations

import numpy as np

__all__ = ["Seed", "generator"]

#: What a ``seed=`` argument accepts: an int (reproducible), None (fresh entropy) or a Generator (shared stream).
Seed = int | np.random.Generator | None


def generator(seed: Seed) -> np.random.Generator:
    """The Generator for ``seed``: passed through if it already is one, else ``np.random.default_rng(seed)``.

    Examples
    --------
    >>> float(generator(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
