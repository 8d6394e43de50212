"""Figure style shared by every static and interactive figure (图表风格): palettes, fonts, paper rc settings.

Style: no chart junk (no top/right spines, no background grid except light guide lines where values are
read off), labelled axes with units, colour-blind-safe palettes (viridis / cividis, Okabe & Ito 2008).
:func:`cjk_font` finds a Chinese font matplotlib can use; :func:`figure_axes` gives ``plot(ax=None)``
methods their figure and axes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CJK_FAMILIES", "DPI", "FONT_SIZE", "LISA_COLORS", "LISA_ORDER", "MAX_PX", "OKABE_ITO", "REGION_COLORS",
    "cap_figsize", "cap_height", "cjk_font", "figure_axes", "paper_style", "pick_years", "save_dpi",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
#: Colours of the national mean and the four regions (Okabe–Ito).
REGION_COLORS = {"national": "#000000", "East": "#0072B2", "Central": "#E69F00", "West": "#009E73",
                 "Northeast": "#CC79A7"}
#: LISA cluster colours (Okabe–Ito: vermillion, blue, sky blue, orange; grey for not significant).
LISA_COLORS = {"HH": "#D55E00", "LL": "#0072B2", "LH": "#56B4E9", "HL": "#E69F00", "not significant": "#e6e6e6"}
LISA_ORDER = ("HH", "LL", "LH", "HL", "not significant")
#: Chinese font families, in order of preference.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "SimHei",
    "Sarasa Gothic SC", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "Noto Sans CJK JP",
)
_CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "msyh", "simhei", "simsun",
                   "pingfang", "hiragino", "droidsansfallback", "uming", "ukai", "notosanssc")
DPI = 300
FONT_SIZE = 8
#: No figure, static (pixels at :data:`DPI`) or interactive (plotly layout height/width), is larger than this
#: in either dimension: a figure with one row per unit of a large panel would otherwise grow without bound
#: (3,000 firms gave a 1,454 × 111,283-px PNG).
MAX_PX = 4000


def cap_figsize(figsize: tuple[float, float], dpi: float = DPI) -> tuple[float, float]:
    """``(width, height)`` in inches, each at most :data:`MAX_PX` pixels at ``dpi``.

    Examples
    --------
    >>> cap_figsize((5.6, 481.2))
    (5.6, 13.333333333333334)
    >>> cap_figsize((5.2, 3.4))
    (5.2, 3.4)
    """
    most = MAX_PX / dpi
    return (min(float(figsize[0]), most), min(float(figsize[1]), most))


def cap_height(height: float | None) -> int | None:
    """A plotly layout height (px) capped at :data:`MAX_PX` (None stays None).

    Examples
    --------
    >>> cap_height(54140), cap_height(420), cap_height(None)
    (4000, 420, None)
    """
    return None if height is None else int(min(float(height), MAX_PX))


def save_dpi(fig: Figure, dpi: float = DPI) -> float:
    """The resolution at which ``fig`` is saved (``bbox_inches="tight"``) within :data:`MAX_PX` pixels a side:
    ``dpi``, or less when the drawn extent (labels sticking out included) is larger than the cap allows.
    A figure well within the cap (1.5 inches of margin for what sticks out) is not measured."""
    if max(fig.get_size_inches()) <= MAX_PX / dpi - 1.5:
        return float(dpi)
    fig.canvas.draw()
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    side = max(float(bbox.width), float(bbox.height), 1e-9) + 0.2  # inches, with the tight-bbox padding
    return float(min(dpi, np.floor(MAX_PX / side)))


def pick_years(years: list[int], n: int = 4) -> list[int]:
    """Up to ``n`` evenly spaced years including the first and the last."""
    if len(years) <= n:
        return list(years)
    idx = np.unique(np.round(np.linspace(0, len(years) - 1, n)).astype(int))
    return [years[i] for i in idx]


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A Chinese-capable font family matplotlib can use, registering system fonts it has not seen; or None."""
    from matplotlib import font_manager as fm

    def known() -> str | None:
        names = {f.name for f in fm.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)

    found = known()
    if found:
        return found
    files: list[str] = []
    if shutil.which("fc-list"):
        try:
            res = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20,
                                 check=False)
            files = [line.split(":")[0].strip() for line in res.stdout.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            files = []
    if not files:
        files = [f for f in fm.findSystemFonts() if any(h in Path(f).name.lower() for h in _CJK_FILE_HINTS)]
    for f in sorted(set(files)):
        try:
            fm.fontManager.addfont(f)
        except (OSError, RuntimeError, ValueError):
            continue
    found = known()
    if found:
        return found
    # any family registered from a CJK file
    names = {f.name for f in fm.fontManager.ttflist if f.fname in set(files)}
    return sorted(names)[0] if names else None


@contextmanager
def paper_style(font: str | None) -> Iterator[None]:
    """Publication rc settings: small type, no top/right spines, SVG text kept as text."""
    import matplotlib as mpl

    families = ([font] if font else []) + ["DejaVu Sans"]
    rc = {
        "font.family": "sans-serif", "font.sans-serif": families, "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE + 1, "axes.labelsize": FONT_SIZE, "xtick.labelsize": FONT_SIZE - 1,
        "ytick.labelsize": FONT_SIZE - 1, "legend.fontsize": FONT_SIZE - 1, "legend.frameon": False,
        "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "lines.linewidth": 1.4,
        "svg.fonttype": "none", "svg.hashsalt": "nqpf", "axes.unicode_minus": False, "figure.dpi": 100,
        "savefig.bbox": "tight", "savefig.pad_inches": 0.05, "axes.titlelocation": "left",
    }
    with mpl.rc_context(rc):
        yield


def figure_axes(ax: Axes | None, figsize: tuple[float, float] = (5.2, 3.4), **subplot_kw: Any
                ) -> tuple[Figure, Axes]:
    """The figure and axes a ``plot(ax=None)`` method draws into: ``ax``'s own, or a new figure.

    A new figure is at most :data:`MAX_PX` pixels a side at :data:`DPI` (:func:`cap_figsize`).

    Examples
    --------
    >>> fig, ax = figure_axes(None)
    >>> ax.figure is fig
    True
    """
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=cap_figsize(figsize))
    return fig, fig.add_subplot(**subplot_kw)
