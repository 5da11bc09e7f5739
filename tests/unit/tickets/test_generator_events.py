"""The generator's fast path: `events()` gives exactly the events `mix(tickets())` gives, from pre-rendered pieces."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from hybridflow.tickets import prerender
from hybridflow.tickets.generator import (
    _OF,
    CLOSINGS,
    EXAMPLE_START,
    OUTAGE_TEMPLATES,
    PRODUCTS,
    TEMPLATES,
    TicketGenerator,
)
from hybridflow.tickets.malformed import MalformedKind, mix, valid_event
from hybridflow.tickets.model import Ticket, new_ticket_id


def test_valid_events_are_the_wire_form_of_the_tickets():
    gen = TicketGenerator(8, EXAMPLE_START)
    tickets = gen.take(5000)
    events = list(itertools.islice(gen.events(), 5000))
    assert events == [valid_event(t) for t in tickets]
    # Billing texts carry the per-ticket holes (invoice numbers, amounts with a narrow no-break space).
    assert any(b"\xe2\x80\xaf" in e.value for e in events) and any(b"FA-2026-" in e.value for e in events)


@pytest.mark.parametrize("ratio", [0.02, 0.3, 0.9, 1.0])
def test_mixed_events_match_mix_event_for_event(ratio):
    gen = TicketGenerator(9, EXAMPLE_START)
    expected = list(itertools.islice(mix(gen.tickets(), ratio, seed=9, max_payload_bytes=2_000), 600))
    assert list(itertools.islice(gen.events(ratio, max_payload_bytes=2_000), 600)) == expected
    assert sum(e.kind is not None for e in expected) == pytest.approx(600 * ratio, abs=1)


def test_mixed_events_honour_the_kinds():
    gen = TicketGenerator(9, EXAMPLE_START)
    kinds = [MalformedKind.MISSING_FIELD]
    events = list(itertools.islice(gen.events(0.5, kinds=kinds), 100))
    assert {e.kind for e in events} == {None, MalformedKind.MISSING_FIELD}


def test_bad_ratio_is_refused_at_once():
    with pytest.raises(ValueError, match="between 0 and 1"):
        TicketGenerator(1, EXAMPLE_START).events(1.5)


def test_sub_millisecond_start_is_truncated_to_the_wire_precision():
    start = datetime(2026, 1, 31, 9, 0, 0, 123_456, tzinfo=UTC)
    gen = TicketGenerator(3, start, late_ratio=0.0)
    first = gen.take(1)[0]
    assert first.created_at.microsecond % 1000 == 0 and first.created_at >= start.replace(microsecond=123_000)
    assert next(gen.events()) == valid_event(first)


def test_ticket_ids_are_what_new_ticket_id_draws():
    # The generator formats the 128 random bits itself; the ids must stay canonical UUID4s.
    ids = [t.ticket_id for t in TicketGenerator(4, EXAMPLE_START).take(2000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 and str(u) == i for u, i in zip(parsed, ids, strict=True))
    assert len(set(ids)) == len(ids)


def test_uuid_masks_equal_the_uuid_module():
    import random

    from hybridflow.tickets.generator import _UUID4_AND, _UUID4_OR

    a, b = random.Random(1), random.Random(1)
    for _ in range(1000):
        h = "%032x" % (a.getrandbits(128) & _UUID4_AND | _UUID4_OR)
        assert f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" == new_ticket_id(b)


# --- pre-rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("euros", "cents", "text"),
    [(80, 0, "80,00 €"), (999, 5, "999,05 €"), (1240, 50, "1\u202f240,50 €"), (24_000, 99, "24\u202f000,99 €")],
)
def test_french_amounts(euros, cents, text):
    assert prerender.french_amount(euros, cents) == text
    # The same text the slot-by-slot formatting gave: f"{x:,.2f} €" with French separators.
    assert text == f"{euros + cents / 100:,.2f} €".replace(",", "\u202f").replace(".", ",")


def test_every_combination_of_a_templates_slots_is_rendered():
    rendered = prerender.render_all(
        (("Erreur {error} à {site} sur {product}.",),),
        ("", " Merci."),
        PRODUCTS[:2],
        (("le", "du "), ("la", "de la ")),
        ("Lyon", "Lille", "Nantes"),
        ("E1", "E2"),
        ("mai",),
    )[0][0]
    assert rendered.holes == ()
    assert len(rendered.variants) == 2 * 3 * 2 * 2  # errors × sites × products × closings
    assert "Erreur E1 à Lyon sur le capteur vibratoire VX-200. Merci." in rendered.variants


def test_invoice_and_amount_stay_holes_between_literal_parts():
    rendered = prerender.render_all(
        (("Facture {invoice} ({amount}) de {month}.",),),
        ("",),
        PRODUCTS,
        tuple(_OF.items()),
        ("Lyon",),
        ("E1",),
        ("mai", "juin"),
    )[0][0]
    assert rendered.holes == ("invoice", "amount")
    assert sorted(rendered.variants) == [("Facture ", " (", ") de juin."), ("Facture ", " (", ") de mai.")]


def test_the_real_templates_all_render():
    for templates in (*TEMPLATES.values(), OUTAGE_TEMPLATES):
        for template in templates:
            rendered = prerender.render_template(
                template, CLOSINGS, prerender._slot_values(PRODUCTS, _OF, ("Lyon",), ("E1",), ("mai",))
            )
            assert rendered.variants and not any("{" in str(v) for v in rendered.variants)


@pytest.mark.parametrize("template", ['Il a dit "stop" à {site}.', "Chemin C:\\temp à {site}.", "{colour} inconnue"])
def test_templates_that_the_wire_form_cannot_carry_are_refused(template):
    with pytest.raises(ValueError):
        prerender.render_template(template, ("",), {"site": [{"site": "Lyon"}]})


@pytest.mark.parametrize("epoch_s", [0, 59, 60, 1_769_850_000, 1_769_850_059, 4_102_444_799])
def test_minute_and_seconds_make_the_second(epoch_s):
    minute, second = divmod(epoch_s, 60)
    assert prerender.minute_iso(minute) + prerender.WIRE_SECONDS[second].decode() == prerender.second_iso(epoch_s)


def test_wire_pieces_rebuild_the_models_json():
    ticket = Ticket.from_json(
        '{"ticket_id":"3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f","client_id":"C00042",'
        '"created_at":"2026-01-31T09:15:00.007Z","request":"Ma facture","request_type":"billing","priority":"medium"}'
    )
    ms = prerender.start_ms(ticket.created_at)
    wire = b"".join((
        prerender.WIRE_HEAD, ticket.ticket_id.encode(), prerender.WIRE_CLIENT, ticket.client_id.encode(),
        prerender.WIRE_CREATED, prerender.second_iso(ms // 1000).encode(), prerender.WIRE_MILLIS[ms % 1000],
        prerender.WIRE_REQUEST, ticket.request.encode(), prerender.wire_tail("billing", "medium"),
    ))  # fmt: skip
    assert wire == ticket.to_bytes()
