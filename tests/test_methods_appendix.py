"""methods.md (nqpf.report.methods_md), nqpf cite (nqpf.cite) and the reference registry (nqpf.core.references).

The central promise: methods.md names every method that ran, with its reference, and nothing that did not run.
Method keys, labels and references come from the registries (the method registry and the analysis registry).
Checked on the bundled default study and on small studies changed one choice at a time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nqpf.analysis.registry import ANALYSES
from nqpf.cite import cite_text, study_methods
from nqpf.core.references import REFERENCES, format_reference, get, to_bibtex
from nqpf.methods.registry import AGGREGATIONS, NORMALIZATIONS, TECHNIQUES, WEIGHTINGS
from nqpf.report.methods_md import citable, methods_html, methods_markdown, methods_used, write_methods_md
from nqpf.study import StudySpec, load_study, run_study

ROOT = Path(__file__).resolve().parents[1]
METHOD_KEYS = [k for reg in (NORMALIZATIONS, WEIGHTINGS, AGGREGATIONS, TECHNIQUES) for k in reg]
ALL_KEYS = METHOD_KEYS + list(ANALYSES)


def spec(weighting: str = "global_entropy", aggregation: str = "weighted_sum", analyses: dict | None = None
         ) -> StudySpec:
    """A small study on the core framework (30 provinces, 2013-2023, nothing to impute)."""
    return StudySpec.model_validate({
        "name": "small", "title": "Small", "data": {"dataset": "china-provinces"},
        "index": [{"name": "core", "framework": "nqpf-province-core", "years": [2013, 2023],
                   "exclude_units": ["西藏"], "missing": "error", "weighting": weighting,
                   "aggregation": aggregation}],
        "analyses": {"dagum": {}, "kernel_density": {}} if analyses is None else analyses,
    })


def mentions(text: str, key: str) -> list[str]:
    """Which labels of a method or analysis occur in ``text``."""
    return [lab for lab in citable(key).label if lab.lower() in text.lower()]


def exclusive_refs(used: list[str]) -> set[str]:
    """References cited only by methods that did not run."""
    used_refs = {r for k in used for r in citable(k).refs}
    return {r for k in ALL_KEYS if k not in used for r in citable(k).refs} - used_refs


def cites_in_text(key: str) -> bool:
    """Whether the paragraph of a key cites each of its references in the text (the methods of the registry do;
    an analysis cites its own in its paragraph, but may list more, e.g. the software it follows)."""
    return key not in ANALYSES


def test_default_study_names_every_method_that_ran_and_nothing_else(default_run) -> None:
    used = methods_used(default_run)
    # what the bundled study asks for, from its TOML (independently of the results)
    assert set(study_methods(default_run.spec)) <= set(used) | {"interpolation"}
    for k in ("minmax", "global_entropy", "weighted_sum", *(r.spec.name for r in default_run.records.values())):
        assert k in used, k
    assert all(k in METHOD_KEYS or k in ANALYSES for k in used)  # registry keys only
    for lang in ("en", "zh"):
        md = methods_markdown(default_run, lang)
        for k in used:
            for r in citable(k).refs:
                assert format_reference(r, lang) in md, (k, r)
                if cites_in_text(k):
                    assert get(r).parenthetical(lang) in md, (k, r)
            if k in ANALYSES and ANALYSES[k].methods is not None and citable(k).refs:
                assert any(get(r).parenthetical(lang) in md for r in citable(k).refs), k
        refs_section = md[md.index("## References" if lang == "en" else "## 参考文献"):]
        listed = [line for line in refs_section.splitlines() if line.startswith("- ")]
        assert len(listed) == len({r for k in used for r in citable(k).refs})
        for r in exclusive_refs(used):
            assert format_reference(r, lang) not in md, r
        for rec in default_run.records.values():  # every analysis under its heading, with its settings
            assert f"**{rec.heading(lang)}** (`{rec.name}`; " in md
    md = methods_markdown(default_run, "en")
    body = md[:md.index("## References")]  # reference titles may hold a label (江艇 2022: "…中介效应与调节效应")
    for k in set(ALL_KEYS) - set(used) - {"pooled", "per_year"}:
        assert not mentions(body, k), (k, mentions(body, k))
    for ix in default_run.spec.index:
        assert f"`{ix.name}`" in md and f"`{default_run.results[ix.name].framework.name}`" in md
    assert 'draws = 1000' in md and 'systems = ["nqpf_to_2022", "hqd"]' in md
    assert "## Software" in md and "nqpf 0." in md and "giddy" in md and "linearmodels" in md


def test_default_study_tree_weights_and_years(default_run) -> None:
    md = methods_markdown(default_run, "en")
    for name, res in default_run.results.items():
        w = res.weights.set_index("id")
        for ind in res.framework.indicator_ids:
            assert f"(`{ind}`;" in md
        for dim in res.framework.dimensions:
            g = w.loc[dim, "global_weight"]
            assert re.search(rf"\(`{dim}`\): weight {g:.4f}", md), (name, dim)
        s = res.settings
        assert f"`{name}`: missing-value policy `{s['missing']}`; years {s['years'][0]}–{s['years'][1]}" in md
    zh = methods_markdown(default_run, "zh")
    assert "## 研究方法" not in zh and zh.startswith("# 研究方法")
    assert "全局熵值法" in zh and "极差标准化" in zh and "参考文献" in zh


def test_changing_the_weighting_changes_the_text() -> None:
    a = run_study(spec("global_entropy", analyses={}), "small")
    b = run_study(spec("critic", "topsis", analyses={}), "small")
    ma, mb = methods_markdown(a), methods_markdown(b)
    assert "global entropy weight method" in ma and "Shannon, 1948" in ma and "Fishburn, 1967" in ma
    assert "CRITIC" not in ma and "Diakoulaki" not in ma and "TOPSIS" not in ma
    assert "CRITIC" in mb and "Diakoulaki et al., 1995" in mb and "TOPSIS" in mb and "Hwang" in mb
    for word in ("entropy", "Shannon", "Zeleny", "Fishburn", "weighted sum", "熵"):
        assert word not in mb, word
    assert "CRITIC" in methods_markdown(b, "zh") and "熵" not in methods_markdown(b, "zh")
    assert methods_used(b) == ["minmax", "pooled", "critic", "flat", "topsis", "subindices"]


def test_dropping_an_analysis_drops_its_text_and_reference() -> None:
    both = run_study(spec(analyses={"dagum": {}, "kernel_density": {"bandwidth": "silverman"}}), "small")
    one = run_study(spec(analyses={"kernel_density": {"bandwidth": "silverman"}}), "small")
    off = run_study(spec(analyses={"dagum": {"enabled": False}, "kernel_density": {"bandwidth": "silverman"}}),
                    "small")
    mb, mo, mf = methods_markdown(both), methods_markdown(one), methods_markdown(off)
    assert "Dagum" in mb and "Dagum, C. (1997)" in mb
    assert 'bandwidth = "silverman"' in mb and "bandwidth rule silverman" in mb
    for text in (mo, mf):
        assert "Dagum" not in text and "Gini" not in text and "基尼" not in methods_markdown(one, "zh")
        assert "Rosenblatt" in text and "kernel density" in text
    assert methods_used(one) == methods_used(off)
    assert "dagum" in methods_used(both) and "dagum" not in methods_used(one)


def test_methods_used_from_provenance_json(default_run, tmp_path: Path) -> None:
    prov = default_run.provenance.to_dict()
    (tmp_path / "provenance.json").write_text(json.dumps(prov, ensure_ascii=False, default=str), encoding="utf-8")
    from_file = methods_used(tmp_path)
    assert set(from_file) <= set(methods_used(default_run))
    # analyses from settings["analysis.<name>"], models from settings["model.<label>"]["model"]
    for k in ("global_entropy", "weighted_sum", *(r.spec.name for r in default_run.records.values())):
        assert k in from_file, k
    prov = {"settings": {"a": {"normalization": "zscore", "weighting": "cv", "aggregation": "gra"},
                         "analysis.moran": {}, "analysis.gone": {}, "model.m1": {"model": "regression", "y": "a"}}}
    assert methods_used(prov) == ["zscore", "pooled", "cv", "flat", "gra", "subindices", "moran",
                                  "regression"]


def test_write_methods_md_and_html(default_run, tmp_path: Path) -> None:
    p = write_methods_md(default_run, tmp_path / "out", lang="zh")
    assert p == tmp_path / "out" / "methods.md"
    assert p.read_text(encoding="utf-8") == methods_markdown(default_run, "zh")
    html = methods_html(default_run, "en")
    assert html.startswith('<section class="nqpf-methods">') and html.endswith("</section>")
    assert html.count("<ul>") == html.count("</ul>") and html.count("<li>") == html.count("</li>")
    assert '<span class="math">\\(' in html and "<h2>References</h2>" in html
    assert "<script" not in html


def test_cite_text_bibtex_and_text(default_run, tmp_path: Path) -> None:
    bib = cite_text(default_run)
    keys = re.findall(r"^@\w+\{(\w+),", bib, flags=re.M)
    assert keys[0] == "nqpf"
    used = methods_used(default_run)
    expect = ["nqpf", *dict.fromkeys(r for k in used for r in citable(k).refs)]
    assert keys == expect
    assert bib.count("{") == bib.count("}")
    for k in [k for k in used if citable(k).refs]:  # the header names each cited method by its label
        assert f"%   {citable(k).label[1]}: " in bib, k
    small = cite_text(["critic", "topsis"], fmt="text")
    assert "Diakoulaki" in small and "Hwang" in small and "Shannon" not in small
    assert "  - CRITIC weighting (Diakoulaki et al., 1995)" in small
    zh = cite_text(["dagum"], fmt="text", lang="zh")
    assert "  - 区域差异：Dagum 基尼系数及其分解 (" in zh and "参考文献：" in zh
    entries = re.compile(r"^@\w+\{\w+,.*?^\}", flags=re.M | re.S)
    assert entries.findall(cite_text(None)) == entries.findall(cite_text(load_study()[0]))
    with pytest.raises(ValueError):
        cite_text(["critic"], fmt="ris")
    with pytest.raises(KeyError):
        cite_text(["no_such_method"])


def test_reference_registry_is_consistent() -> None:
    for k in ALL_KEYS:
        m = citable(k)
        for r in m.refs:
            assert r in REFERENCES, (k, r)
        if m.page:
            assert (ROOT / "docs" / "methods" / f"{m.page}.md").exists(), m.page
    for key, r in REFERENCES.items():
        assert r.key == key and r.year > 1900 and r.title and r.authors
        if r.doi:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", r.doi), r.doi
        bib = to_bibtex(r)
        assert bib.startswith(f"@{r.kind}{{{key},") and bib.count("{") == bib.count("}")
    assert format_reference("dagum1997") == (
        "Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality ratio. "
        "Empirical Economics, 22(4), 515–531. https://doi.org/10.1007/BF01205777")
    assert get("wang2021").parenthetical("zh") == "王淑佳等, 2021"
    with pytest.raises(KeyError):
        get("nobody2000")


def test_every_method_page_cites_the_registered_references() -> None:
    """Each method's page (docs/methods) names the authors and year of the references nqpf cites for it."""
    for k in METHOD_KEYS:
        m = citable(k)
        if not m.page:
            continue
        page = (ROOT / "docs" / "methods" / f"{m.page}.md").read_text(encoding="utf-8")
        for r in m.refs:
            ref = get(r)
            name = (ref.authors_en or ref.authors)[0].split(",")[0] if not ref.corporate else ref.authors[0]
            assert name in page and str(ref.year) in page, (m.page, r)
