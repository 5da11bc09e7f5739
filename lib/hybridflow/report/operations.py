"""Support operations from the lifecycle tables: delays, SLA breaches, open backlog, tickets at risk.

Pure: pandas in, pandas out, no I/O and no Spark. The inputs are the lake's ``ticket_status``
(one row per ticket) and ``ticket_events`` (one row per distinct event) as
`hybridflow.lake.TICKET_STATUS.to_pandas` / `TICKET_EVENTS.to_pandas` return them, the on-premise
``ticket_history`` reference table, and the SLA breach topic's records. Values stay codes
(``platinum``, ``T-TECH``, ``critical``); the French labels belong to the display layer
(`hybridflow.report.views`, `hybridflow.report.figures`).

"Now" is **event time**: the latest ``created_at`` / ``occurred_at`` the tables hold
(`event_time_now`), never the wall clock, since a simulated run compresses days into minutes.
Durations are in hours; percentiles are pandas' linear interpolation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridflow.crm_tables import CONTRACT_TIERS
from hybridflow.report.errors import ReportError
from hybridflow.tickets.model import Priority
from hybridflow.tickets.reference import SUPPORT_TEAMS

ALL = "all"  # the row over every group
TIER_ORDER: tuple[str, ...] = tuple(t.tier for t in CONTRACT_TIERS)
TEAM_ORDER: tuple[str, ...] = tuple(t.team_id for t in SUPPORT_TEAMS)
PRIORITY_ORDER: tuple[str, ...] = tuple(
    p.value for p in (Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW)
)
GROUP_ORDER: dict[str, tuple[str, ...]] = {
    "contract_tier": TIER_ORDER,
    "team_id": TEAM_ORDER,
    "priority": PRIORITY_ORDER,
}
OPEN_STATUSES = ("open", "in_progress")
DONE_STATUSES = ("resolved", "closed")

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
# Per SLA kind: the timestamp that meets it, its deadline, the stream's breach flag.
SLA_COLUMNS: dict[str, tuple[str, str, str]] = {
    FIRST_RESPONSE: ("first_response_at", "first_response_deadline", "first_response_breached"),
    RESOLUTION: ("resolved_at", "resolution_deadline", "resolution_breached"),
}
HISTORY, STREAM = "history", "stream"

STATUS_COLUMNS = (
    "ticket_id",
    "client_id",
    "created_at",
    "contract_tier",
    "team_id",
    "priority",
    "status",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_deadline",
    "resolution_deadline",
    "first_response_breached",
    "resolution_breached",
)
EVENT_COLUMNS = ("ticket_id", "event_type", "occurred_at")
HISTORY_COLUMNS = ("created_at", "closed_at", "priority")
BREACH_FIELDS = ("ticket_id", "kind", "deadline", "client_id", "contract_tier", "team", "priority", "watermark")
RISK_COLUMNS = (
    "ticket_id",
    "client_id",
    "contract_tier",
    "team_id",
    "priority",
    "status",
    "deadline_kind",
    "deadline",
    "minutes_left",
)

# Event types that change whether a ticket counts in the backlog: 1 = open again, 0 = out of it.
_BACKLOG_STATE = {"resolved": 0, "closed": 0, "reopened": 1}


# --- helpers ------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> pd.DataFrame:
    """`frame` with `columns`; an empty frame gets them (a table not written yet), a filled one must have them."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if not missing:
        return frame
    if len(frame):
        raise ReportError(
            f"The {table} frame lacks the columns {missing}: pass the table as the lake returns it "
            f"(hybridflow.lake … .to_pandas(settings))."
        )
    return frame.reindex(columns=[*frame.columns, *missing])


def _ts(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values), utc=True)


def _utc(moment: object) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _flag(values: pd.Series) -> pd.Series:
    """A nullable boolean column as plain booleans (null = False)."""
    return values.astype("boolean").fillna(False).astype(bool)


def _hours(end: pd.Series, start: pd.Series) -> pd.Series:
    return (_ts(end) - _ts(start)).dt.total_seconds() / 3600


def _groups(values: pd.Series, order: Sequence[str]) -> list[str]:
    """The groups present in `values`: those of `order` first, in its order, then any other, sorted."""
    present = set(values.dropna().unique())
    return [g for g in order if g in present] + sorted(present - set(order))


def _mask(values: pd.Series, group: str) -> pd.Series:
    return pd.Series(True, index=values.index) if group == ALL else values.eq(group)


def _percentiles(hours: pd.Series) -> tuple[float, float]:
    """(p50, p90) of non-null hours; NaN for both when there is none."""
    hours = hours.dropna()
    if hours.empty:
        return math.nan, math.nan
    return float(hours.quantile(0.5)), float(hours.quantile(0.9))


# --- "now" --------------------------------------------------------------------------------------


def event_time_now(status: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.Timestamp | None:
    """The stream's "now": the latest created_at, last_event_at or occurred_at in the tables (None when empty)."""
    stamps = [
        _ts(frame[column]).max()
        for frame, column in ((status, "created_at"), (status, "last_event_at"), (events, "occurred_at"))
        if frame is not None and column in frame.columns and len(frame)
    ]
    stamps = [s for s in stamps if pd.notna(s)]
    return max(stamps) if stamps else None


# --- delays -------------------------------------------------------------------------------------


def response_times(status: pd.DataFrame, by: str = "contract_tier") -> pd.DataFrame:
    """Hours to first response and to resolution (count, p50, p90) per `by` group, then over all tickets.

    Only tickets that have the timestamp count: first response where ``first_response_at`` is set;
    resolution where the ticket is resolved or closed now (``resolved_at``, its latest resolution:
    a reopening clears it), so a reopened ticket counts again once it is resolved again.
    """
    status = _require(status, (*STATUS_COLUMNS, by), "ticket_status")
    first = _hours(status["first_response_at"], status["created_at"])
    resolved = status["status"].isin(DONE_STATUSES)
    resolution = _hours(status["resolved_at"], status["created_at"]).where(resolved)
    rows = []
    for group in [*_groups(status[by], GROUP_ORDER.get(by, ())), ALL]:
        mask = _mask(status[by], group)
        first_p50, first_p90 = _percentiles(first[mask])
        resolution_p50, resolution_p90 = _percentiles(resolution[mask])
        rows.append(
            {
                by: group,
                "first_response_n": int(first[mask].notna().sum()),
                "first_response_p50_h": first_p50,
                "first_response_p90_h": first_p90,
                "resolution_n": int(resolution[mask].notna().sum()),
                "resolution_p50_h": resolution_p50,
                "resolution_p90_h": resolution_p90,
            }
        )
    return pd.DataFrame(rows)


# --- SLA breaches -------------------------------------------------------------------------------


def breach_rates(status: pd.DataFrame, now: pd.Timestamp | None) -> pd.DataFrame:
    """Share of tickets that breached their first-response and resolution SLA, per contract tier, then overall.

    The denominator of each rate is the tickets whose deadline is at or before `now` (``*_due``):
    every one of them has a final outcome, met or breached, and which tickets fall in it depends
    on their creation time alone. A ticket whose deadline is still ahead is left out even when it
    has met its SLA already: its peers created at the same time are still undecided, and counting
    only the early successes would make the rate fall as a run goes on. A breach is the stream's
    flag (``*_breached``), raised when its watermark passes the deadline: a deadline within the
    watermark delay before `now` may not be flagged yet.
    """
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    moment = None if now is None else _utc(now)
    rows = []
    for group in [*_groups(status["contract_tier"], TIER_ORDER), ALL]:
        mask = _mask(status["contract_tier"], group)
        row: dict[str, object] = {"contract_tier": group}
        for kind, (_, deadline, breached) in SLA_COLUMNS.items():
            passed = _ts(status[deadline]) <= moment if moment is not None else pd.Series(False, index=mask.index)
            due = mask & passed
            hit = due & _flag(status[breached])
            row[f"{kind}_due"] = int(due.sum())
            row[f"{kind}_breached"] = int(hit.sum())
            row[f"{kind}_rate"] = hit.sum() / due.sum() if due.sum() else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def parse_breaches(values: Iterable[str | bytes]) -> pd.DataFrame:
    """The breach topic's record values (JSON) as a typed DataFrame, latest deadline first."""
    records = [json.loads(v) for v in values]
    frame = pd.DataFrame([{f: r.get(f) for f in BREACH_FIELDS} for r in records], columns=list(BREACH_FIELDS))
    for column in ("deadline", "watermark"):
        frame[column] = _ts(frame[column]).to_numpy()
    return frame.sort_values(["deadline", "ticket_id"], ascending=[False, True], ignore_index=True)


def breach_reconciliation(status: pd.DataFrame, breaches: pd.DataFrame) -> pd.DataFrame:
    """Per SLA kind: tickets flagged in ticket_status against the breach topic's records (each once, both sides)."""
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    breaches = _require(breaches, BREACH_FIELDS, "breach topic")
    rows = []
    for kind, (_, _, breached) in SLA_COLUMNS.items():
        flagged = set(status.loc[_flag(status[breached]), "ticket_id"])
        records = breaches[breaches["kind"] == kind]
        published = set(records["ticket_id"])
        rows.append(
            {
                "kind": kind,
                "flagged": len(flagged),
                "records": len(records),
                "distinct": len(published),
                "only_in_table": len(flagged - published),
                "only_in_topic": len(published - flagged),
            }
        )
    return pd.DataFrame(rows)


# --- open backlog -------------------------------------------------------------------------------


def _state_changes(status: pd.DataFrame, events: pd.DataFrame | None) -> pd.DataFrame:
    """(at, delta) rows: +1 when a ticket enters the backlog, -1 when it leaves it."""
    created = pd.DataFrame({"ticket_id": status["ticket_id"], "at": _ts(status["created_at"])})
    if events is None or events.empty:
        # Without the events, a ticket leaves at its latest resolution and is counted open until then.
        end = _ts(status["resolved_at"]).fillna(_ts(status["closed_at"])).where(status["status"].isin(DONE_STATUSES))
        end = end.where(end.isna() | (end >= created["at"]), created["at"])
        left = pd.DataFrame({"at": end.dropna(), "delta": -1})
        return pd.concat([created.assign(delta=1)[["at", "delta"]], left], ignore_index=True)
    events = _require(events, EVENT_COLUMNS, "ticket_events")
    moves = events[events["event_type"].isin(list(_BACKLOG_STATE))].merge(
        created.rename(columns={"at": "created_at"}), on="ticket_id"
    )
    occurred = _ts(moves["occurred_at"])
    moves = pd.DataFrame(
        {
            "ticket_id": moves["ticket_id"],
            # an event stamped before its ticket (clock skew) applies at the ticket's creation
            "at": occurred.where(occurred >= moves["created_at"], moves["created_at"]),
            "state": moves["event_type"].map(_BACKLOG_STATE),
            "order": 1,
        }
    )
    steps = pd.concat([created.assign(state=1, order=0), moves], ignore_index=True)
    steps = steps.sort_values(["ticket_id", "at", "order"], kind="stable")
    steps["delta"] = steps["state"] - steps.groupby("ticket_id")["state"].shift(fill_value=0)
    return steps.loc[steps["delta"] != 0, ["at", "delta"]]


def open_backlog(
    status: pd.DataFrame, events: pd.DataFrame | None = None, now: pd.Timestamp | None = None, step: str = "1h"
) -> pd.DataFrame:
    """Tickets not yet resolved at every `step` of event time, from the first creation to `now` (its last row).

    A ticket is in the backlog from its ``created_at`` until it is resolved (or closed). With
    `events` (``ticket_events``), a reopened ticket comes back at its ``reopened`` event and leaves
    again at its next resolution. Without them, only ``ticket_status`` is known: a ticket resolved
    now is counted open until its latest ``resolved_at``, the resolved spell before a reopening
    included, and an open one from its creation on.
    """
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    empty = pd.DataFrame({"at": pd.Series(dtype="datetime64[ns, UTC]"), "open": pd.Series(dtype="int64")})
    if status.empty:
        return empty
    moment = _utc(now) if now is not None else event_time_now(status, events)
    changes = _state_changes(status, events).sort_values("at", kind="stable")
    start = _ts(status["created_at"]).min().floor(step)
    grid = pd.date_range(start, moment, freq=step)
    if not len(grid) or grid[-1] != moment:
        grid = grid.append(pd.DatetimeIndex([moment]))
    running = np.concatenate([[0], changes["delta"].cumsum().to_numpy()])
    position = np.searchsorted(
        _ts(changes["at"]).to_numpy(dtype="datetime64[ns]"), grid.to_numpy(dtype="datetime64[ns]"), side="right"
    )
    return pd.DataFrame({"at": grid, "open": running[position].astype("int64")})


def open_tickets(status: pd.DataFrame) -> int:
    """Tickets open or in progress in ticket_status (the backlog at the end of the run)."""
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    return int(status["status"].isin(OPEN_STATUSES).sum())


# --- tickets at risk ----------------------------------------------------------------------------


def at_risk(status: pd.DataFrame, now: pd.Timestamp | None, horizon: str = "1h") -> pd.DataFrame:
    """Open tickets whose next deadline falls within `horizon` after `now` (event time), soonest first.

    The next deadline is the first-response one while the ticket has no first response and that
    deadline is still ahead; otherwise the resolution one. A deadline already passed is a breach,
    not a risk, and is left out.
    """
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    if now is None or status.empty:
        return pd.DataFrame(columns=list(RISK_COLUMNS))
    moment = _utc(now)
    open_ = status[status["status"].isin(OPEN_STATUSES)]
    first_deadline = _ts(open_["first_response_deadline"])
    first_next = open_["first_response_at"].isna() & (first_deadline > moment)
    deadline = first_deadline.where(first_next, _ts(open_["resolution_deadline"]))
    soon = (deadline > moment) & (deadline <= moment + pd.Timedelta(horizon))
    frame = open_.assign(
        deadline_kind=np.where(first_next, FIRST_RESPONSE, RESOLUTION),
        deadline=deadline,
        minutes_left=(deadline - moment).dt.total_seconds() / 60,
    )[soon]
    return frame.sort_values(["deadline", "ticket_id"], ignore_index=True)[list(RISK_COLUMNS)]


# --- against the on-premise history -------------------------------------------------------------


def resolution_vs_history(status: pd.DataFrame, history: pd.DataFrame, stream_end: str = "closed_at") -> pd.DataFrame:
    """Hours from creation to closing (count, p50, p90) per priority, on-premise history against the stream.

    The old helpdesk records only when a ticket was closed (``closed_at``), so the stream is
    measured the same way by default (`stream_end` = ``"resolved_at"`` measures to the resolution
    instead). Only tickets that have that timestamp count; negative durations (clock skew on the
    old servers) are left out.
    """
    status = _require(status, (*STATUS_COLUMNS, stream_end), "ticket_status")
    history = _require(history, HISTORY_COLUMNS, "ticket_history")
    stream_hours = _hours(status[stream_end], status["created_at"])
    if stream_end == "resolved_at":
        stream_hours = stream_hours.where(status["status"].isin(DONE_STATUSES))
    history_hours = _hours(history["closed_at"], history["created_at"])
    sources = {
        HISTORY: (history["priority"], history_hours.where(history_hours >= 0)),
        STREAM: (status["priority"], stream_hours.where(stream_hours >= 0)),
    }
    priorities = _groups(pd.concat([history["priority"], status["priority"]], ignore_index=True), PRIORITY_ORDER)
    rows = []
    for priority in [*priorities, ALL]:
        for source, (groups, hours) in sources.items():
            measured = hours[_mask(groups, priority)].dropna()
            p50, p90 = _percentiles(measured)
            rows.append({"priority": priority, "source": source, "tickets": len(measured), "p50_h": p50, "p90_h": p90})
    return pd.DataFrame(rows, columns=["priority", "source", "tickets", "p50_h", "p90_h"])


# --- the headline numbers -----------------------------------------------------------------------


@dataclass(frozen=True)
class OperationsSummary:
    """The support figures the synthesis and chapter 8 both state, from one computation."""

    now: pd.Timestamp | None
    tickets: int
    events: int
    open_tickets: int
    at_risk: int
    first_response_due: int
    first_response_breached: int
    resolution_due: int
    resolution_breached: int
    resolution_n: int
    resolution_p50_h: float
    resolution_p90_h: float

    @property
    def first_response_rate(self) -> float | None:
        """Breached / due for first response (None when no deadline has passed)."""
        return self.first_response_breached / self.first_response_due if self.first_response_due else None

    @property
    def resolution_rate(self) -> float | None:
        """Breached / due for resolution (None when no deadline has passed)."""
        return self.resolution_breached / self.resolution_due if self.resolution_due else None


def summarise(
    status: pd.DataFrame, events: pd.DataFrame | None = None, now: pd.Timestamp | None = None, horizon: str = "1h"
) -> OperationsSummary:
    """The headline figures: breach rates, resolution p50/p90, open tickets, tickets at risk, as of `now`."""
    status = _require(status, STATUS_COLUMNS, "ticket_status")
    moment = _utc(now) if now is not None else event_time_now(status, events)
    overall = breach_rates(status, moment).set_index("contract_tier").loc[ALL]
    times = response_times(status).set_index("contract_tier").loc[ALL]
    return OperationsSummary(
        now=moment,
        tickets=len(status),
        events=0 if events is None else len(events),
        open_tickets=open_tickets(status),
        at_risk=len(at_risk(status, moment, horizon)),
        first_response_due=int(overall["first_response_due"]),
        first_response_breached=int(overall["first_response_breached"]),
        resolution_due=int(overall["resolution_due"]),
        resolution_breached=int(overall["resolution_breached"]),
        resolution_n=int(times["resolution_n"]),
        resolution_p50_h=float(times["resolution_p50_h"]),
        resolution_p90_h=float(times["resolution_p90_h"]),
    )
