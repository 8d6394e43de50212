"""The nqpf command line: run studies, measure your own data, list datasets and frameworks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nqpf.core.errors import NqpfError
from nqpf.core.units import UNIT_KINDS, kind_words

app = typer.Typer(
    help="nqpf — measure and analyse new quality productive forces (新质生产力) and high-quality development.",
    no_args_is_help=True, add_completion=False,
)
datasets_app = typer.Typer(help="Bundled datasets: list them, or show one's indicator table.")
frameworks_app = typer.Typer(help="Bundled frameworks (indicator systems): list them, or show one's tree.")
app.add_typer(datasets_app, name="datasets")
app.add_typer(frameworks_app, name="frameworks")
console = Console()


def _fail(exc: Exception) -> None:
    from rich.markup import escape

    # escape: messages name things like [analyses.x] or [sheet s], which rich would take for markup
    console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False, markup=True)
    raise typer.Exit(code=2)


def _default_outdir(name: str) -> Path:
    return Path("out") / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"


@app.command()
def run(
    study: Annotated[Path | None, typer.Argument(help="Study TOML file; the bundled default study if omitted.")] = None,
    outdir: Annotated[Path | None, typer.Option("-o", "--outdir", help="Output folder.")] = None,
    lang: Annotated[str | None, typer.Option(help="Labels and text: zh or en (default: the study's).")] = None,
) -> None:
    """Run a study: measure every index, run the analyses, write tables, workbook and provenance."""
    from nqpf.output import run_summary, write_run
    from nqpf.study import load_study, run_study

    try:
        spec, source = load_study(study)
        with console.status("running") as status:
            run_ = run_study(spec, source, base=study.parent if study else None,
                             progress=lambda m: status.update(f"[bold]{m}"))
            out = outdir or _default_outdir(spec.name)
            status.update("writing outputs")
            use_lang = lang or spec.output.lang
            try:
                write_run(run_, out, excel=spec.output.excel, lang=use_lang,
                          progress=lambda m: status.update(f"[bold]{m}"))
            except OSError as exc:
                raise NqpfError(f"cannot write the outputs to {out}: {exc}") from exc
    except NqpfError as exc:
        _fail(exc)
    console.print(run_summary(run_, lang=use_lang, full=False), highlight=False, markup=False)
    console.print(f"\n[bold green]wrote[/] {out} (full summary of every analysis: {out / 'summary.txt'})")


@app.command()
def measure(
    data: Annotated[Path, typer.Option(help="Panel file: CSV, Excel or Stata .dta (long or wide).")],
    framework: Annotated[str, typer.Option(help="Framework YAML file or bundled framework name.")],
    unit: Annotated[str | None, typer.Option(help="Unit column (long layout).")] = None,
    year: Annotated[str | None, typer.Option(help="Year column (long layout).")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Kind of unit: {', '.join(UNIT_KINDS)} ('province' matches "
                                                  "Chinese province names).")] = None,
    sheet: Annotated[str | None, typer.Option(help="The workbook sheet to read (name or 0-based position); "
                                                   "default: every data sheet.")] = None,
    labels: Annotated[list[str] | None, typer.Option(
        "--labels", help="A text column kept as a label (industry, province …), not an indicator; repeatable.")] = None,
    rename: Annotated[list[str] | None, typer.Option(
        "--rename", help="FROM=TO: a spelling of a unit and the name to use (苏州=苏州市); repeatable.")] = None,
    exclude_units: Annotated[list[str] | None, typer.Option(
        "--exclude-units", help="A unit to leave out (recorded in provenance); repeatable.")] = None,
    years: Annotated[str, typer.Option(help="'auto', 'all', or FIRST-LAST.")] = "auto",
    missing: Annotated[str, typer.Option(help="error, interpolate or drop (comma-chain allowed).")] = "interpolate",
    normalization: Annotated[str | None, typer.Option(help="minmax (default), zscore or vector.")] = None,
    scope: Annotated[str | None, typer.Option(help="pooled (default; comparable across years) or per_year.")] = None,
    weighting: Annotated[str | None, typer.Option(help="global_entropy (default), entropy, critic, cv, sd, "
                                                       "independence, equal, ahp, combined.")] = None,
    aggregation: Annotated[str | None, typer.Option(help="weighted_sum (default), topsis or gra.")] = None,
    outdir: Annotated[Path | None, typer.Option("-o", "--outdir")] = None,
) -> None:
    """Measure an index on your own data with your own (or a bundled) framework."""
    from nqpf.output import run_summary, write_run
    from nqpf.study import run_study
    from nqpf.study.spec import DataSpec, IndexSpec, StudySpec

    yrs: str | list[int] | None = years  # 'auto', 'all' or 'FIRST-LAST', checked by the study
    methods = {k: v for k, v in (("normalization", normalization), ("scope", scope), ("weighting", weighting),
                                 ("aggregation", aggregation)) if v is not None}  # defaults: MeasureSettings
    try:
        spec = StudySpec(
            name=Path(data).stem,
            data=DataSpec(path=str(data), unit=unit, year=year, kind=kind, sheet=sheet, labels=labels or [],
                          rename=_pairs(rename or [])),
            index=[IndexSpec(name="index", framework=framework, years=yrs, exclude_units=exclude_units or [],
                             missing=missing.split(",") if "," in missing else missing, **methods)],
        )
        run_ = run_study(spec, source=str(data))
        out = outdir or _default_outdir(spec.name)
        try:
            write_run(run_, out)
        except OSError as exc:
            raise NqpfError(f"cannot write the outputs to {out}: {exc}") from exc
    except NqpfError as exc:
        _fail(exc)
    except ValueError as exc:  # pydantic validation of the options
        _fail(exc)
    console.print(run_summary(run_), highlight=False, markup=False)
    console.print(f"\n[bold green]wrote[/] {out}")


def _pairs(items: list[str]) -> dict[str, str]:
    """--rename FROM=TO items as a mapping."""
    out = {}
    for item in items:
        a, eq, b = item.partition("=")
        if not eq or not a.strip() or not b.strip():
            raise typer.BadParameter(f"--rename {item!r}: expected FROM=TO, e.g. --rename 苏州=苏州市")
        out[a.strip()] = b.strip()
    return out


@app.command()
def cite(
    source: Annotated[str | None, typer.Argument(
        help="A run's output folder, its provenance.json, or a study TOML; the default study if omitted.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="bibtex or text")] = "bibtex",
    lang: Annotated[str, typer.Option(help="en or zh (text format)")] = "en",
) -> None:
    """Print how to cite nqpf and the methods used (BibTeX by default)."""
    from nqpf.cite import cite_text

    try:
        typer.echo(cite_text(source, fmt=fmt, lang=lang))
    except (NqpfError, ValueError, KeyError) as exc:
        _fail(exc)


@app.command("app")
def app_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on; this computer only (127.0.0.1) unless "
                                           "--allow-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 takes a free one.")] = 8050,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open the browser.")] = False,
    lang: Annotated[str, typer.Option(help="Language of the page: zh or en.")] = "zh",
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Listen on a non-loopback address (anyone who reaches the port can upload files "
                               "and run studies on this computer).")] = False,
) -> None:
    """Start the workbench (工作台): the whole tool in the browser, offline, your data never leave this computer."""
    from nqpf.app.main import serve

    try:
        serve(host, port, open_browser=not no_browser, lang=lang, allow_remote=allow_remote)
    except NqpfError as exc:
        _fail(exc)


@datasets_app.callback(invoke_without_command=True)
def datasets(ctx: typer.Context) -> None:
    """List the bundled datasets with units, years and coverage."""
    if ctx.invoked_subcommand is not None:
        return
    from nqpf.datasets import DATASETS, load_dataset

    t = Table(title="bundled datasets")
    t.add_column("name", no_wrap=True, min_width=15)
    for c in ("title", "units", "years", "indicators", "empty cells"):
        t.add_column(c, overflow="fold")
    for name, spec in DATASETS.items():
        p = load_dataset(name)
        total = p.data.size
        empty = int(p.data.isna().sum().sum())
        t.add_row(name, spec["title"], kind_words(p.kind, "en").count(len(p.units)), f"{p.years[0]}–{p.years[-1]}",
                  str(len(p.indicators)), f"{empty} of {total} ({100 * empty / total:.0f}%)")
    console.print(t)
    console.print("Details: nqpf datasets show NAME")


@datasets_app.command("show")
def datasets_show(
    name: str,
    csv: Annotated[bool, typer.Option("--csv", help="Print the table as CSV (one line per series).")] = False,
) -> None:
    """Print a dataset's series: name, Chinese name or code, unit, years, units with data, source."""
    from nqpf.datasets import indicator_table, load_dataset, series_sources

    try:
        meta = indicator_table(name)
        panel = load_dataset(name)
        sources = series_sources(name)
    except NqpfError as exc:
        _fail(exc)
    cov = panel.coverage()
    second = "chinese_name" if "chinese_name" in meta.columns else "description"
    heads = ("name", second, "unit", "years", kind_words(panel.kind, "en").units, "source")
    rows = []
    for row in meta.itertuples(index=False):
        c = cov.loc[row.name]
        rows.append((row.name, getattr(row, second), row.unit, f"{c.first_year}–{c.last_year}", str(c.units),
                     sources.get(row.name, "")))
    if csv:
        import pandas as pd

        typer.echo(pd.DataFrame(rows, columns=heads).to_csv(index=False, lineterminator="\n"), nl=False)
        return
    t = Table(title=name)
    for c in heads:  # names, years and counts whole; the text columns wrap
        t.add_column(c, no_wrap=c in ("name", "years", heads[4]), overflow="fold")
    for r in rows:
        t.add_row(*r)
    console.print(t)


@frameworks_app.callback(invoke_without_command=True)
def frameworks(ctx: typer.Context) -> None:
    """List the bundled frameworks."""
    if ctx.invoked_subcommand is not None:
        return
    from nqpf.core.framework import BUNDLED_FRAMEWORKS, load_framework

    t = Table(title="bundled frameworks")
    for c in ("name", "title", "dimensions", "indicators"):
        t.add_column(c)
    for name in BUNDLED_FRAMEWORKS:
        try:
            fw = load_framework(name)
        except NqpfError as exc:
            t.add_row(name, f"[red]{exc}", "", "")
            continue
        t.add_row(name, f"{fw.title_zh} / {fw.title_en}", str(len(fw.dimensions)), str(len(fw.indicators)))
    console.print(t)


@frameworks_app.command("show")
def frameworks_show(name: str, lang: Annotated[str, typer.Option()] = "en") -> None:
    """Print a framework's tree."""
    from nqpf.core.framework import load_framework

    try:
        fw = load_framework(name)
    except NqpfError as exc:
        _fail(exc)
    for it in fw.items:
        pad = "  " * it.level
        item = it.item
        extra = ""
        if it.kind == "indicator":
            extra = f"  [{item.direction}; {item.unit}; = {item.expression}]"  # type: ignore[union-attr]
        console.print(f"{pad}{item.name_zh} / {item.name_en} ({it.id}){extra}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
