"""Static figures (matplotlib, PNG and PDF) for papers and for readers without a browser.

Each function draws one figure of one scenario and returns the paths written.  The Agg backend is
forced, so a report builds on a headless machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.report._curves import Band


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, base: Path) -> list[Path]:
    from archgym._files import atomic_write

    base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = base.with_suffix(f".{ext}")
        atomic_write(path, lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=120))
        paths.append(path)
    _plt().close(fig)
    return paths


def curves_figure(bands: dict[str, Band], title: str, base: Path,
                  ylabel: str = "best reward so far (median, 95 % CI)") -> list[Path]:
    """Median best reward vs evaluations per agent, shaded 95 % bootstrap interval."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for (agent, b), color in zip(bands.items(), plt.cm.tab10.colors * 3, strict=False):
        ax.plot(b.x, b.median, color=color, lw=1.3, label=f"{agent} ({b.n_runs} runs)")
        ax.fill_between(b.x, b.low, b.high, color=color, alpha=0.18, lw=0)
    ax.set_xlabel("simulator evaluations")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, base)


def ranking_figure(runs: pd.DataFrame, ranking: pd.DataFrame, title: str, base: Path) -> list[Path]:
    """The lottery view: each agent's distribution of best reward over its configurations."""
    plt = _plt()
    agents = sorted(runs["agent"].unique())
    per_config = runs.groupby(["agent", "config_id"])["best_reward"].median()
    data = [per_config[a].to_numpy(float) for a in agents]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(agents) + 2), 4.2))
    ax.boxplot(data, whis=(0, 100), widths=0.6)
    for i, d in enumerate(data, 1):
        ax.scatter(np.full(len(d), i) + np.linspace(-0.15, 0.15, len(d)), d, s=8, alpha=0.6, color="tab:blue")
    ax.set_xticks(range(1, len(agents) + 1), [f"{a}\n{len(d)} configs" for a, d in zip(agents, data, strict=True)],
                  fontsize=7)
    ax.set_ylabel("median best reward over seeds, per configuration")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _save(fig, base)


def pareto_figure(front: pd.DataFrame, surfaces: dict[str, dict[str, np.ndarray]], goals: dict[str, str],
                  title: str, base: Path) -> list[Path]:
    """The first two objectives: Pareto designs (by agent) and each agent's median attainment surface."""
    plt = _plt()
    g1, g2 = list(goals)[:2]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    colors = dict(zip(sorted(set(front["agent"]) | set(surfaces)), plt.cm.tab10.colors * 3, strict=False))
    for agent, s in surfaces.items():
        med = s.get("median")
        if med is not None and len(med):
            ax.step(med[:, 0], med[:, 1], where="post", color=colors[agent], lw=1, alpha=0.8,
                    label=f"{agent}: median attainment")
    for agent, d in front.groupby("agent"):
        ax.scatter(d[g1], d[g2], color=colors[agent], s=22, edgecolor="k", lw=0.4, zorder=3,
                   label=f"{agent}: Pareto designs")
    ax.set_xlabel(f"{g1} ({goals[g1]})")
    ax.set_ylabel(f"{g2} ({goals[g2]})")
    for col, set_scale in ((g1, ax.set_xscale), (g2, ax.set_yscale)):
        v = front[col].to_numpy(float)
        if len(v) and np.nanmin(v) > 0 and np.nanmax(v) / np.nanmin(v) > 100:
            set_scale("log")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, base)


def importance_figure(values: pd.DataFrame, title: str, base: Path) -> list[Path]:
    """Heat map: knob × target, R² lost when the knob is shuffled."""
    plt = _plt()
    v = values.clip(lower=0.0)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * v.shape[1], 1.2 + 0.35 * v.shape[0]))
    im = ax.imshow(v.to_numpy(), cmap="viridis", aspect="auto", vmin=0)
    ax.set_xticks(range(v.shape[1]), v.columns, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(v.shape[0]), v.index, fontsize=7)
    fig.colorbar(im, ax=ax, label="R² lost when shuffled")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, base)


def parallel_figure(table: pd.DataFrame, axes: list[str], color: str, title: str, base: Path) -> list[Path]:
    """Parallel coordinates: one line per design over its knobs (scaled to [0, 1]), coloured by reward."""
    plt = _plt()
    scaled, ticks = scale_axes(table, axes)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(axes)), 4.2))
    c = table[color].to_numpy(float)
    finite = np.isfinite(c)
    lo, hi = (c[finite].min(), c[finite].max()) if finite.any() else (0.0, 1.0)
    cmap = plt.cm.viridis
    for i in np.argsort(np.where(finite, c, -np.inf)):
        ax.plot(range(len(axes)), scaled[i], color=cmap((c[i] - lo) / (hi - lo) if hi > lo else 1.0), alpha=0.7, lw=1)
    ax.set_xticks(range(len(axes)), axes, rotation=30, ha="right", fontsize=7)
    for j, (vals, labels) in enumerate(ticks):
        for v, lab in zip(vals, labels, strict=True):
            ax.text(j, v, lab, fontsize=5, ha="left", va="center", alpha=0.8)
    ax.set_yticks([])
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label=color)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, base)


def scale_axes(table: pd.DataFrame, axes: list[str]) -> tuple[np.ndarray, list[tuple[list[float], list[str]]]]:
    """Each column scaled to [0, 1] (categories by sorted position) and its tick positions/labels."""
    cols, ticks = [], []
    for a in axes:
        s = table[a]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            x = s.to_numpy(float)
            lo, hi = np.nanmin(x), np.nanmax(x)
            cols.append((x - lo) / (hi - lo) if hi > lo else np.full(len(x), 0.5))
            ticks.append(([0.0, 1.0], [f"{lo:.4g}", f"{hi:.4g}"]) if hi > lo else ([0.5], [f"{lo:.4g}"]))
        else:
            cats = sorted(s.astype(str).unique())
            pos = {c: (i / (len(cats) - 1) if len(cats) > 1 else 0.5) for i, c in enumerate(cats)}
            cols.append(s.astype(str).map(pos).to_numpy(float))
            ticks.append((list(pos.values()), cats))
    return np.stack(cols, axis=1), ticks
