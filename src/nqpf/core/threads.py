"""Thread counts for nqpf's parallel loops (线程数) and a guard for many small BLAS calls."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = ["num_threads", "one_blas_thread"]


def num_threads() -> int:
    """Worker threads: ``NQPF_NUM_THREADS`` if set, else the usable cores (at most 8).

    Examples
    --------
    >>> num_threads() >= 1
    True
    """
    env = os.environ.get("NQPF_NUM_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def one_blas_thread() -> AbstractContextManager[Any]:
    """Limit BLAS to one thread (threadpoolctl) for loops of many small matrix products.

    Multithreaded OpenBLAS synchronises on every call and slows such loops down several-fold when the
    cores are busy; one thread loses little on an idle machine.

    Examples
    --------
    >>> with one_blas_thread():
    ...     pass
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
