"""The per-ticket state machine: any order, duplication or lateness of the same events gives the same row.

The property tests deliver one ticket's events the way the stream can: in any order, some
twice, the ticket before, among or after its events, in micro-batches of any size, with the
watermark (highest event time seen minus the delay) firing the timers between batches. As long
as no event is later than the watermark delay, the final `ticket_status` row and the breaches
reported must be those of the same events delivered in order, all at once.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridflow.streaming import lifecycle_state as machine

HOUR = machine.HOUR_MS
T0 = 1_780_000_000_000
TTLS = machine.Ttls(orphan_ms=HOUR, closed_ms=24 * HOUR)
DELAY = 15 * 60_000  # the watermark delay of these tests


def ticket(ticket_id: str = "t1", first_response_hours: int = 2, resolution_hours: int = 24) -> dict:
    return {
        "ticket_id": ticket_id,
        "client_id": "C00001",
        "created_at": T0,
        "request_type": "billing",
        "priority": "high",
        "contract_tier": "gold",
        "client_known": True,
        "team_id": "T-BILL",
        "first_response_hours": first_response_hours,
        "resolution_hours": resolution_hours,
    }


def event(n: int, kind: str, at_ms: int, agent: int | None = 7) -> dict:
    return {
        "event_id": f"e{n:03d}",
        "event_type": kind,
        "occurred_at": at_ms,
        "agent_id": agent,
        "team_id": "T-BILL",
        "value": "{}",
        "partition": 0,
        "offset": n,
    }


class Run:
    """One ticket key driven like Spark drives it: batches of input, then every due timer in order.

    The watermark is the lower of the two inputs' (tickets, events) highest event time, minus the
    delay. Until this ticket arrives, the tickets input has not gone past its creation time (it is
    read in order, give or take the tickets' own small lateness), which holds the watermark back.
    """

    def __init__(self) -> None:
        self.state: dict | None = machine.load(None)
        self.timers: set[int] = set()
        self.rows: list[dict] = []
        self.watermark = -1
        self.ticket_seen = False

    def batch(self, tickets: list[dict], events: list[dict], key: str = "t1") -> None:
        seen = [t["created_at"] for t in tickets] + [e["occurred_at"] for e in events]
        if self.state is None:
            self.state = machine.load(None)
        if tickets or events:
            step = machine.on_input(self.state, key, tickets, events, TTLS)
            self._take(step)
        self.ticket_seen = self.ticket_seen or bool(tickets)
        if seen:
            highest = max(seen) if self.ticket_seen else min(max(seen), T0)
            self.watermark = max(self.watermark, highest - DELAY)
        self.fire(self.watermark, key)

    def fire(self, watermark: int, key: str = "t1") -> None:
        for expiry in sorted(t for t in self.timers if t <= watermark):
            self.timers.discard(expiry)
            if self.state is None:
                continue
            self._take(machine.on_timer(self.state, key, expiry, watermark, TTLS))

    def _take(self, step: machine.Step) -> None:
        self.state = step.state
        self.timers |= step.timers
        self.rows += step.rows

    def last_status(self) -> dict:
        return [r for r in self.rows if r["kind"] == machine.STATUS][-1]

    def of_kind(self, kind: str) -> list[dict]:
        return [r for r in self.rows if r["kind"] == kind]


def life(first_response_after_h: float, resolved_after_h: float | None, reopen: bool = False) -> list[dict]:
    """A causal life: assigned, first response, maybe resolved (and reopened, resolved again), closed."""
    at = lambda h: T0 + round(h * HOUR)  # noqa: E731
    events = [
        event(1, "assigned", at(first_response_after_h / 2)),
        event(2, "first_response", at(first_response_after_h)),
    ]
    if resolved_after_h is not None:
        events.append(event(3, "resolved", at(resolved_after_h)))
        if reopen:
            events += [
                event(4, "reopened", at(resolved_after_h + 1), agent=None),
                event(5, "resolved", at(resolved_after_h + 3)),
            ]
        events.append(event(9, "closed", at(resolved_after_h + 6)))
    return events


def all_at_once(events: list[dict], end_ms: int) -> Run:
    run = Run()
    run.batch([ticket()], sorted(events, key=lambda e: e["occurred_at"]))
    run.fire(end_ms)
    return run


END = T0 + 39 * HOUR  # past both deadlines of `ticket()` (2 h, 24 h), before a closed ticket (16 h) leaves the state


def test_an_answered_and_resolved_ticket_breaches_nothing_and_ends_closed():
    run = all_at_once(life(1.0, 10.0), END)
    row = run.last_status()
    assert row["status"] == machine.CLOSED and row["last_event_type"] == "closed"
    assert row["first_response_at"] == T0 + HOUR and row["resolved_at"] == T0 + 10 * HOUR
    assert not row["first_response_breached"] and not row["resolution_breached"]
    assert run.of_kind(machine.BREACH) == []
    assert [e["event_id"] for e in run.of_kind(machine.EVENT)] == ["e001", "e002", "e003", "e009"]


def test_a_late_first_response_breaches_once_with_its_deadline_and_the_contract():
    run = all_at_once(life(3.0, 10.0), END)  # gold: first response within 2 h
    breaches = run.of_kind(machine.BREACH)
    assert [(b["breach_kind"], b["deadline"]) for b in breaches] == [(machine.FIRST_RESPONSE, T0 + 2 * HOUR)]
    assert breaches[0]["contract_tier"] == "gold" and breaches[0]["team_id"] == "T-BILL"
    assert run.last_status()["first_response_breached"] and not run.last_status()["resolution_breached"]


def test_an_unresolved_ticket_breaches_resolution_when_the_watermark_passes_the_deadline_not_before():
    run = Run()
    run.batch([ticket()], life(1.0, None))
    run.fire(T0 + 24 * HOUR - 1)
    assert run.of_kind(machine.BREACH) == []
    run.fire(T0 + 24 * HOUR)
    assert [b["breach_kind"] for b in run.of_kind(machine.BREACH)] == [machine.RESOLUTION]
    assert run.last_status()["status"] == machine.IN_PROGRESS


def test_reopened_before_the_deadline_and_not_resolved_again_in_time_breaches_resolution():
    events = life(1.0, 20.0, reopen=True)  # resolved at 20 h, reopened at 21 h, resolved again at 23 h
    events[-2]["occurred_at"] = T0 + 30 * HOUR  # …no: resolved again only at 30 h, after the 24 h deadline
    events[-1]["occurred_at"] = T0 + 31 * HOUR
    run = all_at_once(events, END)
    assert [b["breach_kind"] for b in run.of_kind(machine.BREACH)] == [machine.RESOLUTION]
    row = run.last_status()
    assert row["reopen_count"] == 1 and row["resolved_at"] == T0 + 30 * HOUR and row["status"] == machine.CLOSED


def test_a_duplicated_event_id_changes_nothing():
    once = all_at_once(life(1.0, 10.0), END)
    twice = all_at_once(life(1.0, 10.0) + life(1.0, 10.0)[1:3], END)
    assert twice.last_status() == once.last_status()
    assert twice.of_kind(machine.EVENT) == once.of_kind(machine.EVENT)


def test_events_before_their_ticket_wait_then_apply_when_it_comes():
    run = Run()
    run.batch([], life(1.0, 10.0)[:2])
    assert run.of_kind(machine.EVENT) == [] and run.of_kind(machine.STATUS) == []
    run.batch([ticket()], [])
    assert [e["event_id"] for e in run.of_kind(machine.EVENT)] == ["e001", "e002"]
    assert run.last_status()["status"] == machine.IN_PROGRESS and run.last_status()["events"] == 2


def test_an_event_whose_ticket_never_comes_goes_to_the_dead_letters_after_the_ttl_and_leaves_the_state():
    run = Run()
    orphan = event(1, "assigned", T0)
    run.batch([], [orphan], key="ghost")
    run.fire(T0 + HOUR - 1, key="ghost")
    assert run.of_kind(machine.ORPHAN) == [] and run.state is not None
    run.fire(T0 + HOUR, key="ghost")
    assert [(o["ticket_id"], o["event_id"], o["event_offset"]) for o in run.of_kind(machine.ORPHAN)] == [
        ("ghost", "e001", 1)
    ]
    assert run.state is None


def test_a_closed_ticket_leaves_the_state_after_its_ttl():
    run = all_at_once(life(1.0, 10.0), END)
    closed_at = T0 + 16 * HOUR
    assert run.state is not None
    run.fire(closed_at + 24 * HOUR)
    assert run.state is None


def test_the_fold_orders_by_event_time_then_event_id_not_by_arrival():
    a, b = event(2, "assigned", T0 + HOUR, agent=3), event(1, "first_response", T0 + HOUR, agent=4)
    facts = machine.fold([a, b])
    assert facts["last_event_type"] == "assigned"  # same time: e002 after e001
    assert facts["agent_id"] == 3


def test_the_state_round_trips_through_its_stored_json():
    run = all_at_once(life(1.0, 10.0), END)
    assert machine.load(machine.dump(run.state)) == run.state


# --- Properties ---------------------------------------------------------------------------------
lives = st.tuples(
    st.floats(0.1, 6.0),  # first response after (h): around the 2 h deadline
    st.one_of(st.none(), st.floats(6.5, 40.0)),  # resolved after (h), or never: around the 24 h deadline
    st.booleans(),  # reopened
)


@settings(max_examples=150, deadline=None)
@given(lives, st.randoms(use_true_random=False), st.integers(0, 6))
def test_any_order_duplication_and_batching_within_the_delay_gives_the_same_row(shape, rnd: random.Random, dupes):
    events = life(*shape)
    reference = all_at_once(events, END)
    # The same events, some twice, each delivered up to 10 minutes (< the 15-minute delay) after later ones.
    delivered = events + [rnd.choice(events) for _ in range(dupes)]
    delivered.sort(key=lambda e: e["occurred_at"] + rnd.uniform(0, 10 * 60_000))
    run = Run()
    position = rnd.randint(0, len(delivered))  # the ticket arrives before, among or after its events
    pieces = [delivered[:position], delivered[position:]]
    batches: list[tuple[list[dict], list[dict]]] = []
    for i, piece in enumerate(pieces):
        while piece:
            n = rnd.randint(1, 3)
            batches.append(([], piece[:n]))
            piece = piece[n:]
        if i == 0:
            batches.append(([ticket()], []))
    for tickets, evs in batches:
        run.batch(tickets, evs)
    run.fire(END)
    assert run.last_status() == {**reference.last_status(), "revision": run.last_status()["revision"]}
    assert sorted(b["breach_kind"] for b in run.of_kind(machine.BREACH)) == sorted(
        b["breach_kind"] for b in reference.of_kind(machine.BREACH)
    )
    assert sorted(e["event_id"] for e in run.of_kind(machine.EVENT)) == sorted({e["event_id"] for e in events})


@pytest.mark.parametrize("late_by_h", [0.5, 3.0])
def test_an_answer_later_than_the_watermark_cannot_undo_a_breach_already_reported(late_by_h):
    """Beyond the delay the stream has judged: the breach stands, and the row still records the answer."""
    run = Run()
    run.batch([ticket()], [])
    run.batch([], [event(50, "assigned", T0 + 3 * HOUR)])  # the watermark passes the 2 h deadline: breach
    assert [b["breach_kind"] for b in run.of_kind(machine.BREACH)] == [machine.FIRST_RESPONSE]
    run.batch([], [event(2, "first_response", T0 + round((2 - late_by_h) * HOUR))])  # answered in time, told late
    row = run.last_status()
    assert row["first_response_breached"] and row["first_response_at"] == T0 + round((2 - late_by_h) * HOUR)
    assert len(run.of_kind(machine.BREACH)) == 1
