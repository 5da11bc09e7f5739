"""Support operations on tiny hand-built ticket_status / ticket_events frames; every expected value worked out by hand."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from hybridflow.report import operations as ops
from hybridflow.report.errors import ReportError

T0 = pd.Timestamp("2026-01-31T08:00:00Z")


def at(hours: float) -> pd.Timestamp:
    """T0 + `hours`."""
    return T0 + pd.Timedelta(hours=hours)


def ticket(ticket_id: str, tier: str, team: str, priority: str, created: float, **fields) -> dict:
    """One ticket_status row; times are hours after T0 (None = not yet), deadlines from the tier's SLA hours."""
    sla = {"platinum": (1, 8), "gold": (2, 24), "silver": (4, 48), "bronze": (8, 120)}[tier]
    row = {
        "ticket_id": ticket_id,
        "client_id": f"C-{ticket_id}",
        "created_at": at(created),
        "contract_tier": tier,
        "team_id": team,
        "priority": priority,
        "status": "open",
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "reopen_count": 0,
        "first_response_deadline": at(created + sla[0]),
        "resolution_deadline": at(created + sla[1]),
        "first_response_breached": False,
        "resolution_breached": False,
    }
    for name, value in fields.items():
        row[name] = at(value) if name.endswith("_at") and value is not None else value
    return row


def frame(*rows: dict) -> pd.DataFrame:
    """ticket_status as the lake returns it: UTC timestamps, nullable times as NaT."""
    status = pd.DataFrame(list(rows))
    for column in ("created_at", "first_response_at", "resolved_at", "closed_at"):
        status[column] = pd.to_datetime(status[column], utc=True)
    return status


def events(*rows: tuple[str, str, float]) -> pd.DataFrame:
    """ticket_events rows (ticket_id, event_type, hours after T0)."""
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(rows))],
            "ticket_id": [r[0] for r in rows],
            "event_type": [r[1] for r in rows],
            "occurred_at": pd.to_datetime([at(r[2]) for r in rows], utc=True),
        }
    )


@pytest.fixture
def status() -> pd.DataFrame:
    """A: platinum, answered in 0.5 h, resolved in 4 h, closed. B: platinum, answered in 2 h (> 1 h SLA) and
    resolved in 9 h (> 8 h SLA). C: gold, answered in 1 h, still in progress. D: bronze, never answered."""
    return frame(
        ticket("A", "platinum", "T-TECH", "critical", 0, first_response_at=0.5, resolved_at=4, closed_at=6,
               status="closed"),
        ticket("B", "platinum", "T-BILL", "high", 1, first_response_at=3, resolved_at=10, status="resolved",
               first_response_breached=True, resolution_breached=True),
        ticket("C", "gold", "T-TECH", "medium", 2, first_response_at=3, status="in_progress"),
        ticket("D", "bronze", "T-DESK", "low", 3),
    )  # fmt: skip


@pytest.fixture
def lifecycle() -> pd.DataFrame:
    """The events behind the `status` fixture."""
    return events(
        ("A", "first_response", 0.5),
        ("A", "resolved", 4),
        ("A", "closed", 6),
        ("B", "first_response", 3),
        ("B", "resolved", 10),
        ("C", "first_response", 3),
    )


# --- now ----------------------------------------------------------------------------------------


def test_now_is_the_latest_event_time_in_either_table(status, lifecycle):
    assert ops.event_time_now(status) == at(3)  # latest creation
    assert ops.event_time_now(status, lifecycle) == at(10)  # B's resolution
    assert ops.event_time_now(pd.DataFrame()) is None


# --- delays -------------------------------------------------------------------------------------


def test_response_times_by_tier(status):
    table = ops.response_times(status).set_index("contract_tier")
    assert list(table.index) == ["platinum", "gold", "bronze", ops.ALL]  # tier order, absent silver left out
    platinum = table.loc["platinum"]
    # first responses 0.5 h and 2 h: p50 halfway, p90 = 0.5 + 0.9 * 1.5
    assert platinum["first_response_n"] == 2
    assert platinum["first_response_p50_h"] == pytest.approx(1.25)
    assert platinum["first_response_p90_h"] == pytest.approx(1.85)
    # resolutions 4 h (A, closed) and 9 h (B, resolved)
    assert platinum["resolution_n"] == 2
    assert platinum["resolution_p50_h"] == pytest.approx(6.5)
    assert platinum["resolution_p90_h"] == pytest.approx(8.5)
    assert table.loc["gold", "first_response_n"] == 1 and table.loc["gold", "resolution_n"] == 0
    assert math.isnan(table.loc["gold", "resolution_p50_h"])
    assert table.loc["bronze", "first_response_n"] == 0
    # all: 0.5, 1, 2 h -> p50 1 h, p90 at rank 1.8 = 1 + 0.8 * (2 - 1)
    assert table.loc[ops.ALL, "first_response_p50_h"] == pytest.approx(1.0)
    assert table.loc[ops.ALL, "first_response_p90_h"] == pytest.approx(1.8)


def test_response_times_by_team(status):
    table = ops.response_times(status, by="team_id").set_index("team_id")
    assert list(table.index) == ["T-BILL", "T-TECH", "T-DESK", ops.ALL]
    assert table.loc["T-TECH", "first_response_n"] == 2  # A (0.5 h) and C (1 h)
    assert table.loc["T-TECH", "first_response_p50_h"] == pytest.approx(0.75)
    assert table.loc["T-TECH", "resolution_n"] == 1 and table.loc["T-TECH", "resolution_p50_h"] == pytest.approx(4)


def test_a_reopened_ticket_counts_as_resolved_only_once_resolved_again():
    reopened = frame(
        ticket("R", "gold", "T-ACCT", "medium", 0, first_response_at=1, resolved_at=5, status="open", reopen_count=1)
    )
    assert ops.response_times(reopened).set_index("contract_tier").loc["gold", "resolution_n"] == 0
    again = reopened.assign(status="resolved")
    assert ops.response_times(again).set_index("contract_tier").loc["gold", "resolution_p50_h"] == pytest.approx(5)


# --- SLA breaches -------------------------------------------------------------------------------


def test_breach_rates_count_only_the_deadlines_passed(status):
    rates = ops.breach_rates(status, at(10)).set_index("contract_tier")
    # first-response deadlines: A 1 h, B 2 h (breached), C 4 h passed; D at 11 h not yet
    assert rates.loc["platinum", ["first_response_due", "first_response_breached"]].tolist() == [2, 1]
    assert rates.loc["platinum", "first_response_rate"] == pytest.approx(0.5)
    assert rates.loc["gold", "first_response_rate"] == 0
    assert rates.loc["bronze", "first_response_due"] == 0 and math.isnan(rates.loc["bronze", "first_response_rate"])
    assert rates.loc[ops.ALL, "first_response_rate"] == pytest.approx(1 / 3)
    # resolution deadlines: A 8 h, B 9 h (breached) passed; C at 26 h and D at 123 h not yet
    assert rates.loc[ops.ALL, ["resolution_due", "resolution_breached"]].tolist() == [2, 1]


def test_a_deadline_still_ahead_is_not_judged_even_when_met(status):
    rates = ops.breach_rates(status, at(3.5)).set_index("contract_tier")
    # C answered at 3 h, before its 4 h deadline, but that deadline is still ahead: left out
    assert rates.loc["gold", "first_response_due"] == 0
    assert rates.loc[ops.ALL, ["first_response_due", "first_response_breached"]].tolist() == [2, 1]


def test_breaches_from_the_topic_and_their_reconciliation(status):
    def record(ticket_id: str, kind: str, deadline: float) -> str:
        return json.dumps(
            {"ticket_id": ticket_id, "kind": kind, "deadline": at(deadline).isoformat(), "client_id": "C-" + ticket_id,
             "contract_tier": "platinum", "team": "T-BILL", "priority": "high", "watermark": at(11).isoformat()}
        )  # fmt: skip

    breaches = ops.parse_breaches([record("B", "first_response", 2), record("B", "resolution", 9)])
    assert breaches["kind"].tolist() == ["resolution", "first_response"]  # latest deadline first
    assert breaches["deadline"].iloc[0] == at(9)
    both = ops.breach_reconciliation(status, breaches).set_index("kind")
    assert both[["flagged", "records", "only_in_table", "only_in_topic"]].sum().tolist() == [2, 2, 0, 0]
    # a repeated record and a flag the topic never got
    flagged_c = status.assign(first_response_breached=status["ticket_id"].isin(["B", "C"]))
    repeated = ops.parse_breaches([record("B", "first_response", 2)] * 2)
    first = ops.breach_reconciliation(flagged_c, repeated).set_index("kind").loc["first_response"]
    assert first[["flagged", "records", "distinct", "only_in_table", "only_in_topic"]].tolist() == [2, 2, 1, 1, 0]


# --- open backlog -------------------------------------------------------------------------------


@pytest.fixture
def reopened() -> tuple[pd.DataFrame, pd.DataFrame]:
    """X: open 0.5 h -> 2 h, then closed. Y: open 1 h -> 1.5 h, reopened at 2.5 h, resolved again at 4 h."""
    status = frame(
        ticket("X", "silver", "T-TECH", "medium", 0.5, resolved_at=2, closed_at=3, status="closed"),
        ticket("Y", "silver", "T-BILL", "high", 1, resolved_at=4, status="resolved", reopen_count=1),
    )
    lifecycle = events(
        ("X", "resolved", 2), ("X", "closed", 3), ("Y", "resolved", 1.5), ("Y", "reopened", 2.5), ("Y", "resolved", 4)
    )  # fmt: skip
    return status, lifecycle


def test_open_backlog_follows_reopens_with_the_events(reopened):
    status, lifecycle = reopened
    backlog = ops.open_backlog(status, lifecycle, now=at(4.5))
    assert backlog["at"].tolist() == [at(0), at(1), at(2), at(3), at(4), at(4.5)]
    # 0 h: none yet; 1 h: X and Y; 2 h: both resolved; 3 h: Y reopened; 4 h and after: Y resolved again
    assert backlog["open"].tolist() == [0, 2, 0, 1, 0, 0]


def test_open_backlog_without_events_counts_a_reopened_ticket_open_until_its_last_resolution(reopened):
    status, _ = reopened
    assert ops.open_backlog(status, now=at(4.5))["open"].tolist() == [0, 2, 1, 1, 0, 0]


def test_open_backlog_ends_at_the_tickets_still_open(status, lifecycle):
    backlog = ops.open_backlog(status, lifecycle)
    assert backlog["at"].iloc[-1] == at(10)
    assert backlog["open"].iloc[-1] == ops.open_tickets(status) == 2  # C and D


def test_open_backlog_when_every_ticket_is_open():
    status = frame(*(ticket(f"O{i}", "bronze", "T-DESK", "low", i) for i in range(3)))
    backlog = ops.open_backlog(status, events(), now=at(2.5), step="1h")
    assert backlog["open"].tolist() == [1, 2, 3, 3]  # each created on the hour, none resolved


# --- tickets at risk ----------------------------------------------------------------------------


def test_at_risk_lists_open_tickets_whose_next_deadline_is_within_the_hour():
    status = frame(
        ticket("D", "bronze", "T-DESK", "low", 3),  # first response due at 11 h: in 60 min
        ticket("F", "platinum", "T-ACCT", "high", 2.5, first_response_at=3, status="in_progress"),  # resolution 10.5 h
        # first response missed (due 9 h, not answered): its next deadline is the resolution one, at 10.75 h
        ticket("G", "platinum", "T-TECH", "critical", 8, resolution_deadline=at(10.75)),
        ticket("H", "platinum", "T-BILL", "high", 2.2, first_response_at=3, resolved_at=5, status="resolved"),
        ticket("I", "gold", "T-TECH", "medium", 9.5, first_response_at=10),  # resolution at 33.5 h
    )
    risk = ops.at_risk(status, at(10))
    assert risk["ticket_id"].tolist() == ["F", "G", "D"]
    assert risk["deadline_kind"].tolist() == [ops.RESOLUTION, ops.RESOLUTION, ops.FIRST_RESPONSE]
    assert risk["minutes_left"].round(6).tolist() == [30, 45, 60]
    assert ops.at_risk(status, at(10), horizon="40min")["ticket_id"].tolist() == ["F"]


# --- against the on-premise history -------------------------------------------------------------


def test_resolution_vs_history_by_priority(status):
    history = pd.DataFrame(
        {
            "created_at": pd.to_datetime([at(0)] * 6, utc=True),
            # critical: 2, 4, 6 h; high: 10 h; one never closed and one closed "before" it was created
            "closed_at": pd.to_datetime([at(2), at(4), at(6), at(10), None, at(-2)], utc=True),
            "priority": ["critical", "critical", "critical", "high", "low", "low"],
        }
    )
    table = ops.resolution_vs_history(status, history).set_index(["priority", "source"])
    assert table.loc[("critical", ops.HISTORY), "tickets"] == 3
    assert table.loc[("critical", ops.HISTORY), "p50_h"] == pytest.approx(4)
    assert table.loc[("critical", ops.HISTORY), "p90_h"] == pytest.approx(5.6)  # 4 + 0.8 * 2
    assert table.loc[("critical", ops.STREAM), ["tickets", "p50_h"]].tolist() == [1, 6]  # A: created 0 h, closed 6 h
    assert table.loc[("high", ops.STREAM), "tickets"] == 0  # B is resolved, not closed
    assert table.loc[("low", ops.HISTORY), "tickets"] == 0
    # history overall: 2, 4, 6, 10 h -> p90 at rank 2.7 = 6 + 0.7 * 4
    assert table.loc[(ops.ALL, ops.HISTORY), "p90_h"] == pytest.approx(8.8)
    by_resolution = ops.resolution_vs_history(status, history, stream_end="resolved_at").set_index(
        ["priority", "source"]
    )
    assert by_resolution.loc[("high", ops.STREAM), ["tickets", "p50_h"]].tolist() == [1, 9]


# --- the headline numbers -----------------------------------------------------------------------


def test_summary_gathers_the_same_figures(status, lifecycle):
    summary = ops.summarise(status, lifecycle)
    assert summary.now == at(10) and summary.tickets == 4 and summary.events == 6
    assert summary.first_response_rate == pytest.approx(1 / 3) and summary.resolution_rate == pytest.approx(1 / 2)
    assert summary.resolution_p50_h == pytest.approx(6.5)
    assert summary.open_tickets == 2
    assert summary.at_risk == 1  # D: first response due at 11 h


# --- edge and failure cases ---------------------------------------------------------------------


def test_empty_tables_give_empty_or_zero_results():
    empty = pd.DataFrame()  # what LakeTable.to_pandas returns before the first commit
    assert ops.open_backlog(empty).empty and ops.at_risk(empty, None).empty
    assert ops.response_times(empty)["contract_tier"].tolist() == [ops.ALL]
    assert ops.breach_rates(empty, None).loc[0, ["first_response_due", "resolution_due"]].tolist() == [0, 0]
    assert ops.resolution_vs_history(empty, empty)["tickets"].tolist() == [0, 0]
    summary = ops.summarise(empty)
    assert summary.now is None and summary.tickets == 0 and summary.first_response_rate is None
    assert ops.parse_breaches([]).empty


def test_all_open_tickets_have_no_resolution_and_no_breach_yet():
    status = frame(*(ticket(f"O{i}", "gold", "T-BILL", "medium", i) for i in range(3)))
    overall = ops.response_times(status).set_index("contract_tier").loc[ops.ALL]
    assert overall["resolution_n"] == 0 and math.isnan(overall["resolution_p50_h"])
    rates = ops.breach_rates(status, at(2.5)).set_index("contract_tier").loc[ops.ALL]
    assert rates["first_response_due"] == 1 and rates["first_response_breached"] == 0  # only O0's 2 h deadline
    assert ops.open_tickets(status) == 3


def test_a_table_missing_columns_names_them():
    with pytest.raises(ReportError, match="resolved_at"):
        ops.response_times(pd.DataFrame({"ticket_id": ["A"], "created_at": [T0]}))
    with pytest.raises(ReportError, match="occurred_at"):
        ops.open_backlog(frame(ticket("A", "gold", "T-BILL", "low", 0)), pd.DataFrame({"ticket_id": ["A"]}))
