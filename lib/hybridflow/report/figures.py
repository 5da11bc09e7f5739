"""The report's matplotlib figures: pandas in, `Figure` out (saved under the report's figures/ folder).

Figures are built with `matplotlib.figure.Figure`, not pyplot, so a notebook shows each
exactly once (as the cell's value) and nothing leaks between cells. Labels are French.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hybridflow.architecture.mermaid import render_mermaid
from hybridflow.config import get_settings
from hybridflow.report import operations as ops
from hybridflow.report import views
from hybridflow.report.display import CaptionedImage, default_caption
from hybridflow.tickets import labels

REQUEST_TYPE_COLORS = {"technical": "#1f77b4", "billing": "#ff7f0e", "account": "#2ca02c", "general": "#9467bd"}
PRIORITY_COLORS = {"low": "#9ecae1", "medium": "#4292c6", "high": "#fd8d3c", "critical": "#d62728"}
PRIORITY_ORDER = ["low", "medium", "high", "critical"]
TYPE_ORDER = ["technical", "billing", "account", "general"]
LABELS_FR = labels.ALL  # the package's one mapping (hybridflow.tickets.labels)


def figures_dir() -> Path:
    """Where figures are saved: <REPORT_DIR>/figures (the build sets REPORT_DIR), else report/figures."""
    return get_settings().report_out_dir / "figures"


def caption_of(fig: Figure) -> str | None:
    """The figure's own titles (suptitle, then each axes' title), joined: the default caption."""
    titles = [fig.get_suptitle()] + [ax.get_title(loc) for ax in fig.axes for loc in ("center", "left", "right")]
    titles = [t for t in dict.fromkeys(titles) if t]
    return " ; ".join(titles) or None


def save(fig: Figure, name: str, caption: str | None = None) -> CaptionedImage:
    """Save `fig` as figures/<name>.png and return it as a numbered, captioned figure for display.

    Args:
        caption: the caption under the figure (default: the figure's titles).
    """
    import io

    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    png = buffer.getvalue()
    (folder / f"{name}.png").write_bytes(png)
    return CaptionedImage(png, caption or caption_of(fig) or default_caption(name))


def _fig(width: float = 8.0, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained", dpi=100)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
    return fig, list(axes)


def fr(values) -> list[str]:
    """French labels of request types / priorities / dead-letter reasons."""
    return labels.labels(values)


# --- the generator (notebook 4) -----------------------------------------------------------------


def generator_mix(
    tickets: pd.DataFrame, type_targets: dict[str, float], priority_given_type: dict[str, dict[str, float]]
) -> Figure:
    """Left: request types observed vs target; right: priority mix within each request type."""
    fig, (left, right) = _fig(10, 3.8, ncols=2)
    observed = tickets["request_type"].value_counts(normalize=True).reindex(TYPE_ORDER, fill_value=0)
    x = np.arange(len(TYPE_ORDER))
    left.bar(x - 0.2, observed.values * 100, 0.4, label="observé", color=[REQUEST_TYPE_COLORS[t] for t in TYPE_ORDER])
    left.bar(
        x + 0.2, [type_targets[t] * 100 for t in TYPE_ORDER], 0.4, label="cible", color="lightgray", edgecolor="gray"
    )
    left.set_xticks(x, fr(TYPE_ORDER))
    left.set_ylabel("% des tickets")
    left.set_title("Type de demande : observé vs cible")
    left.legend(frameon=False)
    mix = pd.crosstab(tickets["request_type"], tickets["priority"], normalize="index").reindex(
        index=TYPE_ORDER, columns=PRIORITY_ORDER, fill_value=0
    )
    bottom = np.zeros(len(TYPE_ORDER))
    for prio in PRIORITY_ORDER:
        right.barh(
            fr(TYPE_ORDER), mix[prio].values * 100, left=bottom, color=PRIORITY_COLORS[prio], label=LABELS_FR[prio]
        )
        bottom += mix[prio].values * 100
    for i, t in enumerate(TYPE_ORDER):  # the target share of "critical", as a tick on each bar
        right.plot([100 - priority_given_type[t]["critical"] * 100] * 2, [i - 0.4, i + 0.4], color="black", lw=1)
    right.invert_yaxis()
    right.set_xlabel("% des tickets du type (trait noir : part cible de « critique »)")
    right.set_title("Priorité selon le type")
    right.legend(ncols=4, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return fig


def client_concentration(tickets: pd.DataFrame, weights: list[float]) -> Figure:
    """Cumulative share of tickets against the share of clients, busiest first (observed and Zipf target)."""
    fig, (ax,) = _fig(6.5, 3.8)
    counts = tickets["client_id"].value_counts().sort_values(ascending=False).to_numpy()
    n = len(weights)
    observed = np.concatenate([[0], np.cumsum(counts) / counts.sum()])
    observed_x = np.arange(len(observed)) / n * 100
    target = np.concatenate([[0], np.cumsum(sorted(weights, reverse=True))])
    ax.plot(np.arange(n + 1) / n * 100, target * 100, color="gray", ls="--", label="cible (Zipf, s = 1)")
    ax.plot(observed_x, observed * 100, color="#1f77b4", label=f"observé ({len(counts)} clients actifs)")
    ax.plot([0, 100], [0, 100], color="lightgray", lw=0.8, label="répartition uniforme")
    ax.axvline(20, color="#d62728", lw=0.8, ls=":")
    ax.set_xlabel("% des clients (les plus actifs d'abord)")
    ax.set_ylabel("% cumulé des tickets")
    ax.set_title("Concentration des tickets par client")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def event_time_order(tickets: pd.DataFrame, start: pd.Timestamp) -> Figure:
    """Event time against production order: tickets stamped late (out of order) stand out in red."""
    fig, (ax,) = _fig(8, 3.4)
    seconds = (pd.to_datetime(tickets["created_at"], utc=True) - start).dt.total_seconds().to_numpy()
    running_max = np.maximum.accumulate(seconds)
    late = seconds < running_max
    order = np.arange(len(seconds))
    ax.scatter(order[~late], seconds[~late], s=4, color="#1f77b4", label="dans l'ordre")
    ax.scatter(order[late], seconds[late], s=10, color="#d62728", label=f"en retard ({late.sum()}, {late.mean():.1%})")
    ax.set_xlabel("ordre de production")
    ax.set_ylabel("heure d'événement (s depuis le début)")
    ax.set_title("Heure d'événement vs ordre d'arrivée")
    ax.legend(frameon=False)
    return fig


# --- the stream (notebook 6) ----------------------------------------------------------------------


def windows_and_watermark(per_minute: pd.DataFrame, watermark: pd.Timestamp | None) -> Figure:
    """Tickets per event-time window: all valid tickets vs those in emitted (closed) windows, with the watermark."""
    fig, (ax,) = _fig(9, 3.6)
    x = pd.to_datetime(per_minute["window_start"])
    width = (x.diff().median() if len(x) > 1 else pd.Timedelta(minutes=1)) * 0.8
    ax.bar(x, per_minute["valid_tickets"], width=width, align="edge", color="lightgray", label="tickets valides (lac)")
    ax.bar(x, per_minute["windowed_tickets"], width=width * 0.6, align="edge", color="#1f77b4", label="fenêtres émises")
    if watermark is not None:
        ax.axvline(watermark, color="#d62728", ls="--", label=f"watermark {watermark:%H:%M:%S}")
    ax.set_ylabel("tickets par fenêtre")
    ax.set_xlabel("début de fenêtre (UTC)")
    ax.set_title("Fenêtres d'une minute : une fenêtre n'est émise qu'une fois le watermark passé")
    ax.legend(frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return fig


LATENCY_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def latency_distributions(paths: dict[str, dict], title: str) -> Figure:
    """Cumulative distribution of end-to-end latency per path, log scale, with p50/p95/p99 and the p95 target.

    Args:
        paths: French path label -> {"p50", "p95", "p99", "n", "target"} (seconds), and "samples"
            (every measured latency) when the run kept them; without samples the curve is drawn
            through the three percentiles only.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig, (ax,) = _fig(9, 3.8)
    for (label, p), color in zip(paths.items(), LATENCY_COLORS, strict=False):
        if p.get("target"):
            ax.axvline(p["target"], color=color, ls="--", lw=0.8, alpha=0.7)
            ax.text(
                p["target"], 3, f" cible p95 ≤ {p['target']:g} s", color=color, fontsize=7, rotation=90, va="bottom"
            )
        if not p["n"] or p["n"] < 2:
            ax.plot([], [], color=color, label=f"{label} : non mesuré ({int(p['n'])} ticket)")
            continue
        samples = p.get("samples")
        if samples is not None and len(samples) > 1:
            x = np.sort(np.clip(np.asarray(samples, dtype=float), 1e-3, None))
            count = f"{len(x):,}".replace(",", " ")
            ax.step(
                x,
                np.arange(1, len(x) + 1) / len(x) * 100,
                where="post",
                color=color,
                label=f"{label} ({count} tickets)",
            )
        else:
            ax.plot(
                [p["p50"], p["p95"], p["p99"]],
                [50, 95, 99],
                color=color,
                ls=":",
                label=f"{label} ({int(p['n'])} tickets, par ses percentiles)",
            )
        ax.scatter([p["p50"], p["p95"], p["p99"]], [50, 95, 99], color=color, s=18, zorder=3)
        ax.annotate(
            f"p95 {p['p95']:.2f} s",
            (p["p95"], 95),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=8,
            color=color,
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_ylim(0, 101)
    ax.set_xlabel("latence depuis created_at (s, échelle logarithmique)")
    ax.set_ylabel("% des tickets, cumulé")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3, which="major")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig


# --- results (notebook 8) -------------------------------------------------------------------------


def tickets_over_time(windows: pd.DataFrame, by: str) -> Figure:
    """Stacked tickets per event-time window, by request type or by priority (from the windows dataset)."""
    order, colors = (TYPE_ORDER, REQUEST_TYPE_COLORS) if by == "request_type" else (PRIORITY_ORDER, PRIORITY_COLORS)
    table = windows.pivot_table(index="window_start", columns=by, values="tickets", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=[c for c in order if c in table.columns]).sort_index()
    fig, (ax,) = _fig(9, 3.4)
    x = pd.to_datetime(table.index)
    width = (x.to_series().diff().median() if len(x) > 1 else pd.Timedelta(minutes=1)) * 0.85
    bottom = np.zeros(len(table))
    for column in table.columns:  # one stacked bar per closed window: windows are discrete, not a curve
        ax.bar(
            x,
            table[column].to_numpy(),
            width=width,
            bottom=bottom,
            align="edge",
            color=colors[column],
            label=LABELS_FR.get(column, column),
        )
        bottom += table[column].to_numpy()
    ax.set_ylabel("tickets par fenêtre")
    ax.set_xlabel("heure d'événement (UTC)")
    what = "type de demande" if by == "request_type" else "priorité"
    ax.set_title(f"Tickets par {what} dans le temps (fenêtres fermées)")
    ax.legend(ncols=4, frameon=False, fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return fig


def dead_letter_reasons(reasons: pd.Series) -> Figure:
    """Dead letters per reason (a Series reason -> count)."""
    reasons = reasons.sort_values()
    fig, (ax,) = _fig(7, 3.0)
    ax.barh(labels.labels(reasons.index, labels.DEAD_LETTER_REASON), reasons.values, color="#756bb1")
    for y, v in enumerate(reasons.values):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    ax.set_xlabel("lettres mortes")
    ax.set_title("Raisons des lettres mortes (topic DLQ)")
    ax.grid(axis="x", alpha=0.3)
    return fig


# --- support operations: the ticket lifecycle (notebook 8) -------------------------------------------

SLA_KIND_COLORS = {ops.FIRST_RESPONSE: "#1f77b4", ops.RESOLUTION: "#d62728"}
SOURCE_COLORS = {ops.HISTORY: "#9e9e9e", ops.STREAM: "#1f77b4"}


def _hours_axis(ax) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.grid(axis="x", alpha=0.3, which="major")


def response_times(frame: pd.DataFrame, by: str) -> Figure:
    """Hours to first response and to resolution per group: p50 (dot) to p90 (diamond), and the tier's SLA (red)."""
    rows = frame[frame[by] != ops.ALL].reset_index(drop=True)
    fig, axes = _fig(10, 0.9 + 0.45 * max(len(rows), 2), ncols=2)
    y = np.arange(len(rows))
    names = views.group_labels(by, rows[by])
    for ax, kind, title, sla_index in (
        (axes[0], ops.FIRST_RESPONSE, "Première réponse", 0),
        (axes[1], ops.RESOLUTION, "Résolution", 1),
    ):
        p50, p90 = rows[f"{kind}_p50_h"].to_numpy(float), rows[f"{kind}_p90_h"].to_numpy(float)
        color = SLA_KIND_COLORS[kind]
        ax.hlines(y, p50, p90, color=color, alpha=0.5, lw=2)
        ax.scatter(p50, y, color=color, s=30, zorder=3, label="p50")
        ax.scatter(p90, y, color=color, marker="D", s=26, zorder=3, facecolor="white", label="p90")
        if by == "contract_tier":
            targets = [views.SLA_HOURS.get(g, (np.nan, np.nan))[sla_index] for g in rows[by]]
            ax.scatter(targets, y, marker="|", s=260, color="black", zorder=4, label="engagement du contrat")
        ax.set_yticks(y, names if kind == ops.FIRST_RESPONSE else [""] * len(y))
        ax.invert_yaxis()
        if np.isfinite(p50).any():
            _hours_axis(ax)
        else:
            ax.text(0.5, 0.5, "aucun ticket mesuré", transform=ax.transAxes, ha="center", color="gray")
        ax.set_xlabel("heures depuis la création (échelle logarithmique)")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0)
    fig.legend(*axes[0].get_legend_handles_labels(), frameon=False, fontsize=8, ncols=3, loc="outside lower center")
    what = views.GROUPS[by][0]
    fig.suptitle(f"Délais de prise en charge par {what} (tickets mesurés, p50 → p90)")
    return fig


def breach_rates(rates: pd.DataFrame) -> Figure:
    """Share of passed deadlines breached, per contract tier and overall, first response beside resolution."""
    fig, (ax,) = _fig(8, 3.4)
    x = np.arange(len(rates))
    for i, (kind, name) in enumerate(((ops.FIRST_RESPONSE, "première réponse"), (ops.RESOLUTION, "résolution"))):
        due, hit = rates[f"{kind}_due"].to_numpy(), rates[f"{kind}_breached"].to_numpy()
        share = np.where(due > 0, hit / np.maximum(due, 1) * 100, np.nan)
        bars = ax.bar(x + (i - 0.5) * 0.38, np.nan_to_num(share), 0.38, color=SLA_KIND_COLORS[kind], label=name)
        for bar, s, h, d in zip(bars, share, hit, due, strict=True):
            text = f"{h}/{d}" if d else "aucune\néchéance"
            ax.text(
                bar.get_x() + bar.get_width() / 2, 0 if np.isnan(s) else s, text, ha="center", va="bottom", fontsize=7
            )
    ax.set_xticks(x, views.group_labels("contract_tier", rates["contract_tier"]))
    ax.set_ylabel("% des échéances passées")
    ax.set_title("Taux de dépassement SLA par niveau de contrat (dépassées / échéances passées)")
    ax.legend(frameon=False, fontsize=8)
    return fig


def open_backlog(backlog: pd.DataFrame) -> Figure:
    """Tickets not yet resolved over event time (`operations.open_backlog`), with the count at the end."""
    fig, (ax,) = _fig(9, 3.4)
    at = pd.to_datetime(backlog["at"], utc=True)
    if backlog.empty:
        ax.text(0.5, 0.5, "aucun ticket", transform=ax.transAxes, ha="center", color="gray")
    else:
        ax.step(at, backlog["open"], where="post", color="#1f77b4")
        ax.fill_between(at, backlog["open"], step="post", alpha=0.15, color="#1f77b4")
        ax.annotate(
            f"{int(backlog['open'].iloc[-1])} non résolus",
            (at.iloc[-1], backlog["open"].iloc[-1]),
            textcoords="offset points",
            xytext=(-6, 6),
            ha="right",
            fontsize=8,
        )
    ax.set_ylabel("tickets non résolus")
    ax.set_xlabel("heure d'événement (UTC)")
    ax.set_title("Backlog ouvert dans le temps (créés, pas encore résolus)")
    fig.autofmt_xdate()
    return fig


def history_comparison(comparison: pd.DataFrame) -> Figure:
    """Hours from creation to closing per priority: p50 bars and p90 marks, on-premise history beside the stream."""
    priorities = list(dict.fromkeys(comparison["priority"]))
    fig, (ax,) = _fig(8, 3.4)
    x = np.arange(len(priorities))
    for i, source in enumerate((ops.HISTORY, ops.STREAM)):
        rows = comparison[comparison["source"] == source].set_index("priority").reindex(priorities)
        offset = x + (i - 0.5) * 0.38
        ax.bar(
            offset, rows["p50_h"].fillna(0), 0.38, color=SOURCE_COLORS[source], label=f"{views.SOURCE[source]} (p50)"
        )
        ax.scatter(offset, rows["p90_h"], marker="_", s=200, color="black", zorder=3, label="p90" if i else None)
        for xi, n in zip(offset, rows["tickets"].fillna(0).astype(int), strict=True):
            ax.text(xi, 0, f"n={n}", ha="center", va="bottom", fontsize=7, color="white" if n else "black")
    ax.set_xticks(x, views.group_labels("priority", priorities))
    ax.set_ylabel("heures de la création à la clôture")
    ax.set_title("Délai de clôture par priorité : historique on-premise vs flux temps réel")
    fig.legend(frameon=False, fontsize=8, ncols=3, loc="outside lower center")
    return fig


# --- exercise 1 (notebook 3) ----------------------------------------------------------------------


def cost_comparison(summary: pd.DataFrame) -> Figure:
    """3-year cost of each option, for today's volume and for ×10 (from the architecture's cost summary)."""
    fig, (ax,) = _fig(8, 3.4)
    scenarios = list(dict.fromkeys(summary["Scénario"]))
    options = list(dict.fromkeys(summary["Option"]))
    width = 0.8 / len(options)
    colors = ["#1f77b4", "#7f7f7f", "#2ca02c", "#ff7f0e"]
    for i, option in enumerate(options):
        rows = summary[summary["Option"] == option].set_index("Scénario").reindex(scenarios)
        values = rows["3 ans (€)"].to_numpy() / 1000
        x = np.arange(len(scenarios)) + (i - (len(options) - 1) / 2) * width
        ax.bar(x, values, width, label=option, color=colors[i % len(colors)])
        for xi, v in zip(x, values, strict=True):
            ax.text(xi, v, f"{v:,.0f} k€".replace(",", " "), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(scenarios)), scenarios)
    ax.set_ylabel("coût sur 3 ans (k€)")
    ax.set_title("Coût sur 3 ans : hybride (cloud) vs tout on-premise")
    ax.legend(frameon=False, fontsize=8)
    return fig


def mermaid_image(source: str, name: str) -> Path:
    """Render Mermaid `source` offline (mermaid-cli + Chromium) to figures/<name>.png; keeps the .mmd beside it."""
    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    mmd = folder / f"{name}.mmd"
    mmd.write_text(source, encoding="utf-8")
    return render_mermaid(mmd, folder / f"{name}.png")


# --- sensitivity of the architecture decision (notebooks 2 and 3) -----------------------------------


def _short(label: str) -> str:
    return label.split(" (")[0]


def weight_sensitivity(
    tornado: pd.DataFrame, base_margin: float, winner: str, wins: dict[str, float], draws: int
) -> Figure:
    """Left: the winner's lead when each criterion weight moves ±25 % (tornado); right: wins over random weightings."""
    fig, (left, right) = _fig(10, 3.8, ncols=2)
    pivot = tornado.pivot_table(index="critère", columns="facteur", values="marge")
    low_factor, high_factor = sorted(pivot.columns)
    swing = (pivot[high_factor] - pivot[low_factor]).abs().sort_values()
    pivot = pivot.loc[swing.index]
    y = np.arange(len(pivot))
    left.barh(
        y,
        pivot[low_factor] - base_margin,
        left=base_margin,
        color="#9ecae1",
        label=f"poids × {low_factor:.2f}".replace(".", ","),
    )
    left.barh(
        y,
        pivot[high_factor] - base_margin,
        left=base_margin,
        color="#3182bd",
        label=f"poids × {high_factor:.2f}".replace(".", ","),
    )
    left.axvline(base_margin, color="black", lw=0.8)
    left.axvline(0, color="#d62728", ls="--", lw=1, label="bascule (avance nulle)")
    left.set_yticks(y, [_short(c) for c in pivot.index], fontsize=8)
    left.set_xlim(min(0, pivot.min().min()) - 0.01, max(base_margin, pivot.max().max()) * 1.15)
    left.set_xlabel(f"avance de {winner} sur le 2e (points sur 5)")
    left.set_title("Poids d'un critère à ±25 %")
    left.grid(axis="x", alpha=0.3)
    left.legend(frameon=False, fontsize=7, loc="lower right")
    names = list(wins)
    shares = [wins[n] * 100 for n in names]
    bars = right.bar(names, shares, color=["#1f77b4" if n == winner else "#bdbdbd" for n in names])
    for bar, share in zip(bars, shares, strict=True):
        right.text(bar.get_x() + bar.get_width() / 2, share, f"{share:.0f} %", ha="center", va="bottom", fontsize=8)
    right.set_ylim(0, 105)
    right.set_ylabel("% des pondérations gagnées")
    right.set_title(f"{draws:,} pondérations tirées au hasard".replace(",", " "))
    return fig


def price_sensitivity(tornado: pd.DataFrame, base_gap: float, top: int = 8) -> Figure:
    """The hybrid option's 3-year advantage over on-premise when each unit price moves ±20 % (largest swings)."""
    rows = tornado.head(top).iloc[::-1]
    low = base_gap + rows["on-premise −"] - rows["hybride −"]
    high = base_gap + rows["on-premise +"] - rows["hybride +"]
    fig, (ax,) = _fig(9, 3.6)
    y = np.arange(len(rows))
    ax.barh(y, (low - base_gap) / 1000, left=base_gap / 1000, color="#9ecae1", label="prix × 0,8")
    ax.barh(y, (high - base_gap) / 1000, left=base_gap / 1000, color="#3182bd", label="prix × 1,2")
    ax.axvline(base_gap / 1000, color="black", lw=0.8)
    ax.axvline(0, color="#d62728", ls="--", lw=1, label="bascule : l'on-premise devient moins cher")
    labels_ = [label if len(label) <= 45 else label[:44] + "…" for label in rows["prix unitaire"]]
    ax.set_yticks(y, labels_, fontsize=8)
    ax.set_xlim(min(0, low.min(), high.min()) / 1000 - 10, max(low.max(), high.max()) / 1000 * 1.1)
    ax.set_xlabel("économie sur 3 ans de l'hybride face au tout on-premise (k€)")
    ax.set_title("Prix unitaires à ±20 % : l'avantage de l'hybride sur 3 ans")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    return fig
