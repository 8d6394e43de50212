"""nqpf: measure and analyse new quality productive forces (新质生产力) and high-quality development (高质量发展)."""

from __future__ import annotations

from nqpf.core.errors import DataError, ExpressionError, FrameworkError, MethodError, NqpfError, StudyError
from nqpf.core.framework import Framework, load_framework
from nqpf.core.panel import Panel, read_panel
from nqpf.datasets import load_dataset
from nqpf.measure import measure, rescore
from nqpf.result import IndexResult

__version__ = "0.1.0"

__all__ = [
    "DataError", "ExpressionError", "Framework", "FrameworkError", "IndexResult", "MethodError", "NqpfError",
    "Panel", "StudyError", "__version__", "load_dataset", "load_framework", "measure", "read_panel", "rescore",
]
