"""Pre-rendered request texts and wire-form pieces, so the generator's hot loop only picks and joins.

Every template's low-cardinality slots (product, site, error code, month, day, minutes,
users) and the closing sentence are expanded once per year into the full list of their
combinations: drawing one combination uniformly is the same as drawing each slot
uniformly, as the slot-by-slot filling did. Only the invoice number and the amount have
too many values to expand; they stay as holes between literal parts, filled per ticket.

The JSON wire form is assembled from fixed pieces in `Ticket`'s field order; a unit test
checks the bytes equal `Ticket.to_bytes()` for the same values.
"""

from __future__ import annotations

import itertools
import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from hybridflow.tickets.model import FIELD_NAMES

# Holes left in a rendered text (filled per ticket), in the order they appear.
INVOICE = "invoice"
AMOUNT = "amount"
_HOLES = (INVOICE, AMOUNT)
_SENTINEL = "\x00{}\x00"  # cannot occur in a template: marks where a hole goes while rendering

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One template, expanded: `variants` are texts (no hole) or tuples of literal parts around `holes`.

    `utf8` holds the same variants encoded, for the wire form (which then encodes only the holes).
    """

    holes: tuple[str, ...]
    variants: tuple[str, ...] | tuple[tuple[str, ...], ...]
    utf8: tuple[bytes, ...] | tuple[tuple[bytes, ...], ...]


def _slot_values(
    products: Sequence[tuple[str, str]],
    of: Mapping[str, str],
    sites: Sequence[str],
    errors: Sequence[str],
    months: Sequence[str],
) -> dict[str, list[dict[str, object]]]:
    """Each low-cardinality slot group and its values (product, Product and of_product come from one draw)."""
    product_values: list[dict[str, object]] = []
    for article, name in products:
        product = f"{article} {name}".replace("' ", "'")
        product_values.append(
            {"product": product, "Product": product[0].upper() + product[1:], "of_product": of[article] + name}
        )
    return {
        "product": product_values,
        "site": [{"site": s} for s in sites],
        "error": [{"error": e} for e in errors],
        "month": [{"month": m} for m in months],
        "day": [{"day": d} for d in range(2, 29)],
        "minutes": [{"minutes": m} for m in (5, 10, 15, 30, 45, 90)],
        "users": [{"users": u} for u in range(2, 26)],
    }


_GROUP_OF = {"product": "product", "Product": "product", "of_product": "product", "site": "site", "error": "error",
             "month": "month", "day": "day", "minutes": "minutes", "users": "users"}  # fmt: skip


def render_template(template: str, closings: Sequence[str], slots: Mapping[str, list[dict[str, object]]]) -> Rendered:
    """Every combination of `template`'s slot values and `closings`, with invoice/amount left as holes."""
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    unknown = set(fields) - set(_GROUP_OF) - set(_HOLES)
    if unknown:
        raise ValueError(f"template {template!r} uses unknown slots {sorted(unknown)}")
    groups = list(dict.fromkeys(_GROUP_OF[f] for f in fields if f in _GROUP_OF))
    holes = tuple(f for f in fields if f in _HOLES)
    marks = {hole: _SENTINEL.format(hole) for hole in _HOLES}
    variants: list[Any] = []  # a str without holes, a tuple of the parts around them with holes
    for combination in itertools.product(*(slots[g] for g in groups)):
        values: dict[str, object] = dict(marks)
        for part in combination:
            values.update(part)
        text = template.format(**values)
        for closing in closings:
            full = text + closing
            _check_json_safe(full, template)
            variants.append(tuple(full.split("\x00")[::2]) if holes else full)
    utf8 = tuple(tuple(p.encode() for p in v) if holes else v.encode() for v in variants)
    return Rendered(holes=holes, variants=tuple(variants), utf8=utf8)


def _check_json_safe(text: str, template: str) -> None:
    # The wire form inserts texts as they are: none may need a JSON escape (quote, backslash, control).
    if json.dumps(text.replace("\x00", ""), ensure_ascii=False)[1:-1] != text.replace("\x00", ""):
        raise ValueError(f"template {template!r} renders characters that need JSON escaping")


@lru_cache(maxsize=8)
def render_all(
    templates: tuple[tuple[str, ...], ...],
    closings: tuple[str, ...],
    products: tuple[tuple[str, str], ...],
    of: tuple[tuple[str, str], ...],
    sites: tuple[str, ...],
    errors: tuple[str, ...],
    months: tuple[str, ...],
) -> tuple[tuple[Rendered, ...], ...]:
    """`render_template` over groups of templates (cached: the tables are module constants)."""
    slots = _slot_values(products, dict(of), sites, errors, months)
    return tuple(tuple(render_template(t, closings, slots) for t in group) for group in templates)


def invoice_prefix(year: int) -> str:
    """The fixed start of an invoice number: FA-<year>-."""
    return f"FA-{year}-"


def french_amount(euros: int, cents: int) -> str:
    """An amount the French way: narrow no-break space between thousands, decimal comma (1 240,50 €)."""
    return f"{euros:,}".replace(",", "\u202f") + f",{cents:02d} €"


# --- the wire form ---------------------------------------------------------------------------------

if FIELD_NAMES != ("ticket_id", "client_id", "created_at", "request", "request_type", "priority"):
    raise RuntimeError(f"Ticket's fields changed to {FIELD_NAMES}: update the wire pieces below to match.")
WIRE_HEAD = b'{"ticket_id":"'
WIRE_CLIENT = b'","client_id":"'
WIRE_CREATED = b'","created_at":"'
WIRE_REQUEST = b'","request":"'
# ".mmmZ" for every millisecond: the end of created_at without formatting a number per ticket.
WIRE_MILLIS = tuple(b".%03dZ" % ms for ms in range(1000))


def wire_tail(request_type: str, priority: str) -> bytes:
    """The end of the JSON object, from the request's closing quote on."""
    return f'","request_type":"{request_type}","priority":"{priority}"}}'.encode()


WIRE_SECONDS = tuple(b"%02d" % s for s in range(60))


def second_iso(epoch_s: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of a Unix second, UTC (the wire form adds ``.mmmZ``)."""
    return (EPOCH + timedelta(seconds=epoch_s)).replace(tzinfo=None).isoformat()


def minute_iso(epoch_minute: int) -> str:
    """``YYYY-MM-DDTHH:MM:`` of a Unix minute, UTC (the wire form adds the seconds)."""
    return second_iso(epoch_minute * 60)[:-2]


def start_ms(start: datetime) -> int:
    """Unix milliseconds of an aware datetime, truncated to the millisecond (the wire precision)."""
    delta = start - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
