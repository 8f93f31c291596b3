"""Every chart `gpu-stress plot --kind ...` draws, from small runs through the command line: the file is a valid
image, and what was drawn (the matplotlib artists) holds the values of the results tables."""

import shutil

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main
from gpu_stress.results import store
from gpu_stress.results.verify import open_results
from gpu_stress.summary import format_money
from helpers import reseal

matplotlib = pytest.importorskip("matplotlib")

PATHS = 3000
HORIZON = 36
LTV_CAP = 0.9
SWEEP = ["--sweep", "market.price.drift=0.05,-0.25", "--sweep", "market.utilization.mean=0.6,0.9"]
SINGLE_KINDS = ("all", "fan", "loss", "heatmap", "term-structure", "swept", "causes", "waterfall", "tornado")


def run(*arguments):
    result = CliRunner().invoke(main, list(map(str, arguments)))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A 2 x 2 sweep with an LTV covenant, aggregates only (--no-paths), and a sensitivity table beside them."""
    output = tmp_path_factory.mktemp("charts") / "grid"
    run(
        "run", "--preset", "lambda", "--paths", PATHS, "--horizon", HORIZON, "--set", "market.regime.enabled=false",
        "--set", f"covenants.ltv_max={LTV_CAP}", *SWEEP, "--no-paths", "-o", output,
    )  # fmt: skip
    write_sensitivity(output)
    return output


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """One scenario with per-path files, in Parquet, and no LTV covenant."""
    output = tmp_path_factory.mktemp("charts") / "single"
    run("run", "--preset", "coreweave", "--paths", 2000, "--horizon", 60, "--format", "parquet", "-o", output)
    return output


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    output = tmp_path_factory.mktemp("charts") / "book"
    run("run", "--preset", "neoclouds", "--paths", 1000, "--horizon", 24, "--no-paths", "-o", output)
    return output


# (parameter, group, base, low, high, pd: base low high, low SE, high SE): the schema gpu-stress sensitivity writes
SENSITIVITY = (
    ("market.price.drift", "market", -0.1, -0.3, 0.1, (0.05, 0.09, 0.04), (0.004, 0.002)),
    ("firm.cash", "firm", 1e8, 5e7, 2e8, (0.05, 0.052, 0.03), (0.001, 0.003)),
    ("market.utilization.mean", "market", 0.8, 0.7, 0.9, (0.05, 0.20, 0.01), (0.01, 0.005)),
    ("collateral.fire_sale_haircut", "collateral", 0.55, 0.45, 0.65, (0.05, 0.05, 0.05), (0.0, 0.0)),
)


def write_sensitivity(directory):
    columns = {name: [] for name in ("parameter", "group", "base_value", "low_value", "high_value")}
    for parameter, group, base, low, high, _, _ in SENSITIVITY:
        for name, value in zip(columns, (parameter, group, base, low, high), strict=True):
            columns[name].append(value)
    for metric, scale in (("pd", 1.0), ("expected_loss", 1e9), ("cvar_99", 2e10)):
        for end, index in (("base", 0), ("low", 1), ("high", 2)):
            columns[f"{metric}_{end}"] = [row[5][index] * scale for row in SENSITIVITY]
        for end, index in (("low", 0), ("high", 1)):
            columns[f"{metric}_{end}_se"] = [row[6][index] * scale for row in SENSITIVITY]
    types = {name: pa.string() if name in ("parameter", "group") else pa.float64() for name in columns}
    table = pa.table({name: pa.array(values, types[name]) for name, values in columns.items()})
    store.write_table(directory / store.SENSITIVITY_FILE, table)
    reseal(directory)


@pytest.fixture
def drawn(monkeypatch):
    """The figures the command drew (pyplot.close is kept from closing them), closed after the test."""
    import matplotlib.pyplot as plt

    close, figures = plt.close, []
    monkeypatch.setattr(plt, "close", figures.append)
    yield figures
    for figure in figures:
        close(figure)


def draw(directory, tmp_path, kind, *options, suffix=".png"):
    image = tmp_path / f"{kind}{suffix}"
    result = CliRunner().invoke(main, ["plot", str(directory), "-o", str(image), "--kind", kind, *map(str, options)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(image)
    return image


def check_png(image):
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(image)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.01  # something was drawn
    return pixels


def scenarios(directory):
    return open_results(directory).table(store.SCENARIOS_FILE).to_pylist()


def texts(figure):
    """Every text of a figure: titles, labels, tick labels, legend entries and titles, annotations."""
    found = [text.get_text() for text in figure.findobj(matplotlib.text.Text)]
    return [text for text in found if text]


def legend_texts(ax):
    legend = ax.get_legend()
    return [legend.get_title().get_text()] + [text.get_text() for text in legend.get_texts()]


def axis_titled(figure, start):
    return next(ax for ax in figure.axes if ax.get_title().startswith(start))


@pytest.mark.parametrize("kind", SINGLE_KINDS)
def test_every_chart_of_a_sweep_without_paths_is_an_image(grid, tmp_path, kind):
    check_png(draw(grid, tmp_path, kind))


@pytest.mark.parametrize("kind", ["fan", "term-structure", "causes", "waterfall", "loss"])
def test_charts_of_a_parquet_run_and_other_file_types(single, tmp_path, kind):
    check_png(draw(single, tmp_path, kind))
    assert draw(single, tmp_path, kind, suffix=".svg").read_text().lstrip().startswith("<?xml")
    assert draw(single, tmp_path, kind, suffix=".pdf").read_bytes()[:5] == b"%PDF-"


def test_the_fan_chart_marks_the_ltv_covenant_cap(grid, tmp_path, drawn):
    draw(grid, tmp_path, "fan", "--scenario", 2)
    ax = axis_titled(drawn[0], "loan-to-value")
    caps = [line for line in ax.get_lines() if line.get_label().startswith("LTV covenant cap")]
    assert len(caps) == 1 and caps[0].get_label() == f"LTV covenant cap {LTV_CAP:g}"
    assert set(caps[0].get_ydata()) == {LTV_CAP}
    assert ax.get_ylim()[1] > LTV_CAP
    assert f"LTV covenant cap {LTV_CAP:g}" in legend_texts(ax)


def test_the_fan_chart_says_when_there_is_no_ltv_covenant(single, tmp_path, drawn):
    draw(single, tmp_path, "fan")
    ax = axis_titled(drawn[0], "loan-to-value")
    assert ax.get_title() == "loan-to-value (no LTV covenant)"
    labels = [line.get_label() for line in ax.get_lines()]
    assert not any(label.startswith("LTV covenant") for label in labels)
    assert "refinancing max LTV 0.8" in labels  # coreweave refinances balloons up to LTV 0.8


def test_the_loss_legend_gives_var_and_cvar_at_every_level(grid, tmp_path, drawn):
    draw(grid, tmp_path, "loss", "--scenario", 2)
    row = scenarios(grid)[2]
    legend = legend_texts(axis_titled(drawn[0], "loss distribution"))
    for name, level in (("95", "95 %"), ("99", "99 %"), ("999", "99.9 %")):
        assert f"VaR {level}: {format_money(row[f'loss_var_{name}'])}" in legend
        assert f"CVaR {level}: {format_money(row[f'loss_cvar_{name}'])}" in legend


def test_the_term_structure_has_one_line_per_scenario_ending_at_its_pd(grid, tmp_path, drawn):
    draw(grid, tmp_path, "term-structure")
    ax = drawn[0].axes[0]
    lines = ax.get_lines()
    rows = scenarios(grid)
    assert len(lines) == len(rows) == 4
    for line, row in zip(lines, rows, strict=True):
        months, cumulative = line.get_data()
        assert list(months) == list(range(HORIZON + 1))
        assert np.all(np.diff(cumulative) >= 0) and cumulative[0] == 0
        assert cumulative[-1] == pytest.approx(100 * row["pd"])
        label = f"price.drift={row['market_price_drift']:g}, utilization.mean={row['market_utilization_mean']:g}"
        assert line.get_label().startswith(label)
    # year by year, cumulative PD is pd_by_year
    first = rows[0]
    assert lines[0].get_ydata()[12::12] == pytest.approx([100 * share for share in first["pd_by_year"]])


def test_the_term_structure_shows_each_scenarios_hazard_by_year(grid, tmp_path, drawn):
    draw(grid, tmp_path, "term-structure")
    hazard_ax = drawn[0].axes[1]
    rows = scenarios(grid)
    bars = hazard_ax.patches
    years = len(rows[0]["pd_by_year"])
    assert len(bars) == len(rows) * years
    for index, row in enumerate(rows):
        cumulative = [0.0, *row["pd_by_year"]]
        hazard = [(cumulative[y + 1] - cumulative[y]) / (1 - cumulative[y]) for y in range(years)]
        heights = [bar.get_height() for bar in bars[index * years : (index + 1) * years]]
        assert heights == pytest.approx([100 * h for h in hazard])


def test_the_term_structure_of_one_scenario_has_its_tranches(single, tmp_path, drawn):
    draw(single, tmp_path, "term-structure", "--scenario", 0)
    cumulative_ax, hazard_ax = drawn[0].axes[:2]
    tranches = open_results(single).table(store.TRANCHES_FILE).to_pylist()
    labels = [line.get_label() for line in cumulative_ax.get_lines()]
    assert len(labels) == 1 + len(tranches) and all(f"tranche {t['name']}" in " ".join(labels) for t in tranches)
    assert len(hazard_ax.patches) == (1 + len(tranches)) * len(tranches[0]["pd_by_year"])
    ticks = [label.get_text() for label in cumulative_ax.get_xticklabels()]
    assert ticks[:2] == ["0\n2025-06", "12\n2026-06"]  # the preset's month 1 is July 2025


def test_the_swept_chart_draws_pd_el_and_cvar_with_their_intervals(grid, tmp_path, drawn):
    draw(grid, tmp_path, "swept", "--x", "market.price.drift")
    figure = drawn[0]
    pd_ax, el_ax, cvar_ax = figure.axes
    assert [ax.get_title() for ax in figure.axes] == ["PD", "expected loss", "CVaR 99 %"]
    assert legend_texts(pd_ax)[0] == "bars: 95 % Wilson interval"
    assert legend_texts(el_ax)[0] == "bars: 95 % interval (±1.96 SE)"
    assert legend_texts(cvar_ax)[0].startswith("no confidence interval in these results")
    rows = scenarios(grid)
    # one line per value of the other swept key, x the drift
    assert legend_texts(pd_ax)[1:] == ["utilization.mean=0.6", "utilization.mean=0.9"]
    for container, mean in zip(pd_ax.containers, (0.6, 0.9), strict=True):
        members = sorted(
            (row for row in rows if row["market_utilization_mean"] == mean), key=lambda r: r["market_price_drift"]
        )
        x, y = container.lines[0].get_data()
        assert list(x) == [row["market_price_drift"] for row in members]
        assert list(y) == pytest.approx([100 * row["pd"] for row in members])
        segments = container.lines[2][0].get_segments()
        assert [segment[0][1] for segment in segments] == pytest.approx([100 * row["pd_ci_low"] for row in members])
        assert [segment[1][1] for segment in segments] == pytest.approx([100 * row["pd_ci_high"] for row in members])
    for container, mean in zip(el_ax.containers, (0.6, 0.9), strict=True):
        members = sorted(
            (row for row in rows if row["market_utilization_mean"] == mean), key=lambda r: r["market_price_drift"]
        )
        segments = container.lines[2][0].get_segments()
        widths = [segment[1][1] - segment[0][1] for segment in segments]
        assert widths == pytest.approx([2 * 1.959963984540054 * row["expected_loss_se"] for row in members])
    assert not cvar_ax.containers  # no bars: the table holds no CVaR standard error


def test_the_swept_chart_takes_another_key_and_one_metric(grid, tmp_path, drawn):
    draw(grid, tmp_path, "swept", "--x", "market.utilization.mean", "--metric", "expected_loss")
    (ax,) = drawn[0].axes
    assert ax.get_xlabel() == "market.utilization.mean" and ax.get_title() == "expected loss"
    assert legend_texts(ax)[1:] == ["price.drift=0.05", "price.drift=-0.25"]


def test_defaults_by_cause_stack_to_each_cause_s_count(grid, tmp_path, drawn):
    draw(grid, tmp_path, "causes", "--scenario", 2)
    ax = drawn[0].axes[0]
    row = scenarios(grid)[2]
    drawn_causes = {}
    for container in ax.containers:
        cause = container.get_label().split(":")[0]
        heights = [patch.get_height() for patch in container.patches]
        assert len(heights) == HORIZON
        drawn_causes[cause] = sum(heights) * PATHS / 100
        assert container.get_label().startswith(f"{cause}: {row[f'defaults_{cause}']:,} (")
    assert drawn_causes  # this scenario has defaults
    assert drawn_causes == pytest.approx({cause: row[f"defaults_{cause}"] for cause in drawn_causes})
    assert sum(drawn_causes.values()) == pytest.approx(row["defaults"])


def test_the_waterfall_goes_from_ead_through_recovery_to_loss(grid, tmp_path, drawn):
    draw(grid, tmp_path, "waterfall", "--scenario", 2)
    ax = drawn[0].axes[0]
    row = scenarios(grid)[2]
    ead, recovery, loss = (patch for container in ax.containers for patch in container.patches)
    assert ead.get_height() == pytest.approx(row["pd"] * row["mean_ead"])
    assert loss.get_height() == pytest.approx(row["expected_loss"])
    assert recovery.get_y() == pytest.approx(loss.get_height())
    assert recovery.get_y() + recovery.get_height() == pytest.approx(ead.get_height())
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["EAD at default", "recovery", "loss"]
    assert format_money(row["expected_loss"]) in texts(drawn[0])


def test_the_waterfall_of_every_scenario(grid, tmp_path, drawn):
    draw(grid, tmp_path, "waterfall")
    ax = drawn[0].axes[0]
    assert len([patch for container in ax.containers for patch in container.patches]) == 3 * 4
    assert len(ax.get_xticklabels()) == 4


@pytest.mark.parametrize("metric", ["pd", "expected_loss", "cvar_99"])
def test_the_tornado_sorts_by_the_larger_effect_with_two_se_bars(grid, tmp_path, drawn, metric):
    options = ["--metric", metric] if metric != "pd" else []
    draw(grid, tmp_path, "tornado", *options)
    ax = drawn[0].axes[0]
    scale = {"pd": 1.0, "expected_loss": 1e9, "cvar_99": 2e10}[metric]
    # larger absolute effect first (on top): utilization (0.15), drift (0.04), cash (0.02), haircut (0)
    order = ["market.utilization.mean", "market.price.drift", "firm.cash", "collateral.fire_sale_haircut"]
    top_down = [tick.get_text().split(" [")[0] for tick in ax.get_yticklabels()][::-1]
    assert top_down == order
    bars = [patch for container in ax.containers if hasattr(container, "patches") for patch in container.patches]
    base = 0.05 * scale
    utilization = [bar for bar in bars if abs(bar.get_y() + bar.get_height() / 2 - 3) < 1e-9]  # the top row
    assert sorted(bar.get_x() + bar.get_width() for bar in utilization) == pytest.approx([0.01 * scale, 0.20 * scale])
    assert all(bar.get_x() == pytest.approx(base) for bar in utilization)
    errors = [collection for collection in ax.collections if collection.get_segments()]
    widths = sorted(round((s[1][0] - s[0][0]) / scale, 6) for c in errors for s in c.get_segments())
    assert widths == sorted([0.016, 0.008, 0.004, 0.012, 0.04, 0.02])  # +-2 SE of each non-zero standard error
    labels = texts(drawn[0])
    if metric == "pd":
        assert "20.00% (+15.00 pp)" in " ".join(labels) and "base: 5.00%" in labels
    else:
        assert f"base: {format_money(base)}" in labels


def test_portfolio_charts_draw_or_say_why_not(book, tmp_path, drawn):
    for kind in ("all", "loss", "term-structure", "causes", "waterfall"):
        check_png(draw(book, tmp_path, kind))
    term = drawn[2].axes[0]
    firms = store.read_table(book / "firms.arrow").to_pylist()
    assert [line.get_label().split(":")[0] for line in term.get_lines()] == [firm["name"] for firm in firms]
    assert len([ax for ax in drawn[3].axes if ax.get_visible()]) == len(firms)
    for kind, message in (
        ("fan", "fan: this run tracked no paths"),
        ("heatmap", "heatmap: needs two swept keys"),
        ("swept", "swept: needs a swept key"),
        ("tornado", "tornado: "),
    ):
        result = CliRunner().invoke(main, ["plot", str(book), "-o", str(tmp_path / "x.png"), "--kind", kind])
        assert result.exit_code == 2, (kind, result.output)
        assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--kind", "swept", "--x", "firm.cash"], "x: 'firm.cash' is not a swept key"),
        (["--kind", "fan", "--metric", "pd"], "metric: only for --kind tornado or swept, not fan"),
        (["--kind", "causes", "--y", "firm.cash"], "y: only for --kind all or heatmap"),
        (["--kind", "causes", "--scenario", "9"], "scenario: no scenario 9 (there are 4)"),
        (["--kind", "swept", "--scenario", "1"], "scenario: --kind swept draws every scenario"),
        (["--kind", "term-structure", "-o", "x.gif"], "output: x.gif: unsupported file type"),
    ],
)
def test_what_cannot_be_drawn_is_one_line(grid, tmp_path, options, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["plot", str(grid), "-o", "x.png", *options])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "x.png").exists()


def test_a_sensitivity_table_of_another_shape_is_one_line(grid, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(grid, folder)
    table = store.read_table(folder / store.SENSITIVITY_FILE).drop_columns(["cvar_99_high"])
    store.write_table(folder / store.SENSITIVITY_FILE, table)
    reseal(folder)
    result = CliRunner().invoke(
        main, ["plot", str(folder), "-o", str(tmp_path / "t.png"), "--kind", "tornado", "--metric", "cvar_99"]
    )
    assert result.exit_code == 2 and "no column cvar_99_high (not a gpu-stress sensitivity table)" in result.stderr


def test_results_without_monthly_defaults(grid, tmp_path, drawn):
    """Results written before defaults_by_month_cause: the term structure falls back to PD by year, the causes
    chart says why it cannot be drawn."""
    folder = tmp_path / "old"
    shutil.copytree(grid, folder)
    path = folder / store.SCENARIOS_FILE
    store.write_table(path, store.read_table(path).drop_columns(["defaults_by_month_cause"]))
    reseal(folder)
    draw(folder, tmp_path, "term-structure")
    line = drawn[0].axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [0, 12, 24, 36] and line.get_label().endswith("(by year)")
    result = CliRunner().invoke(main, ["plot", str(folder), "-o", str(tmp_path / "c.png"), "--kind", "causes"])
    assert result.exit_code == 2 and "causes: these results have no defaults_by_month_cause" in result.stderr


def test_stress_scenarios_are_named_by_their_stress(tmp_path, drawn):
    output = tmp_path / "stressed"
    run(
        "run",
        "--preset",
        "coreweave",
        "--paths",
        1000,
        "--horizon",
        24,
        "--stress",
        "adverse",
        "--no-paths",
        "-o",
        output,
    )
    names = [row["stress"] for row in scenarios(output)]
    assert names == ["baseline", "adverse"]
    draw(output, tmp_path, "term-structure")
    labels = [line.get_label().split(":")[0] for line in drawn[0].axes[0].get_lines()]
    assert labels == names
    draw(output, tmp_path, "swept", "--x", "stress", "--metric", "pd")
    (ax,) = drawn[1].axes
    assert [tick.get_text() for tick in ax.get_xticklabels()] == names  # categories, side by side
    draw(output, tmp_path, "waterfall")
    assert [tick.get_text().split("\n")[0] for tick in drawn[2].axes[0].get_xticklabels()] == names
