"""Panel: tidy unit × year data, validated at the door, with an explicit missing-value policy."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.core.errors import DataError, near_matches
from nqpf.core.provenance import Provenance
from nqpf.core.units import provinces, resolve_units, unit_code

#: Text read as an empty cell (compared in lower case); every marker met is counted and noted (never silent).
MISSING_MARKERS = {"", "na", "n/a", "#n/a", "n.a.", "nan", "none", "null", "..", "...", "…", "-", "—", "–", "--",
                   "——", "无", "暂无", "缺失"}
MISSING_POLICIES = ("error", "interpolate", "drop")
_YEAR_RE = re.compile(r"^\s*(\d{4})\s*(年)?\s*$")
_NBS_INDICATOR_RE = re.compile(r"^\s*指标[:：]\s*(.+?)\s*$")
_YEAR_NAMES = ("year", "年份", "年度", "时间")
# 省份 (province) before 地区, which in many files is the region group (东部, 中部 ...)
_UNIT_NAMES = ("unit", "province", "省份", "地区", "region", "city", "城市", "地市", "county", "区县", "县",
               "firm", "stkcd", "证券代码", "股票代码", "企业", "country", "country_iso3", "id")
#: the unit column's names a kind looks for first: a city file often has a province column too
_UNIT_NAMES_OF = {"city": ("city", "城市", "地市"), "county": ("county", "区县", "县"),
                  "firm": ("firm", "stkcd", "证券代码", "股票代码", "企业"), "country": ("country", "country_iso3")}
_DECIMAL_COMMA_RE = re.compile(r"^\s*[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+\s*$")


@dataclass
class Panel:
    """Tidy panel data: index (unit, year), one float column per indicator.

    ``kind`` is a key of :data:`nqpf.core.units.UNIT_KINDS` (province, city, county, firm, country, other);
    ``metadata`` (optional) describes the columns (name, Chinese name, unit, source ...);
    ``provenance`` records the inputs and every changed cell; ``labels`` (optional) holds the text
    columns of the input (industry, province of a city, ST flag …) on the same (unit, year) index, for
    groupings and cleaning steps — they are never indicators.
    """

    data: pd.DataFrame
    name: str = "panel"
    kind: str = "other"
    metadata: pd.DataFrame | None = None
    provenance: Provenance = field(default_factory=Provenance)
    labels: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data.index, pd.MultiIndex) or self.data.index.nlevels != 2:
            raise DataError("Panel data must be indexed by (unit, year)")
        self.data.index = self.data.index.set_names(["unit", "year"])
        dup = self.data.index.duplicated(keep=False)
        if dup.any():
            shown = ", ".join(f"{u} {y}" for u, y in self.data.index[dup][:6])
            raise DataError(f"{self.name}: duplicate unit-years: {shown}")

    # -- views -----------------------------------------------------------------------------
    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.data.index.get_level_values("unit")))

    @property
    def years(self) -> list[int]:
        return sorted(set(int(y) for y in self.data.index.get_level_values("year")))

    @property
    def indicators(self) -> list[str]:
        return [str(c) for c in self.data.columns]

    def to_frame(self) -> pd.DataFrame:
        """The data as a flat table (unit, year, indicators...)."""
        return self.data.reset_index()

    def coverage(self) -> pd.DataFrame:
        """Per indicator: first and last year with data, units with data, and missing cells in that span."""
        rows = []
        years = self.data.index.get_level_values("year")
        for col in self.data.columns:
            s = self.data[col]
            have = s.notna()
            if not have.any():
                rows.append({"indicator": col, "first_year": None, "last_year": None, "units": 0,
                             "missing_in_span": None})
                continue
            y0, y1 = int(years[have].min()), int(years[have].max())
            span = (years >= y0) & (years <= y1)
            rows.append({
                "indicator": col, "first_year": y0, "last_year": y1,
                "units": int(s[have].index.get_level_values("unit").nunique()),
                "missing_in_span": int((~have & span).sum()),
            })
        return pd.DataFrame(rows).set_index("indicator")

    def summary(self) -> str:
        """Units, years, indicators and coverage in a few lines."""
        cov = self.coverage()
        return (f"{self.name}: {len(self.units)} {self.kind}s × {len(self.years)} years "
                f"({self.years[0]}–{self.years[-1]}), {len(self.indicators)} indicators; "
                f"{int(self.data.isna().sum().sum())} empty cells; "
                f"indicators ending before {self.years[-1]}: {int((cov['last_year'] < self.years[-1]).sum())}")

    def select(self, columns: Sequence[str] | None = None, years: Sequence[int] | None = None,
               units: Sequence[str] | None = None) -> Panel:
        """A sub-panel (same provenance)."""
        d = self.data
        if columns is not None:
            missing = [c for c in columns if c not in d.columns]
            if missing:
                raise DataError(f"{self.name}: no column(s) {missing}")
            d = d[list(columns)]
        if years is not None:
            d = d[d.index.get_level_values("year").isin(list(years))]
        if units is not None:
            d = d[d.index.get_level_values("unit").isin(list(units))]
        labels = None if self.labels is None else self.labels[self.labels.index.isin(d.index)].copy()
        return Panel(d.copy(), self.name, self.kind, self.metadata, self.provenance, labels)

    def __repr__(self) -> str:
        return (f"Panel({self.name!r}, units={len(self.units)}, years={len(self.years)}, "
                f"indicators={len(self.indicators)})")


# ---------------------------------------------------------------------------------------------
# missing values


def handle_missing(
    data: pd.DataFrame, policy: str | Sequence[str], provenance: Provenance, *, what: str = "data",
    shown_policy: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Apply a missing-value policy to a frame indexed by (unit, year); record every changed cell.

    ``error``: any empty cell is an error listing them. ``interpolate``: linear in the year within
    each unit's observed span (cells outside the span stay empty). ``drop``: drop unit-years with
    any empty cell. Policies may be chained, e.g. ``["interpolate", "drop"]``; a chain that leaves
    empty cells ends with an error (naming ``shown_policy``, the whole chain, when given).
    """
    steps = [policy] if isinstance(policy, str) else list(policy)
    for p in steps:
        if p not in MISSING_POLICIES:
            raise DataError(f"unknown missing-value policy {p!r}; use one of {MISSING_POLICIES}")
    out = data.copy()
    for p in steps:
        if p == "interpolate":
            out = interpolate_within_span(out, provenance)
        elif p == "drop":
            bad = out.isna().any(axis=1)
            for (u, y), row in out[bad].iterrows():
                empty = [c for c in out.columns if pd.isna(row[c])]
                for c in out.columns:
                    provenance.record_cell(
                        "dropped", u, int(y), c, row[c], None,
                        f"unit-year dropped: no value for {', '.join(map(str, empty))}",
                    )
            out = out[~bad]
    if out.isna().any().any():
        cells = out.isna().stack()
        cells = cells[cells]
        shown = "; ".join(f"{c} at {u} {y}" for (u, y, c) in cells.index[:8])
        more = f" (and {len(cells) - 8} more)" if len(cells) > 8 else ""
        raise DataError(
            f"{what}: {len(cells)} empty cell(s) remain after missing-value policy "
            f"{steps if shown_policy is None else shown_policy}: {shown}{more}. "
            + gap_hint(out)
        )
    return out


def longest_complete_span(values: pd.DataFrame) -> list[int]:
    """The longest run of consecutive years in which no cell is empty (latest run wins ties)."""
    empty = values.isna().any(axis=1).groupby(level="year").any()
    best: list[int] = []
    run: list[int] = []
    for y in sorted(empty.index):
        if not empty[y] and (not run or y == run[-1] + 1):
            run.append(int(y))
        elif not empty[y]:
            run = [int(y)]
        else:
            run = []
        if len(run) >= len(best):
            best = list(run)
    return best


def gap_hint(values: pd.DataFrame) -> str:
    """What to do about the empty cells of a (unit, year) frame — never an option that deletes a unit silently.

    A unit whose name is close to another unit's (苏州 and 苏州市, one per sheet) is two spellings of one
    unit: the hint is a rename map. Otherwise: fill the cells, restrict the years to the longest run with
    complete data, or leave a named unit out explicitly with ``exclude_units`` (recorded in provenance).
    """
    empty = values.isna()
    units = list(dict.fromkeys(values.index.get_level_values("unit")))
    gappy = list(dict.fromkeys(empty.any(axis=1)[lambda s: s].index.get_level_values("unit")))
    have = values.notna().groupby(level="unit").any()  # unit × column: any value at all
    filled = values.notna().groupby(level="unit").sum().sum(axis=1)
    pairs: dict[str, str] = {}
    for u in gappy:
        others = [str(x) for x in units if x != u]
        for v in difflib.get_close_matches(str(u), others, n=3, cutoff=0.6):
            # one unit spelt two ways: the two names hold values in different columns, never in the same one
            if (have.loc[u] & have.loc[v]).any():
                continue
            a, b = (u, v) if (filled.get(v, 0), len(v)) >= (filled.get(u, 0), len(u)) else (v, u)
            if a not in pairs and b not in pairs:
                pairs[a] = b
            break
    out = []
    if pairs:
        shown = ", ".join(f'"{a}" = "{b}"' for a, b in list(pairs.items())[:4])
        cli = " ".join(f"--rename {a}={b}" for a, b in list(pairs.items())[:4])
        out.append(f"The names {', '.join(f'{a} / {b}' for a, b in list(pairs.items())[:4])} look like one unit "
                   f"spelt two ways: map them in the study file, [data] rename = {{ {shown} }} "
                   f"(nqpf measure: {cli}), or rename them in the data")
    span = longest_complete_span(values)
    years = sorted(set(int(y) for y in values.index.get_level_values("year")))
    if span and span != years:
        out.append(f"restrict the years to those with complete data, years = \"{span[0]}-{span[-1]}\" in [[index]] "
                   f"(nqpf measure: --years {span[0]}-{span[-1]}; Python: years=({span[0]}, {span[-1]}))")
    paired = set(pairs) | set(pairs.values())
    rest = [u for u in gappy if u not in paired]  # two spellings of one unit are renamed, never excluded
    if rest:
        names = ", ".join(f'"{u}"' for u in rest[:3])
        cli = " ".join(f"--exclude-units {u}" for u in rest[:3])
        out.append(f"fill the empty cells in the data, or leave a unit out explicitly (recorded in provenance) with "
                   f"exclude_units = [{names}] in [[index]] (nqpf measure: {cli})")
    return ("; ".join(out) + ".") if out else ""


def interpolate_within_span(data: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    """Linear interpolation in the calendar year within each unit's observed span (never extrapolated).

    Vectorised on a year × unit matrix per indicator (for every empty cell the nearest observed years before and
    after it in the same unit), so the cost grows with the cells, not with units × rows. Every filled cell is
    recorded in ``provenance``.
    """
    empty = data.isna().to_numpy()
    out = data.copy()
    if not empty.any():
        return out
    ucode, _units = pd.factorize(data.index.get_level_values("unit"))
    yvals = data.index.get_level_values("year").to_numpy(dtype=float)
    years = np.unique(yvals)
    ycode = np.searchsorted(years, yvals)
    n_t, n_u = len(years), int(ucode.max()) + 1
    steps = np.arange(n_t)[:, None]
    for j, col in enumerate(data.columns):
        if not empty[:, j].any():
            continue
        m = np.full((n_t, n_u), np.nan)
        m[ycode, ucode] = data[col].to_numpy(dtype=float)
        have = ~np.isnan(m)
        prev = np.maximum.accumulate(np.where(have, steps, -1), axis=0)
        nxt = np.minimum.accumulate(np.where(have, steps, n_t)[::-1], axis=0)[::-1]
        rows = np.flatnonzero(empty[:, j])
        t, u = ycode[rows], ucode[rows]
        p, q = prev[t, u], nxt[t, u]
        inside = (p >= 0) & (q < n_t)
        if not inside.any():
            continue
        rows, t, u, p, q = rows[inside], t[inside], u[inside], p[inside], q[inside]
        y0, y1 = years[p], years[q]
        v = m[p, u] + (m[q, u] - m[p, u]) * (years[t] - y0) / (y1 - y0)
        out.iloc[rows, j] = v
        for r, val in zip(rows, v, strict=True):
            unit, year = data.index[r]
            provenance.record_cell("imputed", unit, int(year), str(col), None, float(val),
                                   "linear interpolation between the unit's neighbouring years")
    return out


# ---------------------------------------------------------------------------------------------
# reading


def read_panel(
    path: str | Path,
    *,
    unit: str | None = None,
    year: str | None = None,
    layout: str = "auto",
    sheet: str | int | None = None,
    drop: Sequence[str] = (),
    kind: str | None = None,
    name: str | None = None,
    metadata: pd.DataFrame | None = None,
    labels: Sequence[str] = (),
    rename: dict[str, str] | None = None,
) -> Panel:
    """Read a panel from CSV, Excel (.xlsx/.xls) or Stata (.dta), long or wide.

    Long: one row per unit-year, a unit column, a year column and one column per indicator.
    Wide (yearbook style, e.g. NBS 分省年度数据 exports): one table per indicator (an Excel sheet
    or a CSV file) with units as rows and years as columns; the indicator name is the sheet name,
    or the ``指标：`` line of an NBS export. ``kind="province"`` matches province names through
    the alias table (内蒙古自治区, Inner Mongolia, 150000 → 内蒙古); every kind resolves its unit names through
    :func:`nqpf.core.units.resolve_units` (苏州 → 苏州市, 襄樊市 → 襄阳市, firm code 1 → 000001, China → CHN),
    after the ``rename`` map (old name → name, the study file's ``[data] rename``); each change is a provenance
    note.

    ``sheet`` reads one sheet of a workbook (its name or 0-based position); without it every sheet is
    read, and blank sheets and sheets that hold no data (a 说明/notes sheet, a cover page: no year
    column and no years in the header row) are skipped with a note in the panel's provenance.
    ``labels`` names text columns kept as :attr:`Panel.labels` (industry, province of a city …) rather
    than indicators. Missing-value markers ("—", "-", "N/A", "..", "无" …) are read as empty cells and
    counted per column in the provenance notes. An empty file, a header without data rows or a
    workbook with no data sheet is a :class:`DataError` naming the file and sheet.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    suffix = p.suffix.lower()
    prov = Provenance()
    prov.add_input(name or p.stem, p)
    value_labels: dict[str, pd.Series] = {}
    chosen = sheet is not None
    if suffix == ".dta":
        tables = {None: pd.read_stata(p, convert_categoricals=False)}
        try:  # value labels, used for the unit column only (labelled indicators stay numeric codes)
            lab = pd.read_stata(p, convert_categoricals=True)
            value_labels = {str(c): lab[c] for c in lab.columns if isinstance(lab[c].dtype, pd.CategoricalDtype)}
        except ValueError:  # labels that are not unique: keep the codes
            value_labels = {}
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        tables = _read_book(p, sheet)
    elif suffix in (".csv", ".txt", ".tsv"):
        tables = {None: _read_csv_raw(p)}
    else:
        raise DataError(f"{p}: unsupported file type {suffix!r}; use .csv, .xlsx, .xls or .dta")

    frames = []
    frame_sheets: list[Any] = []
    unit_kind = kind or "other"
    reading = _Reading(list(labels))
    raw_names: set[str] = set()
    skipped: list[tuple[Any, str]] = []
    single = len(tables) == 1 and not chosen
    for sheet_name, raw in tables.items():
        reading.sheet = None if sheet_name is None else str(sheet_name)
        src = f"{p}" + (f" [sheet {sheet_name}]" if sheet_name is not None else "")
        why = _empty(raw, typed=suffix == ".dta", what="file" if sheet_name is None else "sheet")
        if why is not None and (sheet_name is None or chosen or single):
            raise DataError(f"{src}: {why}")
        if why is None and sheet_name is not None and not chosen and not single:
            why = _no_years(raw, year, layout)
        if why is not None:
            skipped.append((sheet_name, why))
            continue
        lay = layout if layout != "auto" else _guess_layout(raw, unit, year)
        if lay == "long":
            table = _long_table(raw, src, unit, year, drop, suffix == ".dta", value_labels, reading, kind)
        elif lay == "wide":
            table = _wide_table(raw, src, sheet_name, p.stem, reading)
        else:
            raise DataError(f"{src}: unknown layout {lay!r}; use 'long', 'wide' or 'auto'")
        raw_names.update(str(u) for u in table.index.get_level_values("unit"))
        frames.append(_match_units(table, src, unit_kind, rename, prov))
        frame_sheets.append(sheet_name)
    if not frames:
        hint = ("" if all("empty" in why for _s, why in skipped) else
                "; name the year column with year=... (year = \"...\" in [data]) or choose a sheet with sheet=...")
        raise DataError(f"{p}: no sheet holds panel data: " + "; ".join(f"sheet {n} ({why})" for n, why in skipped)
                        + hint)
    for n, why in skipped:
        prov.note(f"{p.name}: sheet {n} skipped ({why})")
    for k, v in (rename or {}).items():  # a rename that matched nothing is said, never silently ignored
        if str(k) not in raw_names:
            prov.note(f"{p.name}: [data] rename {k!r} = {v!r} matched no unit")
    missing_labels = [c for c in reading.labels if c not in reading.seen_labels]
    if missing_labels:
        raise DataError(f"{p}: label column(s) {missing_labels} not found; columns are {reading.columns[:12]}")
    data = frames[0]
    for i, f in enumerate(frames[1:], start=1):
        overlap = [c for c in f.columns if c in data.columns]
        if overlap:
            first = next(frame_sheets[j] for j in range(i) if overlap[0] in frames[j].columns)
            raise DataError(f"{p}: indicator(s) {overlap} appear in more than one sheet (sheets {first} and "
                            f"{frame_sheets[i]}); read one of them with sheet=... (sheet = \"{frame_sheets[i]}\" in "
                            "[data]), or keep each indicator in one sheet")
        data = data.join(f, how="outer")
    data = _sorted(data, unit_kind)
    text = None
    if reading.labels:
        text = data[reading.labels].astype("string")
        data = data.drop(columns=reading.labels).astype("float64")
    prov.notes.extend(reading.marker_notes(p.name))
    prov.settings["reading"] = {
        "file": p.name,
        "skipped_sheets": [{"sheet": str(n), "reason": why} for n, why in skipped],
        "markers": [{"sheet": sh, "column": col, "marker": m, "cells": k}
                    for (sh, col, m), k in reading.markers.items()],
    }
    return Panel(data, name or p.stem, unit_kind, metadata, prov, text)


def raw_cells(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """The cells of a CSV file, a workbook sheet (name or 0-based position; default the first) or a .dta file as
    :func:`read_panel` reads them, before it looks for the header: row ``i`` is line ``i + 1`` of the file (the
    row number Excel shows, and the ``line`` read_panel's messages name). A .dta file's first row holds its
    variable names.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("unit,year,x\\n北京,2019,1\\n", encoding="utf-8")
    >>> raw_cells(p).iloc[1].tolist()
    ['北京', '2019', '1']
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix == ".dta":
        df = pd.read_stata(p, convert_categoricals=False)
        return pd.DataFrame([list(df.columns), *df.astype(object).to_numpy().tolist()], dtype=object)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return next(iter(_read_book(p, 0 if sheet is None else sheet).values()))
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv_raw(p)
    raise DataError(f"{p}: unsupported file type {suffix!r}; use .csv, .xlsx, .xls or .dta")


@dataclass
class _Reading:
    """What one read met on the way: the label columns asked for and seen, missing markers per column."""

    labels: list[str]
    seen_labels: set[str] = field(default_factory=set)
    columns: list[str] = field(default_factory=list)
    #: the sheet being read (None for a file of one table)
    sheet: str | None = None
    #: (sheet, column, marker) -> cells
    markers: dict[tuple[str | None, str, str], int] = field(default_factory=dict)

    def count_markers(self, text: pd.Series, column: str) -> None:
        """Count the non-blank missing markers of one column (blank cells are not markers)."""
        hit = text.str.lower().isin(MISSING_MARKERS) & (text != "")
        for marker, n in text[hit].value_counts().items():
            key = (self.sheet, column, str(marker))
            self.markers[key] = self.markers.get(key, 0) + int(n)

    def marker_notes(self, fname: str) -> list[str]:
        return [f"{fname}{'' if sh is None else f' [sheet {sh}]'}: {n} cell{'s' if n > 1 else ''} marked "
                f"{marker!r} read as empty in column {col!r}" for (sh, col, marker), n in self.markers.items()]


def _read_book(p: Path, sheet: str | int | None) -> dict[Any, pd.DataFrame]:
    """The sheets of a workbook as raw cells (one chosen sheet, by name or 0-based position, or all)."""
    try:
        book = pd.ExcelFile(p)
    except Exception as exc:  # zip/xml errors of a damaged or mislabelled file
        raise DataError(f"{p}: cannot read the workbook: {exc}") from None
    with book:
        names = list(book.sheet_names)
        if not names:
            raise DataError(f"{p}: the workbook has no sheets")
        if sheet is None:
            chosen = names
        elif isinstance(sheet, str) and sheet in names:
            chosen = [sheet]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()):
            i = int(sheet)
            if not 0 <= i < len(names):
                raise DataError(f"{p}: no sheet {i} (sheets are numbered from 0); the sheets are "
                                + ", ".join(f"{k}: {n}" for k, n in enumerate(names)))
            chosen = [names[i]]
        else:
            raise DataError(f"{p}: no sheet {sheet!r}{near_matches(str(sheet), names)}; the sheets are "
                            + ", ".join(f"{k}: {n}" for k, n in enumerate(names)))
        # only blank cells are NaN: "NA", "N/A", "null" stay text, so that they are counted as markers
        return {n: pd.read_excel(book, sheet_name=n, header=None, dtype=object, keep_default_na=False, na_values=[""])
                for n in chosen}


def _blank(raw: pd.DataFrame) -> bool:
    return raw.size == 0 or all(_text(c) == "" for c in raw.to_numpy().ravel())


def _empty(raw: pd.DataFrame, typed: bool, what: str = "file") -> str | None:
    """Why a table holds no rows (None when it has some): an empty file or sheet, a header without rows."""
    if typed:
        return "the file has a header but no data rows" if len(raw) == 0 else None
    if _blank(raw):
        return f"the {what} is empty"
    h = _header_row(raw)
    body = raw.iloc[h + 1:]
    if body.empty or _blank(body):
        header = ", ".join(c for c in (_text(v) for v in raw.iloc[h].tolist()) if c)
        return f"only a header row ({header[:120]}), no data rows"
    return None


def _no_years(raw: pd.DataFrame, year: str | None, layout: str) -> str | None:
    """Why a sheet of a workbook is not a data sheet (a 说明/notes sheet, a cover page), or None."""
    if layout != "auto":
        return None
    header = [_text(c) for c in raw.iloc[_header_row(raw)].tolist()]
    if (year is not None and year in header) or sum(bool(_YEAR_RE.match(c)) for c in header) >= 2:
        return None
    if {c.lower() for c in header} & set(_YEAR_NAMES):
        return None
    return "no year column and no years in the header row: not a data sheet"


def _sorted(data: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rows by unit then year; provinces, cities and counties in GB/T 2260 code order (北京, 天津, 河北 …), others
    by name."""
    if kind not in ("province", "city", "county"):
        return data.sort_index()
    if kind == "province":
        order = {n: i for i, n in enumerate(provinces().sort_values("code")["name_zh"])}
    else:
        order = {u: int(unit_code(u, kind) or 999999) for u in dict.fromkeys(data.index.get_level_values("unit"))}
    keys = [(order.get(u, 10**9), str(u), int(y)) for u, y in data.index]
    return data.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


def _read_csv_raw(p: Path) -> pd.DataFrame:
    """Read a CSV as text cells, trying UTF-8 then GBK (NBS exports are GBK); ragged rows are padded."""
    import csv
    import io

    raw = p.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError(f"{p}: not UTF-8 or GBK text")
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    if p.suffix.lower() == ".tsv":
        delim = "\t"
    elif counts["\t"] > counts[","] or counts[";"] > counts[","]:
        delim = "\t" if counts["\t"] >= counts[";"] else ";"
    else:
        delim = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    if delim == ";":
        # ';'-separated files (European locales) write the decimal mark as ',' (and may group thousands
        # with '.'): 1,5 is 1.5 and 1.234,25 is 1234.25, not 15 and an error
        rows = [[_DECIMAL_COMMA_RE.sub(lambda m: m.group(0).replace(".", "").replace(",", "."), c) for c in r]
                for r in rows]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _guess_layout(raw: pd.DataFrame, unit: str | None, year: str | None) -> str:
    if raw.shape[0] == 0:
        return "long"
    header = _header_row(raw)
    cells = [_text(c) for c in raw.iloc[header].tolist()]
    if year is not None and year in cells:
        return "long"
    years = sum(bool(_YEAR_RE.match(c)) for c in cells[1:])
    return "wide" if years >= 2 and years >= len(cells) // 2 else "long"


def _text(cell: Any) -> str:
    """A cell as stripped text; empty for None/NaN (Excel gives NaN for empty cells)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return str(cell).replace("\ufeff", "").strip()  # a byte-order mark left in a cell by a converted file


def _header_row(raw: pd.DataFrame) -> int:
    """The first row that looks like a header (for NBS exports, the row after 数据库/指标/时间 lines)."""
    for i in range(min(len(raw), 10)):
        first = _text(raw.iat[i, 0])
        rest = [_text(c) for c in raw.iloc[i, 1:].tolist()]
        if first.startswith(("数据库", "指标", "时间")) and not any(rest):
            continue
        return i
    return 0


def _long_table(raw: pd.DataFrame, src: str, unit: str | None, year: str | None,
                drop: Sequence[str], typed: bool, labels: dict[str, pd.Series] | None = None,
                reading: _Reading | None = None, kind: str | None = None) -> pd.DataFrame:
    if typed:
        df = raw.copy()
        first_line = 2
    else:
        h = _header_row(raw)
        df = raw.iloc[h + 1:].copy()
        df.columns = [_text(c) for c in raw.iloc[h].tolist()]
        first_line = h + 2
        blank = [j for j, c in enumerate(df.columns) if c == ""]
        for j in blank:
            filled = [i for i, v in enumerate(df.iloc[:, j].tolist()) if _text(v)]
            if filled:
                raise DataError(f"{src}: column {j + 1} has no header but has data (line {first_line + filled[0]}); "
                                "give it a name or delete it")
        df = df.iloc[:, [j for j in range(df.shape[1]) if j not in set(blank)]]
    cols = list(df.columns)
    dups = list(dict.fromkeys(c for c in cols if cols.count(c) > 1))
    if dups:
        raise DataError(f"{src}: column(s) {dups} appear more than once; rename or delete the copies")
    df = df.drop(columns=[c for c in drop if c in cols and c not in (unit, year)])  # before guessing unit/year
    cols = list(df.columns)
    unit = unit or _pick(cols, (*_UNIT_NAMES_OF.get(kind or "", ()), *_UNIT_NAMES), src)
    year = year or _pick(cols, _YEAR_NAMES, src)
    for c in (unit, year):
        if c not in cols:
            raise DataError(f"{src}: no column {c!r}; columns are {cols[:12]}")
    ucol = df[unit]
    if labels and unit in labels:
        lab = labels[unit].astype(object)
        ucol = lab.where(lab.notna(), ucol)
    # whole-number codes stored as floats (110000.0) are codes, not '110000.0'
    units = pd.Series([_text(int(v)) if isinstance(v, float) and v.is_integer() else _text(v) for v in ucol],
                      index=df.index)
    if (units == "").any():
        i = int(np.flatnonzero((units == "").to_numpy())[0])
        raise DataError(f"{src}, line {first_line + i}, column {unit!r}: empty unit name")
    years = _parse_years(df[year], src, year, first_line)
    body = df.drop(columns=[unit, year])
    body.index = pd.MultiIndex.from_arrays([units.to_numpy(), years], names=["unit", "year"])
    dup = body.index.duplicated(keep=False)
    if dup.any():
        lines = np.flatnonzero(dup) + first_line
        shown = ", ".join(f"{u} {y} (line {ln})" for (u, y), ln in zip(body.index[dup][:6], lines[:6], strict=False))
        raise DataError(f"{src}: duplicate unit-years: {shown}")
    reading = reading or _Reading([])
    reading.columns += [str(c) for c in cols if str(c) not in reading.columns]
    text_cols = [c for c in body.columns if str(c) in reading.labels]
    reading.seen_labels.update(str(c) for c in text_cols)
    out = _to_numeric(body.drop(columns=text_cols), src, first_line, reading)
    for c in text_cols:
        out[str(c)] = pd.Series([_text(v) or None for v in body[c].tolist()], index=body.index, dtype=object)
    return out


def _pick(cols: list[str], candidates: Sequence[str], src: str) -> str:
    low = {str(c).lower(): c for c in cols}
    for cand in candidates:
        if cand in low:
            return low[cand]
    raise DataError(f"{src}: cannot tell which column is {candidates[0]!r}; columns are {cols[:12]}; "
                    f"pass unit=... and year=...")


def _parse_years(col: pd.Series, src: str, name: str, first_line: int) -> np.ndarray:
    out = np.empty(len(col), dtype=np.int64)
    for i, v in enumerate(col.tolist()):
        if isinstance(v, (int, np.integer)) or (isinstance(v, float) and float(v).is_integer()):
            out[i] = int(v)
            continue
        m = _YEAR_RE.match(str(v))
        if not m:
            raise DataError(f"{src}, line {first_line + i}, column {name!r}: {v!r} is not a year")
        out[i] = int(m.group(1))
    return out


def _to_numeric(body: pd.DataFrame, src: str, first_line: int, reading: _Reading | None = None) -> pd.DataFrame:
    """Convert every cell to float; a cell that is neither a number nor a missing marker is an error.

    A column with no number at all is text: an error whose hint keeps it as a label column.
    """
    out = {}
    for col in body.columns:
        s = body[col]
        if pd.api.types.is_numeric_dtype(s):
            out[str(col)] = s.astype("float64").to_numpy()
            continue
        text = s.astype(str).str.strip().str.replace(",", "", regex=False)
        empty = s.isna().to_numpy()
        text = text.where(~empty, "")
        miss = text.str.lower().isin(MISSING_MARKERS)
        num = pd.to_numeric(text.where(~miss), errors="coerce")
        bad = num.isna() & ~miss
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            u, y = body.index[i]
            if num.isna().all():
                raise DataError(
                    f"{src}, column {col!r}: holds text, not numbers (e.g. {s.iloc[i]!r} at line {first_line + i}, "
                    f"{u} {y}); if it is a label such as an industry or a province, keep it as a label column: "
                    f'labels = ["{col}"] in [data] of the study file (nqpf measure: --labels {col}; Python: '
                    f'read_panel(..., labels=["{col}"])), or delete the column')
            raise DataError(
                f"{src}, line {first_line + i}, column {col!r} ({u} {y}): {s.iloc[i]!r} is not a number"
                + (f" ({int(bad.sum())} such cells in this column)" if bad.sum() > 1 else "")
            )
        if reading is not None:
            reading.count_markers(text, str(col))
        out[str(col)] = num.astype("float64").to_numpy()
    return pd.DataFrame(out, index=body.index)


def _wide_table(raw: pd.DataFrame, src: str, sheet_name: Any, stem: str,
                reading: _Reading | None = None) -> pd.DataFrame:
    """One indicator: units in rows, years in columns (NBS export layout)."""
    indicator = None
    for i in range(min(len(raw), 6)):
        m = _NBS_INDICATOR_RE.match(_text(raw.iat[i, 0]))
        if m:
            indicator = m.group(1)
    indicator = indicator or (str(sheet_name) if sheet_name is not None else stem)
    h = _header_row(raw)
    header = [_text(c) for c in raw.iloc[h].tolist()]
    year_cols = {j: int(_YEAR_RE.match(c).group(1)) for j, c in enumerate(header) if _YEAR_RE.match(c)}
    if not year_cols:
        raise DataError(f"{src}: no year columns found in the header row {header[:8]}")
    rows = []
    for i in range(h + 1, len(raw)):
        label = _text(raw.iat[i, 0])
        if not label or label.startswith(("数据来源", "注", "Source", "Note")):
            continue
        for j, y in year_cols.items():
            rows.append((label, y, raw.iat[i, j], i + 1))
    long = pd.DataFrame(rows, columns=["unit", "year", indicator, "_line"])
    long.index = pd.MultiIndex.from_arrays([long["unit"], long["year"]], names=["unit", "year"])
    dup = long.index.duplicated(keep=False)
    if dup.any():
        lines = long["_line"].to_numpy()[dup]
        shown = ", ".join(f"{u} {y} (line {ln})" for (u, y), ln in zip(long.index[dup][:6], lines[:6], strict=False))
        raise DataError(f"{src}: duplicate unit-years: {shown}")
    vals = _to_numeric_lines(long[indicator], long["_line"].to_numpy(), src, indicator, reading)
    return vals.to_frame()


def _to_numeric_lines(s: pd.Series, lines: np.ndarray, src: str, col: str,
                      reading: _Reading | None = None) -> pd.Series:
    text = s.astype(str).str.strip().str.replace(",", "", regex=False)
    text = text.where(~s.isna().to_numpy(), "")
    miss = text.str.lower().isin(MISSING_MARKERS)
    num = pd.to_numeric(text.where(~miss), errors="coerce")
    bad = num.isna() & ~miss
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        u, y = s.index[i]
        raise DataError(f"{src}, line {lines[i]}, column {y} ({u}, indicator {col!r}): "
                        f"{s.iloc[i]!r} is not a number")
    if reading is not None:
        reading.count_markers(text, col)
    return num.astype("float64").rename(col)


def _match_units(data: pd.DataFrame, path: Path | str, kind: str, rename: dict[str, str] | None,
                 prov: Provenance) -> pd.DataFrame:
    """Resolve the unit names of one table to canonical ids of ``kind`` (after ``rename``); note every change."""
    names = data.index.get_level_values("unit")
    years = data.index.get_level_values("year")
    distinct = list(dict.fromkeys(names))
    if kind == "other" and not rename:
        return data
    by_name = pd.Series(np.asarray(years), index=np.asarray(names, dtype=object)).groupby(level=0).agg(list)
    res = resolve_units(distinct, kind, rename=rename, where=str(path),
                        years={str(k): [int(y) for y in v] for k, v in by_name.items()}, unique=False)
    mapping = dict(zip(distinct, res.ids, strict=True))
    _note_changes(res.changes, str(path), prov)
    new = pd.MultiIndex.from_arrays([names.map(mapping), years], names=["unit", "year"])
    if new.duplicated().any():
        u, y = new[new.duplicated()][0]
        same = list(dict.fromkeys(n for n in names[(new.get_level_values(0) == u) & (new.get_level_values(1) == y)]))
        spelled = " and ".join(f"'{n}'" for n in same)
        raise DataError(f"{path}: {spelled} both map to the same {kind}-year {u} {y}; "
                        f"keep one row per {kind} and year (spell the unit one way)")
    out = data.copy()
    out.index = new
    return out


def _note_changes(changes: list[tuple[str, str, str]], where: str, prov: Provenance) -> None:
    """One provenance note per resolved name; reasons shared by many names (zero-padded codes) in one note."""
    by_why: dict[str, list[tuple[str, str]]] = {}
    for old, new, why in changes:
        by_why.setdefault(why, []).append((old, new))
    for why, pairs in by_why.items():
        if len(pairs) == 1 and why.startswith(pairs[0][0]):
            prov.note(f"{where}: unit {why}")
            continue
        shown = ", ".join(f"{a} → {b}" for a, b in pairs[:8]) + (f" … ({len(pairs)} in all)" if len(pairs) > 8 else "")
        prov.note(f"{where}: unit names {shown}: {why}")
