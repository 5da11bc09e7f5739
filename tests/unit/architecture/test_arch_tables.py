"""Tables are rendered from the model: they follow it when it changes, and their text is French."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hybridflow.architecture import costs, tables
from hybridflow.architecture.model import Architecture, CostOption
from hybridflow.architecture.scoring import chosen


@pytest.mark.parametrize("name", list(tables.TABLES))
def test_every_table_is_a_non_empty_dataframe(arch: Architecture, name: str) -> None:
    df = tables.TABLES[name](arch)
    assert isinstance(df, pd.DataFrame)
    assert len(df) > 0 and len(df.columns) > 0


def test_scoring_matrix_marks_one_choice_per_need(arch: Architecture) -> None:
    df = tables.scoring_matrix(arch)
    assert len(df) == len(arch.candidates)
    picks = df[df["Choisi"] == "✔"]
    assert sorted(picks["Besoin"]) == sorted(n.label for n in arch.needs)
    assert set(picks["Candidat"]) == {c.name for c in chosen(arch).values()}
    assert {c.label for c in arch.criteria} <= set(df.columns)


def test_cloud_comparison_has_a_row_per_production_need_and_a_mean(arch: Architecture) -> None:
    df = tables.cloud_comparison(arch)
    assert len(df) == sum(n.production for n in arch.needs) + 1
    assert list(df.columns) == ["Besoin", "AWS", "Azure", "GCP"]
    assert df.iloc[-1][["AWS", "Azure", "GCP"]].str.contains("✔").sum() == 1


def test_compatibility_matrix_rows_and_verdicts(arch: Architecture) -> None:
    df = tables.compatibility_matrix(arch)
    assert len(df) == len(arch.compatibility)
    assert set(df["Verdict"]) <= {"Natif", "Adaptateur nécessaire", "Bloquant"}
    for column in (
        "Protocole",
        "Port",
        "Authentification",
        "Chiffrement",
        "Sens",
        "Fréquence",
        "Risque",
        "Atténuation",
    ):
        assert df[column].str.len().min() > 0, column


def test_cost_summary_follows_a_price_change(arch: Architecture) -> None:
    line = next(cl for cl in arch.cost_lines if cl.option is CostOption.HYBRID and not cl.one_time and not cl.terms)
    price = arch.price(line.price)
    dearer = dataclasses.replace(
        arch, prices=tuple(dataclasses.replace(p, amount=p.amount * 2) if p.id == price.id else p for p in arch.prices)
    )
    before = tables.cost_summary(arch).set_index(["Scénario", "Option"])
    after = tables.cost_summary(dearer).set_index(["Scénario", "Option"])
    hybrid = CostOption.HYBRID.label
    on_prem = CostOption.ON_PREMISE.label
    volumes = {v.id: v.value for v in arch.volumes}
    delta = sum(
        (cl.fixed + sum(volumes[v] * f for v, f in cl.terms)) * price.amount
        for cl in arch.cost_lines
        if cl.price == price.id and cl.option is CostOption.HYBRID and not cl.one_time
    )
    assert after.loc[("Volume actuel", hybrid), "Mensuel (€)"] - before.loc[
        ("Volume actuel", hybrid), "Mensuel (€)"
    ] == pytest.approx(delta, abs=1)
    if not any(cl.price == price.id for cl in arch.cost_lines if cl.option is CostOption.ON_PREMISE):
        assert after.loc[("Volume actuel", on_prem), "3 ans (€)"] == before.loc[("Volume actuel", on_prem), "3 ans (€)"]


def test_cost_lines_table_shows_both_scenarios(arch: Architecture) -> None:
    df = tables.cost_lines(arch)
    assert len(df) == len(arch.cost_lines)
    growth = f"Montant ×{costs.GROWTH_FACTOR:g}"
    assert (df[growth] >= df["Montant"]).all()


def test_critical_paths_table_flags_targets(arch: Architecture) -> None:
    df = tables.critical_paths(arch)
    for _, row in df.iterrows():
        assert row["Cible atteinte"] == ("oui" if row["Disponibilité calculée"] >= row["Cible"] else "non")


def test_adding_a_system_and_flow_shows_up_in_the_tables(arch: Architecture) -> None:
    from hybridflow.architecture.model import Compatibility, ExistingSystem, Flow, FlowKind, Sla, Verdict

    mes = ExistingSystem(
        "mes",
        "MES des usines",
        "onprem_dc",
        "onprem.compute.Server",
        "Pilotage atelier.",
        Sla(0.999, "Hypothèse", "2026-11-25"),
    )
    flow = Flow(
        "mes_in",
        "mes",
        "streaming_broker",
        "Ordres de fabrication",
        FlowKind.REALTIME,
        ("network_link",),
        rpo_minutes=0,
        rto_minutes=15,
    )
    compat = Compatibility(
        "streaming_broker",
        "mes",
        chosen(arch)["streaming_broker"].id,
        "Kafka",
        "9093",
        "SASL",
        "TLS",
        "on-prem → cloud",
        "continu",
        Verdict.NATIVE,
        "r",
        "m",
    )
    bigger = dataclasses.replace(
        arch, systems=(*arch.systems, mes), flows=(*arch.flows, flow), compatibility=(*arch.compatibility, compat)
    )
    assert "Ordres de fabrication" in set(tables.recovery_objectives(bigger)["Flux"])
    assert "MES des usines" in set(tables.compatibility_matrix(bigger)["Système existant"])
    assert "MES des usines" in set(tables.sla_table(bigger)["Élément"])


def test_context_states_the_initial_transfer_time_from_the_volumes(arch: Architecture) -> None:
    volumes = {v.id: v.value for v in arch.volumes}
    bits = (volumes["sqlserver_tb"] + volumes["san_tb"]) * 8e12
    days = bits / (volumes["link_gbps"] * 1e9 * 0.7) / 86_400
    row = tables.context_table(arch).query("Catégorie == 'Calculé'").iloc[0]
    assert row["Valeur"] == f"{days:.1f} jours"
