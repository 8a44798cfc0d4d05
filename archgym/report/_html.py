"""The interactive page: plotly figures and HTML tables in one self-contained, offline file.

Why plotly's JavaScript is inlined (``get_plotlyjs``) rather than linked: a report is opened on a
laptop on a plane, attached to an e-mail, or archived next to a paper; a CDN link breaks all three.
Why each figure's JSON is written by hand instead of ``fig.to_html``: the figure data holds strings
from the run files (design values, hyperparameters), which are untrusted — ``</script>`` inside
them must not end the script, so ``</`` is escaped; every table cell is HTML-escaped.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from archgym.report._curves import Band
from archgym.report._figures import scale_axes

_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-top:1em}h3{font-size:1.05em;margin-top:1.6em}
table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f4f4f4}tr:nth-child(even) td{background:#fafafa}
.note{color:#555;font-size:13px}.plot{width:100%;height:440px}code{background:#f4f4f4;padding:0 3px}
.scroll{max-height:420px;overflow:auto}
"""


def _json(obj: Any) -> str:
    from plotly.io.json import to_json_plotly

    return to_json_plotly(obj).replace("</", "<\\/")


def plot_div(fig: Any, div_id: str, height: int = 440) -> str:
    """One figure: an empty div and the script that draws it (data escaped for a script block)."""
    spec = fig.to_plotly_json()
    return (f'<div id="{div_id}" class="plot archgym-plot" style="height:{height}px"></div>\n'
            f'<script>Plotly.newPlot("{div_id}", {_json(spec.get("data", []))}, {_json(spec.get("layout", {}))}, '
            '{"responsive": true, "displaylogo": false});</script>\n')


def table_html(df: pd.DataFrame, float_format: str = "{:.6g}", scroll: bool = False) -> str:
    """A DataFrame as an escaped HTML table."""

    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return html.escape(float_format.format(v)) if np.isfinite(v) else html.escape(str(v))
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{out}</div>' if scroll else out


def _layout(title: str, xlabel: str, ylabel: str) -> dict[str, Any]:
    return {"title": {"text": html.escape(title), "font": {"size": 14}}, "template": "plotly_white",
            "xaxis": {"title": {"text": xlabel}}, "yaxis": {"title": {"text": ylabel}},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "legend": {"font": {"size": 10}}}


def curves_plot(bands: dict[str, Band], title: str,
                ylabel: str = "best reward so far (median, 95 % CI)") -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for (agent, b), color in zip(bands.items(), _COLORS * 3, strict=False):
        x = b.x.tolist()
        fig.add_trace(go.Scatter(x=x + x[::-1], y=b.high.tolist() + b.low[::-1].tolist(), fill="toself",
                                 fillcolor=color, opacity=0.18, line={"width": 0}, hoverinfo="skip",
                                 showlegend=False, legendgroup=agent, name=f"{agent} 95 % CI"))
        fig.add_trace(go.Scatter(x=x, y=b.median.tolist(), mode="lines", line={"color": color, "width": 2},
                                 legendgroup=agent, name=f"{agent} ({b.n_runs} runs)"))
    fig.update_layout(**_layout(title, "simulator evaluations", ylabel))
    return fig


def ranking_plot(runs: pd.DataFrame, title: str) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    per_config = runs.groupby(["agent", "config_id"]).agg(best=("best_reward", "median"), config=("config", "first"),
                                                           seeds=("seed", "count")).reset_index()
    for (agent, d), color in zip(per_config.groupby("agent", sort=True), _COLORS * 3, strict=False):
        fig.add_trace(go.Box(y=d["best"].tolist(), name=agent, boxpoints="all", jitter=0.4, pointpos=0,
                             marker={"color": color, "size": 5}, line={"color": color},
                             text=[f"{c} ({s} seeds)" for c, s in zip(d["config"], d["seeds"], strict=True)],
                             hovertemplate="%{text}<br>median best %{y:.6g}<extra>" + html.escape(agent) + "</extra>"))
    fig.update_layout(**_layout(title, "agent", "median best reward over seeds, per configuration"),
                      showlegend=False)
    return fig


def pareto_plot(rows: pd.DataFrame, front: pd.DataFrame, surfaces: dict[str, dict[str, np.ndarray]],
                goals: dict[str, str], title: str, max_points: int = 3000) -> Any:
    import plotly.graph_objects as go

    g1, g2 = list(goals)[:2]
    fig = go.Figure()
    feas = rows[rows["feasible"].astype(bool)]
    if len(feas) > max_points:
        feas = feas.sample(max_points, random_state=0)
    fig.add_trace(go.Scatter(x=feas[f"metric.{g1}"].tolist(), y=feas[f"metric.{g2}"].tolist(), mode="markers",
                             marker={"color": "#c8c8c8", "size": 4}, name="evaluated designs", hoverinfo="skip"))
    agents = sorted(set(front["agent"]) | set(surfaces))
    colors = dict(zip(agents, _COLORS * 3, strict=False))
    knobs = [c for c in front.columns if c not in (*goals, "agent", "seed", "run_id", "step")]
    for agent, s in surfaces.items():
        med = s.get("median")
        if med is not None and len(med):
            fig.add_trace(go.Scatter(x=med[:, 0].tolist(), y=med[:, 1].tolist(), mode="lines",
                                     line={"shape": "hv", "color": colors[agent], "width": 1.5},
                                     name=f"{agent}: median attainment"))
    for agent, d in front.groupby("agent"):
        text = ["<br>".join(html.escape(f"{k}={r[k]}") for k in knobs) for _, r in d.iterrows()]
        fig.add_trace(go.Scatter(x=d[g1].tolist(), y=d[g2].tolist(), mode="markers", text=text,
                                 marker={"color": colors[agent], "size": 10, "line": {"width": 1, "color": "black"}},
                                 name=f"{agent}: Pareto designs",
                                 hovertemplate="%{text}<br>" + f"{g1}=%{{x:.6g}}<br>{g2}=%{{y:.6g}}<extra></extra>"))
    fig.update_layout(**_layout(title, f"{g1} ({goals[g1]})", f"{g2} ({goals[g2]})"))
    fig.update_xaxes(type="log" if wide_range(feas[f"metric.{g1}"]) else "linear")
    fig.update_yaxes(type="log" if wide_range(feas[f"metric.{g2}"]) else "linear")
    return fig


def wide_range(values: pd.Series) -> bool:
    """Positive values spanning more than two decades: drawn on a log axis."""
    v = values.to_numpy(float)
    v = v[np.isfinite(v)]
    return bool(len(v) and v.min() > 0 and v.max() / v.min() > 100)


def importance_plot(values: pd.DataFrame, title: str) -> Any:
    import plotly.graph_objects as go

    v = values.clip(lower=0.0)
    fig = go.Figure(go.Heatmap(z=v.to_numpy().tolist(), x=list(v.columns), y=list(v.index), colorscale="Viridis",
                               zmin=0, colorbar={"title": {"text": "R² lost"}},
                               hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(**_layout(title, "target", "knob"))
    fig.update_yaxes(autorange="reversed")
    return fig


def parallel_plot(table: pd.DataFrame, axes: list[str], color: str, title: str) -> Any:
    """Parallel coordinates drawn as ordinary SVG lines (one per design, axes scaled to [0, 1]).

    Plotly's ``Parcoords`` trace needs WebGL, which is missing in many headless and remote
    browsers, so the lines are plain scatter traces with the axes' ranges written as tick labels.
    """
    import plotly.colors as pc
    import plotly.graph_objects as go

    scaled, ticks = scale_axes(table, axes)
    c = table[color].to_numpy(float)
    finite = np.isfinite(c)
    lo, hi = (float(c[finite].min()), float(c[finite].max())) if finite.any() else (0.0, 1.0)
    fig = go.Figure()

    order = np.argsort(np.where(finite, c, -np.inf))
    for n, i in enumerate(order):
        frac = (c[i] - lo) / (hi - lo) if hi > lo and finite[i] else 1.0
        col = pc.sample_colorscale("Viridis", [float(frac)])[0]
        hover = "<br>".join(html.escape(f"{a}={table[a].iloc[i]}") for a in axes)
        marker = {"size": 4, "color": [float(c[i]) if finite[i] else lo] * len(axes), "colorscale": "Viridis",
                  "cmin": lo, "cmax": hi, "showscale": n == len(order) - 1,  # one colour bar, on the last line
                  "colorbar": {"title": {"text": html.escape(color)}}}
        fig.add_trace(go.Scatter(x=list(range(len(axes))), y=scaled[i].tolist(), mode="lines+markers",
                                 line={"color": col, "width": 1.5}, marker=marker, opacity=0.75,
                                 showlegend=False, text=[hover] * len(axes),
                                 hovertemplate=f"{html.escape(color)}={c[i]:.6g}<br>%{{text}}<extra></extra>"))
    annotations = [{"x": j, "y": v, "text": html.escape(str(lab)), "showarrow": False, "xanchor": "left",
                    "font": {"size": 9}, "xshift": 4}
                   for j, (vals, labels) in enumerate(ticks) for v, lab in zip(vals, labels, strict=True)]
    fig.update_layout(**_layout(title, "", ""), annotations=annotations)
    fig.update_xaxes(tickvals=list(range(len(axes))), ticktext=[html.escape(a) for a in axes])
    fig.update_yaxes(showticklabels=False, range=[-0.05, 1.05])
    return fig


def page(title: str, intro: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document: ``sections`` are (anchor, heading, body html)."""
    from plotly.offline import get_plotlyjs

    toc = "".join(f'<li><a href="#{a}">{html.escape(h)}</a></li>' for a, h, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{html.escape(h)}</h2>\n{b}</section>\n' for a, h, b in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n"
            f"<script>{get_plotlyjs()}</script>\n</head><body>\n"
            f"<h1>{html.escape(title)}</h1>\n{intro}\n<ul>{toc}</ul>\n{body}</body></html>\n")

