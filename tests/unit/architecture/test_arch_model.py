"""The model's data holds together: every reference resolves, every need has one choice, nothing is left uncovered."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from hybridflow.architecture.data import build_architecture
from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import CLOUDS, Architecture, CostOption, Location
from hybridflow.architecture.schematics import node_factory
from hybridflow.architecture.scoring import chosen


def _systems(arch: Architecture) -> set[str]:
    return {s.id for s in arch.systems}


def test_ids_are_unique(arch: Architecture) -> None:
    for items in (
        arch.systems,
        arch.needs,
        arch.candidates,
        arch.flows,
        arch.zones,
        arch.prices,
        arch.volumes,
        arch.cost_lines,
        arch.critical_paths,
        arch.criteria,
    ):
        ids = [i.id for i in items]
        assert len(ids) == len(set(ids)), ids


def test_system_and_need_ids_do_not_collide(arch: Architecture) -> None:
    assert not _systems(arch) & {n.id for n in arch.needs}


def test_every_flow_endpoint_exists(arch: Architecture) -> None:
    nodes = arch.node_ids
    for flow in arch.flows:
        assert flow.source in nodes, flow.id
        assert flow.target in nodes, flow.id
        assert flow.source != flow.target, flow.id


def test_flows_only_cross_network_needs(arch: Architecture) -> None:
    for flow in arch.flows:
        for hop in flow.via:
            assert arch.zone(arch.need(hop).zone).location is Location.NETWORK, (flow.id, hop)


def test_flows_leaving_the_premises_cross_the_link(arch: Architecture) -> None:
    """A flow between an on-premise system and a cloud component must say which link it uses."""

    def location(node: str) -> Location:
        zone = arch.system(node).zone if node in _systems(arch) else arch.need(node).zone
        return arch.zone(zone).location

    for flow in arch.flows:
        ends = {location(flow.source), location(flow.target)}
        if ends == {Location.ON_PREMISE, Location.CLOUD}:
            assert flow.via, flow.id


def test_every_need_has_exactly_one_chosen_component(arch: Architecture) -> None:
    picks = chosen(arch)
    assert set(picks) == {n.id for n in arch.needs}
    for need_id, candidate in picks.items():
        assert candidate.need == need_id
        assert sum(1 for c in arch.candidates_for(need_id) if c is candidate) == 1


def test_every_production_need_is_compared_across_the_three_clouds(arch: Architecture) -> None:
    for need in arch.needs:
        if need.production:
            providers = {c.provider for c in arch.candidates_for(need.id)}
            assert set(CLOUDS) <= providers, need.id


def test_every_candidate_scores_every_criterion_between_1_and_5(arch: Architecture) -> None:
    criteria = {c.id for c in arch.criteria}
    for cand in arch.candidates:
        assert set(cand.scores) == criteria, cand.id
        assert all(1 <= v <= 5 for v in cand.scores.values()), cand.id


def test_weights_add_up_to_one(arch: Architecture) -> None:
    assert math.isclose(sum(c.weight for c in arch.criteria), 1.0)


def test_zones_and_icons_resolve(arch: Architecture) -> None:
    zones = {z.id for z in arch.zones}
    assert {s.zone for s in arch.systems} <= zones
    assert {n.zone for n in arch.needs} <= zones
    for icon in {s.icon for s in arch.systems} | {c.icon for c in arch.candidates}:
        assert callable(node_factory(icon)), icon


def test_unknown_icon_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="does not exist"):
        node_factory("onprem.queue.NoSuchBroker")


def test_redpanda_icon_ships_with_the_package(arch: Architecture) -> None:
    broker = chosen(arch)["streaming_broker"]
    assert broker.icon.startswith("custom:")
    node_factory(broker.icon)  # raises if the PNG is missing


def test_data_flows_state_rpo_and_rto(arch: Architecture) -> None:
    for flow in arch.flows:
        if flow.kind.carries_data:
            assert flow.rpo_minutes is not None and flow.rto_minutes is not None, flow.id
            assert flow.rpo_minutes >= 0 and flow.rto_minutes > 0, flow.id


def test_references_of_controls_paths_and_lifecycle_exist(arch: Architecture) -> None:
    nodes = arch.node_ids
    for control in arch.security_controls:
        assert set(control.applies_to) <= nodes, control.control
    for path in arch.critical_paths:
        assert all(set(stage) <= nodes and stage for stage in path.stages), path.id
    for source, target, _ in arch.ticket_lifecycle:
        assert {source, target} <= nodes


def test_slas_and_prices_name_a_source_and_a_date(arch: Architecture) -> None:
    slas = [s.sla for s in arch.systems] + [c.sla for c in arch.candidates if c.sla]
    for sla in slas:
        assert 0.9 < sla.availability < 1.0
        assert sla.source.strip()
        dt.date.fromisoformat(sla.as_of)
    for price in arch.prices:
        assert price.amount > 0 and price.source.strip(), price.id
        dt.date.fromisoformat(price.as_of)


def test_compatibility_covers_every_touching_pair_exactly(arch: Architecture) -> None:
    """Each (chosen component, existing system) pair joined by a flow has one verdict, and no verdict is stale."""
    systems = _systems(arch)
    touching = set()
    for flow in arch.flows:
        if flow.source in systems and flow.target not in systems:
            touching.add((flow.target, flow.source))
        if flow.target in systems and flow.source not in systems:
            touching.add((flow.source, flow.target))
    rows = [(c.need, c.system) for c in arch.compatibility]
    assert len(rows) == len(set(rows)), "duplicate compatibility rows"
    assert set(rows) == touching


def test_compatibility_rows_were_written_for_the_chosen_component(arch: Architecture) -> None:
    picks = chosen(arch)
    for row in arch.compatibility:
        assert row.assessed_candidate == picks[row.need].id, (row.need, row.system)


def test_hybrid_cost_lines_price_chosen_components(arch: Architecture) -> None:
    chosen_ids = {c.id for c in chosen(arch).values()}
    for line in arch.cost_lines:
        arch.price(line.price)
        for volume_id, _ in line.terms:
            arch.volume(volume_id)
        if line.option is CostOption.HYBRID and line.candidate:
            assert line.candidate in chosen_ids, line.id


def test_unknown_reference_names_the_fix(arch: Architecture) -> None:
    with pytest.raises(ModelError, match=r"data\.py"):
        arch.need("teleporter")


def test_the_model_names_the_users_topics_and_trigger(settings) -> None:
    mine = settings.with_(topic_tickets="acme_tickets", topic_dlq="acme_dlq", trigger_interval="7 seconds")
    arch = build_architecture(mine)
    tickets_in = next(f for f in arch.flows if f.id == "tickets_in")
    assert tickets_in.label == "Tickets JSON (acme_tickets)"
    lifecycle = " | ".join(text for _, _, text in arch.ticket_lifecycle)
    assert "produce(acme_tickets," in lifecycle and "acme_dlq" in lifecycle and "'7 seconds'" in lifecycle
    assert "{" not in lifecycle  # every placeholder filled in


def test_the_lifecycle_topics_query_and_tables_are_flows_of_the_model(settings) -> None:
    from hybridflow import lake
    from hybridflow.architecture import mermaid
    from hybridflow.architecture.model import FlowKind

    mine = settings.with_(
        topic_events="acme_events", topic_breaches="acme_breaches", lifecycle_watermark_delay="7 minutes"
    )
    arch = build_architecture(mine)
    flows = {f.id: f for f in arch.flows}
    assert flows["events_in"].label == "Événements de cycle de vie (acme_events)"
    assert flows["breaches_out"].label == "Dépassements SLA (acme_breaches)"
    assert (flows["breaches_out"].source, flows["breaches_out"].target) == ("processing", "streaming_broker")
    assert all(flows[f].kind is FlowKind.REALTIME for f in ("events_in", "lifecycle_read", "breaches_out"))
    flowchart, sequence = mermaid.flowchart_source(arch), mermaid.sequence_source(arch)
    for name in ("acme_events", "acme_breaches", *(table.name for table in lake.LIFECYCLE_TABLES)):
        assert name in flowchart and name in sequence, name
    assert "cycle de vie" in flowchart and "'7 minutes'" in sequence
