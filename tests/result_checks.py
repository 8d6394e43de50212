"""Checks every analysis result must pass: the one result interface (imported by the analysis tests)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import matplotlib
import matplotlib.pyplot as plt

from nqpf.analysis.registry import ANALYSES
from nqpf.core.blocks import Figure, Heading, Preformatted, Table, Text
from nqpf.core.interface import ReportContext
from nqpf.core.references import get

CJK = re.compile(r"[\u4e00-\u9fff]")


def check_interface(res: Any, numbers: Iterable[str] = (), *, plot: bool = True) -> None:
    """summary("en"/"zh") differ, carry ``numbers`` and back __str__/_repr_html_; plot() is a Figure; the
    zh report gives blocks whose paragraphs are Chinese; the interactive figures are plotly figures."""
    en, zh = res.summary("en"), res.summary("zh")
    assert en == res.summary() == str(res) and en != zh
    assert CJK.search(zh), zh
    for x in numbers:
        assert x in en, (x, en)
        assert x in zh, (x, zh)
    assert "<pre>" in res._repr_html_()
    if plot:
        fig = res.plot(lang="zh")
        assert isinstance(fig, matplotlib.figure.Figure) and fig.axes
        plt.close(fig)
        fig, ax = plt.subplots()
        assert res.plot(ax=ax) is fig  # draws into the axes it is given
        plt.close(fig)
    blocks = res.report(ReportContext("zh"))
    assert blocks and all(isinstance(b, Heading | Text | Figure | Table | Preformatted) for b in blocks)
    texts = [s for b in blocks if isinstance(b, Text) for s in b.sentences]
    texts += [b.text for b in blocks if isinstance(b, Preformatted | Heading)]
    assert texts and any(CJK.search(s) for s in texts)
    for f in res.figures("en"):
        assert type(f).__name__ == "Figure" and f.data


def check_methods(name: str, res: Any, must: Iterable[str] = ()) -> dict[str, str]:
    """The registered methods.md paragraph in both languages cites every reference of the analysis."""
    spec = ANALYSES[name]
    out = {}
    for lang in ("en", "zh"):
        text = spec.methods(res, spec.options(), lang)
        assert spec.refs
        for key in spec.refs:
            assert get(key).parenthetical(lang) in text, (key, text)
        for x in must:
            assert x in text, (x, text)
        out[lang] = text
    assert CJK.search(out["zh"]) and not CJK.search(out["en"])
    return out


def run_doctests(module: Any) -> None:
    """The module's docstring Examples run and give what they show."""
    import doctest

    res = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert res.attempted and not res.failed, res
