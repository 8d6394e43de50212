"""The channels from NQPF to high-quality development (新质生产力赋能高质量发展的作用渠道).

The theory's third relation: new quality productive forces drive high-quality development through three channels —
technological innovation (科技创新), green development (绿色发展) and all-round human development (人的全面发展).
Each channel is a dimension of the HQD framework (``hqd-province-2022``: ``innovation``, ``green`` and ``sharing``,
"whether people share in development", the measurable side of all-round human development) and is tested as a
mediator with the stepwise mediation of :func:`nqpf.models.mechanism.mediation` (one implementation):

* X = the NQPF index, M_c = the HQD sub-index of channel c (the dimension column of the HQD result),
* Y_{-c} = the HQD index recomputed **without** channel c, so that the outcome does not contain its mediator
  mechanically: the other dimensions' sub-indices weighted by their global weights, renormalised to sum to one
  (:func:`hqd_without`; exactly the index without that dimension when the aggregation is the weighted sum, the
  weights themselves are not re-estimated).

The channel table collects, per channel, the a and b paths, the indirect effect a·b with its bias-corrected
cluster-bootstrap interval, its share of the total effect of X on Y_{-c} and whether the channel carries the effect
(the interval excludes 0, the a path is significant, and a and b are positive: NQPF raises the channel and the
channel raises the rest of HQD, the sense of the theory). The 江艇 (2022) caution of the mechanism module applies: the
a path is the evidence; the b path is not causally identified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.analysis.leap import index_scores
from nqpf.analysis.registry import Options, StudyContext, register_analysis
from nqpf.core.blocks import Block, Figure, Table, Text
from nqpf.core.errors import DataError, StudyError
from nqpf.core.i18n import join, num, pct
from nqpf.core.interface import ReportContext, Result
from nqpf.core.references import cite
from nqpf.core.stars import stars
from nqpf.models._fe import study_frame
from nqpf.models.mechanism import MediationResult, mediation
from nqpf.viz.style import OKABE_ITO, figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = ["CHANNELS", "ChannelsResult", "channels", "default_channel_dimensions", "hqd_without"]

#: The three channels the theory names: key -> (zh, en).
CHANNELS: dict[str, tuple[str, str]] = {
    "innovation": ("科技创新", "technological innovation"),
    "green": ("绿色发展", "green development"),
    "human": ("人的全面发展", "all-round human development"),
}

#: Dimension ids that measure each channel in the bundled HQD frameworks (the first one present is used).
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "innovation": ("innovation",),
    "green": ("green",),
    "human": ("sharing", "human"),
}


def hqd_without(scores: pd.DataFrame, weights: Mapping[str, float], drop: str) -> pd.Series:
    """The HQD index without one dimension: :math:`Y_{-c} = \\sum_{d \\ne c} W_d S_d / \\sum_{d \\ne c} W_d`.

    Parameters
    ----------
    scores : (n, D) dimension sub-indices S_d, one column per dimension id.
    weights : the dimensions' global weights W_d (they need not sum to 1).
    drop : the dimension c left out.

    Returns
    -------
    (n,) Series named ``without_<drop>``. Under the weighted-sum aggregation this is exactly the index measured on
    the other dimensions with their weights renormalised (the weights are not re-estimated).

    Examples
    --------
    >>> s = pd.DataFrame({"innovation": [0.2, 0.6], "green": [0.5, 0.1], "sharing": [0.4, 0.8]})
    >>> hqd_without(s, {"innovation": 0.5, "green": 0.3, "sharing": 0.2}, "innovation").round(4).tolist()
    [0.46, 0.38]
    """
    if drop not in weights:
        raise DataError(f"dimension {drop!r} is not one of the index's dimensions ({', '.join(weights)})")
    keep = [d for d in weights if d != drop]
    w = np.array([float(weights[d]) for d in keep])
    if not keep or w.sum() <= 0:
        raise DataError(f"no other dimension with a positive weight is left once {drop!r} is dropped")
    return pd.Series(scores[keep].to_numpy(dtype=float) @ (w / w.sum()), index=scores.index, name=f"without_{drop}")


def default_channel_dimensions(dimensions: list[str]) -> dict[str, str]:
    """The channel -> dimension mapping for an HQD framework with these dimension ids.

    Examples
    --------
    >>> default_channel_dimensions(["innovation", "coordination", "green", "sharing"])
    {'innovation': 'innovation', 'green': 'green', 'human': 'sharing'}
    """
    out = {}
    for ch, cands in _CANDIDATES.items():
        hit = next((d for d in cands if d in dimensions), None)
        if hit is None:
            raise StudyError(f"the HQD index has no dimension for the {CHANNELS[ch][1]} channel (looked for "
                             f"{', '.join(cands)}; dimensions: {', '.join(dimensions)}); name it in "
                             f'[analyses.channels] as dimensions = {{ {ch} = "<dimension id>" }}')
        out[ch] = hit
    return out


@dataclass
class ChannelsResult(Result):
    """The three channels from NQPF to HQD as mediators (作用渠道检验).

    Attributes
    ----------
    x, hqd : the NQPF and HQD index names; dimensions : channel -> HQD dimension id; weights : the dimensions'
        global weights; mediations : channel -> the :class:`~nqpf.models.mechanism.MediationResult`;
    table : one row per channel (see :meth:`to_frame`); aggregation : the HQD index's aggregation; notes.
    """

    x: str
    hqd: str
    dimensions: dict[str, str]
    weights: dict[str, float]
    mediations: dict[str, MediationResult]
    table: pd.DataFrame
    aggregation: str = "weighted_sum"
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    label = ("作用渠道", "Channels to high-quality development")

    def to_frame(self) -> pd.DataFrame:
        """Per channel: dimension, mediator, outcome, the weight left out, a (with SE and p), b (with p), the
        total effect c and direct effect c′ on Y_{-c}, the indirect effect a·b, Sobel p, the percentile and
        bias-corrected intervals, the share a·b / c, the Zhao et al. type, ``significant`` (the bias-corrected
        interval excludes 0), ``theory_sign`` (a > 0 and b > 0: NQPF raises the channel and the channel raises
        the rest of HQD) and ``carries`` (significant, a significant, and the theory's signs), nobs, years."""
        return self.table.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.to_frame()}

    @property
    def carrying(self) -> list[str]:
        """The channels that carry the effect."""
        return [str(c) for c in self.table.loc[self.table["carries"], "channel"]]

    def _name(self, ch: str, lang: str) -> str:
        return CHANNELS[ch][0 if lang == "zh" else 1]

    def _summary_lines(self, lang: str) -> list[str]:
        head = (f"作用渠道：{self.x} → {self.hqd} 的三个渠道（中介变量为 {self.hqd} 的维度子指数）。" if lang == "zh"
                else f"Channels: {self.x} → {self.hqd} through three channels (mediators: {self.hqd}'s "
                f"dimension sub-indices).")
        cols = ["channel", "dimension", "a", "a_p", "b", "b_p", "indirect", "ci_low", "ci_high", "share", "carries"]
        return [head, *self.narrative(lang), self.table[cols].to_string(index=False), *self.notes]

    def narrative(self, lang: str = "en") -> list[str]:
        """Which channels carry the effect, each channel's numbers, and the caution about stepwise mediation."""
        out = []
        lvl = f"{1 - self.alpha:.0%}"
        for r in self.table.itertuples():
            ch = self._name(r.channel, lang)
            ci = f"[{num(r.ci_low)}, {num(r.ci_high)}]"
            if lang == "zh":
                out.append(f"{ch}（{self.hqd}.{r.dimension}）：a = {num(r.a)}{stars(r.a_p)}，b = {num(r.b)}"
                           f"{stars(r.b_p)}，间接效应 a·b = {num(r.indirect)}，偏差校正 {lvl} 置信区间 {ci}，"
                           f"占总效应 {pct(r.share)}；" + ("该渠道传导了效应。" if r.carries else
                                                     "间接效应显著，但符号与理论所说的渠道不符（需 a > 0 且 b > 0），"
                                                     "该渠道不传导效应。" if r.significant and r.a_p < self.alpha else
                                                     "该渠道不传导效应。"))
            else:
                out.append(f"{ch} ({self.hqd}.{r.dimension}): a = {num(r.a)}{stars(r.a_p)}, b = {num(r.b)}"
                           f"{stars(r.b_p)}, indirect effect a·b = {num(r.indirect)}, bias-corrected {lvl} interval "
                           f"{ci}, {pct(r.share)} of the total effect; "
                           + ("the channel carries the effect." if r.carries else
                              "the indirect effect is significant but its signs are not those of the theory's "
                              "channel (a > 0 and b > 0 needed): the channel does not carry the effect."
                              if r.significant and r.a_p < self.alpha else "the channel does not carry the effect."))
        yes = [self._name(c, lang) for c in self.carrying]
        no = [self._name(c, lang) for c in self.table["channel"] if c not in self.carrying]
        cc = cite(("jiang2022",), lang)
        if lang == "zh":
            head = (f"在本数据上，{self.x} 对高质量发展的效应经由{join(yes, lang)}传导" if yes else
                    "在本数据上，三个渠道均未表现出显著的传导作用")
            head += (f"；{join(no, lang)}不传导该效应。" if yes and no else "。")
            tail = (f"注意{cc}：逐步法的 b 路径没有因果识别，渠道的证据主要是 a 路径（{self.x} 对各维度子指数的影响）；"
                    f"结果变量为剔除该维度后重算的 {self.hqd} 指数，以免中介变量机械地包含在结果中。")
        else:
            head = (f"On the bundled data the effect of {self.x} on high-quality development runs through "
                    f"{join(yes, lang)}" if yes else "On these data none of the three channels carries the effect")
            head += (f"; {join(no, lang)} does not carry it." if yes and no else ".")
            tail = (f"Caution{cc}: the b path of stepwise mediation is not causally identified; the evidence of a "
                    f"channel is mainly its a path (the effect of {self.x} on the dimension's sub-index). The outcome "
                    f"is {self.hqd} recomputed without the channel's dimension, so it does not contain the mediator "
                    "mechanically.")
        return [head, *out, tail]

    def _localized(self, lang: str) -> pd.DataFrame:
        t = self.table
        zh = lang == "zh"
        return pd.DataFrame({
            "渠道" if zh else "channel": [self._name(c, lang) for c in t["channel"]],
            "维度" if zh else "dimension": t["dimension"],
            "a": [f"{num(v)}{stars(p)}" for v, p in zip(t["a"], t["a_p"], strict=True)],
            "b": [f"{num(v)}{stars(p)}" for v, p in zip(t["b"], t["b_p"], strict=True)],
            "c": [f"{num(v)}{stars(p)}" for v, p in zip(t["c"], t["c_p"], strict=True)],
            "a·b": [num(v) for v in t["indirect"]],
            ("偏差校正置信区间" if zh else "bias-corrected CI"):
                [f"[{num(lo)}, {num(hi)}]" for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)],
            "a·b / c": [pct(v) for v in t["share"]],
            ("传导" if zh else "carries"): [("是" if zh else "yes") if v else ("否" if zh else "no")
                                            for v in t["carries"]],
        })

    def plot(self, ax: Axes | None = None, lang: str = "en") -> MplFigure:
        """The indirect effect of each channel with its bias-corrected interval."""
        fig, ax = figure_axes(ax, (5.2, 2.6))
        t = self.table
        ypos = np.arange(len(t))[::-1]
        ax.errorbar(t["indirect"], ypos, xerr=[t["indirect"] - t["ci_low"], t["ci_high"] - t["indirect"]],
                    fmt="o", color=OKABE_ITO[5], ecolor=OKABE_ITO[4], capsize=3)
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_yticks(ypos, [self._name(c, lang) for c in t["channel"]])
        ax.set_xlabel("间接效应 a·b 与偏差校正置信区间" if lang == "zh" else "indirect effect a·b, bias-corrected CI")
        return fig

    def figures(self, lang: str = "en") -> list[Any]:
        import plotly.graph_objects as go

        t = self.table
        fig = go.Figure(go.Scatter(
            x=t["indirect"], y=[self._name(c, lang) for c in t["channel"]], mode="markers",
            marker={"color": OKABE_ITO[5], "size": 10},
            error_x={"type": "data", "symmetric": False, "array": t["ci_high"] - t["indirect"],
                     "arrayminus": t["indirect"] - t["ci_low"], "color": OKABE_ITO[4]}))
        fig.add_vline(x=0, line_color="#444", line_width=1)
        fig.update_layout(height=260, showlegend=False, margin={"l": 140, "r": 20, "t": 30, "b": 50},
                          xaxis={"title": "间接效应 a·b（偏差校正置信区间）" if lang == "zh" else
                                 "indirect effect a·b (bias-corrected interval)"})
        return [fig]

    @property
    def years(self) -> list[int]:
        """The years of the mediation sample (X and HQD both measured)."""
        y0, y1 = (int(v) for v in str(self.table["years"].iloc[0]).split("-"))
        return list(range(y0, y1 + 1))

    def report(self, ctx: ReportContext) -> list[Block]:
        blocks: list[Block] = [Text(tuple(self.narrative(ctx.lang))), Table(self._localized(ctx.lang)),
                               *(Figure(f) for f in self.figures(ctx.lang))]
        if self.notes:
            blocks.append(Text(tuple(self.notes)))
        return blocks


def channels(x: Any, hqd: Any, *, dimensions: Mapping[str, str] | None = None, controls: pd.DataFrame | None = None,
             bootstrap: int = 999, seed: int = 0, alpha: float = 0.05,
             names: tuple[str, str] | None = None) -> ChannelsResult:
    """The three channels from NQPF to HQD (innovation, green, all-round human development) as mediators.

    Parameters
    ----------
    x : the NQPF IndexResult (or a Series by (unit, year)).
    hqd : the HQD IndexResult (its dimension sub-indices and global weights are used).
    dimensions : channel (``innovation``, ``green``, ``human``) -> HQD dimension id; default
        :func:`default_channel_dimensions`.
    controls : optional control variables, a DataFrame indexed by (unit, year).
    bootstrap, seed, alpha : as in :func:`nqpf.models.mechanism.mediation` (the same seed for every channel).
    names : (x, hqd) index names.

    Returns
    -------
    ChannelsResult
    """
    if names is None:
        names = (getattr(getattr(x, "framework", None), "name", None) or "nqpf", hqd.framework.name)
    xn, hn = names
    sc = hqd.scores.set_index(["unit", "year"])
    dims = [str(r.id) for r in hqd.weights.itertuples() if r.kind == "dimension"] if "kind" in hqd.weights else []
    dims = [d for d in dims if d in sc.columns] or [c for c in sc.columns if c not in ("score", "rank")]
    gw = hqd.weights.set_index("id")["global_weight"]
    weights = {d: float(gw[d]) for d in dims}
    mapping = dict(dimensions) if dimensions else default_channel_dimensions(dims)
    unknown = [c for c in mapping if c not in CHANNELS]
    if unknown:
        raise StudyError(f"unknown channel(s) {', '.join(unknown)}; channels: {', '.join(CHANNELS)}")
    for ch, d in mapping.items():
        if d not in weights:
            raise StudyError(f"channel {ch}: the HQD index {hn} has no dimension {d!r}; dimensions: {', '.join(dims)}")
    agg = str(getattr(hqd, "settings", {}).get("aggregation", "weighted_sum"))
    notes = []
    if agg != "weighted_sum":
        notes.append(f"{hn} aggregates with {agg}: the outcome without a channel is the weighted mean of the other "
                     "dimensions' sub-indices, not the index re-aggregated")
    xs = index_scores(x, xn)
    ctrl = [] if controls is None else [str(c) for c in controls.columns]
    rows, meds = [], {}
    for ch, d in mapping.items():
        m, y = f"{hn}.{d}", f"{hn}_without_{d}"
        frame = pd.concat([xs, sc[d].rename(m), hqd_without(sc, weights, d).rename(y)], axis=1, join="inner")
        if controls is not None:
            frame = frame.join(controls, how="inner")
        med = mediation(frame, y, xn, m, ctrl, bootstrap=bootstrap, seed=seed, alpha=alpha)
        meds[ch] = med
        lo, hi = med.ci_bc if bootstrap > 0 else (np.nan, np.nan)
        sig = bool(lo > 0 or hi < 0) if bootstrap > 0 else med.sobel_p < alpha
        rows.append({"channel": ch, "dimension": d, "mediator": m, "outcome": y, "weight_left_out": weights[d],
                     "a": med.a[0], "a_se": med.a[1], "a_p": med.a[2], "b": med.b[0], "b_se": med.b[1],
                     "b_p": med.b[2], "c": med.c[0], "c_p": med.c[2], "c_prime": med.c_prime[0],
                     "c_prime_p": med.c_prime[2], "indirect": med.indirect, "sobel_p": med.sobel_p,
                     "ci_pct_low": med.ci_percentile[0], "ci_pct_high": med.ci_percentile[1], "ci_low": lo,
                     "ci_high": hi, "share": med.proportion, "kind": med.kind,
                     "significant": sig, "theory_sign": med.a[0] > 0 and med.b[0] > 0,
                     "carries": sig and med.a[2] < alpha and med.a[0] > 0 and med.b[0] > 0, "nobs": med.nobs,
                     "years": f"{min(frame.index.get_level_values(1))}-{max(frame.index.get_level_values(1))}"})
        notes += [f"{ch}: {n}" for n in med.notes]
    return ChannelsResult(x=xn, hqd=hn, dimensions=mapping, weights=weights, mediations=meds,
                          table=pd.DataFrame(rows), aggregation=agg, alpha=alpha, notes=notes)


# =============================================================================================================
# study file
# =============================================================================================================
class ChannelsOptions(Options):
    """``[analyses.channels]``: x (default: the first nqpf index), hqd (default: the first hqd index), dimensions
    (channel -> HQD dimension id; default innovation, green and sharing), controls (indices, ``index.dimension``
    or panel columns), bootstrap draws, seed, alpha."""

    x: str | None = None
    hqd: str | None = None
    dimensions: dict[str, str] | None = None
    controls: tuple[str, ...] = ()
    bootstrap: int = 999
    seed: int = 0
    alpha: float = 0.05


REFS = ("baron1986", "sobel1982", "preacher2008", "efron1987", "zhao2010", "jiang2022")


def _channels_methods(res: ChannelsResult, opts: ChannelsOptions, lang: str) -> str:
    c1, c2, c3 = cite(("baron1986", "sobel1982"), lang), cite(("preacher2008", "efron1987"), lang), cite(
        ("jiang2022",), lang)
    n = len(next(iter(res.mediations.values())).boot) if res.mediations else 0
    form = "$Y_{-c} = \\sum_{d\\ne c} W_d S_d \\big/ \\sum_{d\\ne c} W_d$"
    dims = ", ".join(f"{ch}→{d}" for ch, d in res.dimensions.items())
    if lang == "zh":
        return (f"作用渠道检验将科技创新、绿色发展与人的全面发展三个渠道分别取为高质量发展指数的维度子指数 "
                f"$M_c$（{dims}），以新质生产力指数为 $X$，以剔除该维度后重算的高质量发展指数 {form}"
                f"（$S_d$ 为维度子指数，$W_d$ 为其全局权重，权重不重新估计）为 $Y$，以免结果变量机械地包含中介变量；"
                f"对每个渠道采用逐步回归法{c1}（双向固定效应，按单位聚类标准误），间接效应以 {n} 次按单位聚类"
                f"自助法的偏差校正置信区间{c2}判断；置信区间不含 0、$a$ 路径显著且 $a$、$b$ 均为正（理论所说的方向）时"
                f"认为该渠道传导了效应。$b$ 路径没有因果识别{c3}，故以 $a$ 路径作为主要证据。")
    return (f"The channels test takes technological innovation, green development and all-round human development as "
            f"the HQD index's dimension sub-indices $M_c$ ({dims}), the NQPF index as $X$, and as $Y$ the HQD index "
            f"recomputed without the channel's dimension, {form} ($S_d$ the dimension sub-indices, $W_d$ their global "
            f"weights, not re-estimated), so that the outcome does not contain its mediator mechanically. Each "
            f"channel is tested with the stepwise regressions{c1} (two-way fixed effects, standard errors clustered "
            f"by unit) and bias-corrected intervals from {n} cluster-bootstrap draws{c2}; a channel carries the "
            f"effect when the interval excludes 0, the $a$ path is significant and $a$ and $b$ are positive (the sense "
            f"of the theory). The $b$ path is not causally "
            f"identified{c3}, so the $a$ path is the main evidence.")


@register_analysis("channels", options=ChannelsOptions, result=ChannelsResult, section="relations", order=30,
                   label=("新质生产力赋能高质量发展的作用渠道", "The channels from NQPF to high-quality development"),
                   refs=REFS, methods=_channels_methods)
def _study_channels(ctx: StudyContext, opts: ChannelsOptions) -> ChannelsResult:
    a, ra = ctx.index(opts.x, role="nqpf")
    b, rb = ctx.index(opts.hqd, role="hqd")
    controls = study_frame(ctx, list(opts.controls)) if opts.controls else None
    return channels(ra, rb, dimensions=opts.dimensions, controls=controls, bootstrap=opts.bootstrap, seed=opts.seed,
                    alpha=opts.alpha, names=(a, b))
