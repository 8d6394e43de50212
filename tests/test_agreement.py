"""Rank agreement of two indices 排名一致性: ρ and τ-b per year by hand, the top-k overlap, the interface."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure as MplFigure

from nqpf.analysis.agreement import RankAgreement, rank_agreement
from nqpf.analysis.registry import ANALYSES
from nqpf.core.blocks import Figure, Table, Text
from nqpf.core.errors import DataError
from nqpf.core.interface import ReportContext
from nqpf.core.references import get

UNITS = ["P", "Q", "R", "S", "T"]


def scores(values: dict[int, list[float]]) -> SimpleNamespace:
    """A stand-in for an IndexResult: rank_agreement reads only ``scores`` (unit, year, score)."""
    rows = [{"unit": u, "year": y, "score": v} for y, vals in values.items() for u, v in zip(UNITS, vals, strict=True)]
    return SimpleNamespace(scores=pd.DataFrame(rows))


A = {2020: [5, 4, 3, 2, 1], 2021: [5, 4, 3, 2, 1]}
B = {2020: [5, 4, 3, 2, 1], 2021: [4, 5, 3, 1, 2]}


@pytest.fixture
def agreement() -> RankAgreement:
    return rank_agreement(scores(A), scores(B), "nqpf", "hqd", top=2)  # type: ignore[arg-type]


def test_by_hand(agreement: RankAgreement) -> None:
    tb = agreement.to_frame().set_index("year")
    # 2020 identical ranks: ρ = τ = 1. 2021: d = (1, 1, 0, 1, 1), Σd² = 4, ρ = 1 - 6·4/(5·24) = 0.8;
    # pairs: 10, discordant (P,Q) and (S,T) → τ = (8 - 2)/10 = 0.6; top 2 {P, Q} in both → overlap 2
    assert tb.loc[2020, "spearman"] == pytest.approx(1.0) and tb.loc[2020, "kendall"] == pytest.approx(1.0)
    assert tb.loc[2021, "spearman"] == pytest.approx(0.8) and tb.loc[2021, "kendall"] == pytest.approx(0.6)
    assert tb["top2_overlap"].tolist() == [2, 2] and tb["n"].tolist() == [5, 5]
    with pytest.raises(DataError, match="share no unit-year"):
        rank_agreement(scores(A), scores({2030: [1, 2, 3, 4, 5]}))  # type: ignore[arg-type]


def test_summary_in_both_languages_carries_the_numbers(agreement: RankAgreement) -> None:
    en, zh = agreement.summary("en"), agreement.summary("zh")
    assert str(agreement) == en
    assert "nqpf vs hqd, 2020–2021 (2 shared years): Spearman ρ from 0.800 to 1.000 (mean 0.900)" in en
    assert "Kendall τ mean 0.800" in en and f"{agreement.pooled_spearman:.3f}" in en
    assert "nqpf 与 hqd，2020–2021 年（2 个共同年份）" in zh and "介于 0.800 与 1.000 之间（均值 0.900）" in zh
    assert "In 2021 the two indices share 2 of their top 2 units." in agreement.narrative("en")
    assert "2021 年两种指数的前 2 名中有 2 个相同。" in agreement.narrative("zh")


def test_plot_figures_and_report_blocks(agreement: RankAgreement) -> None:
    assert isinstance(agreement.plot(lang="zh"), MplFigure)
    fig = agreement.figures("en")[0]
    assert [tr.name for tr in fig.data] == ["Spearman ρ", "Kendall τ-b"]
    assert np.allclose(np.asarray(fig.data[1].y, dtype=float), [1.0, 0.6])
    blocks = agreement.report(ReportContext("zh"))
    assert [type(b) for b in blocks] == [Text, Figure, Table]
    assert blocks[2].formats["top2_overlap"] == "int"


def test_methods_paragraph_cites_the_references(agreement: RankAgreement) -> None:
    spec = ANALYSES["compare"]
    for lang in ("zh", "en"):
        text = spec.methods(agreement, spec.parse({}), lang)  # type: ignore[misc]
        assert "Spearman" in text and "Kendall" in text
        for key in spec.refs:
            assert get(key).parenthetical(lang) in text
