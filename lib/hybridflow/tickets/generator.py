"""A seeded, deterministic generator of realistic support tickets (pure: no I/O, no global random state).

Everything is drawn from one ``random.Random(seed)`` per iteration, so the same seed and
parameters give the same tickets, byte for byte, on every machine (CPython's Mersenne
Twister and its ``random()``/``getrandbits()`` are stable across versions).

Two views of the same draws: `TicketGenerator.tickets()` yields validated `Ticket` models
(tests, notebooks); `TicketGenerator.events()` yields ready-to-send Kafka records (key =
client_id, value = the exact bytes ``Ticket.to_bytes()`` gives), optionally mixed with
malformed events exactly as `hybridflow.tickets.malformed.mix` would. `events()` is what the
producer uses: it builds no model and runs no JSON encoder, and the request texts are
pre-rendered (`hybridflow.tickets.prerender`), so a ticket costs a handful of draws, two
bisections and one string join.

Distributions (the targets the unit tests check on 20 000 tickets):

* **request_type** -- technical 40 %, billing 25 %, account 20 %, general 15 %
  (`REQUEST_TYPE_WEIGHTS`).
* **priority given request_type** (`PRIORITY_GIVEN_TYPE`, each row sums to 1)::

                  low    medium  high   critical
      technical   0.20   0.45    0.30   0.05
      billing     0.30   0.50    0.18   0.02
      account     0.35   0.45    0.18   0.02
      general     0.60   0.35    0.05   0.00

  so overall (`priority_marginals()`): low 31.5 %, medium 44.75 %, high 20.85 %,
  critical 2.9 % -- critical is rare and mostly technical (an outage), never "general".
* **client_id** -- a fixed population `client_ids(n)` = C00001 … C{n:05d} (default
  500 clients), the same for every seed so the batch ETL's CRM can create the very same
  ids. Client of rank k (C0000k) opens tickets with weight 1/k (Zipf, s = 1): with 500
  clients the top client opens ~15 % of the tickets, the top 10 % of clients ~67 %,
  the top 20 % ~76 % (the 80/20 rule), while ~70 % of the clients each open fewer
  than 0.1 % (`client_weights()`).
* **request** -- French free text from per-type templates with slot filling (products,
  invoice numbers, amounts, error codes, sites, months), each slot and the closing
  sentence uniform; critical technical tickets use outage templates and start with "URGENT".
* **ticket_id** -- UUID4 from 128 bits of the same generator (what `new_ticket_id(rng)` gives).
* **created_at** -- a simulated clock starting at ``start`` advances by exponential
  inter-arrival times at ``arrival_rate`` tickets per simulated second (a Poisson
  process; default 10/s). A fraction ``late_ratio`` (default 5 %) of tickets is stamped
  late on purpose: ``created_at = clock - U(1, max_lateness_s)`` (default up to 20 s, below
  the default 30 s watermark, so no ticket is dropped from the windows unless you raise
  it) -- these arrive out of order. Times are kept to the millisecond, the wire precision
  (a ``start`` with microseconds is truncated to its millisecond).

request_type and priority are drawn together, as one of the 15 (type, priority) pairs of
non-zero probability: the same joint distribution as the two tables, in one draw.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from hybridflow.tickets import prerender
from hybridflow.tickets.malformed import Event, MalformedInjector, MalformedKind, malformed_positions
from hybridflow.tickets.model import Priority, RequestType, Ticket

DEFAULT_N_CLIENTS = 500
DEFAULT_ZIPF_S = 1.0
DEFAULT_ARRIVAL_RATE = 10.0
DEFAULT_LATE_RATIO = 0.05
DEFAULT_MAX_LATENESS_S = 20.0
DEFAULT_MAX_PAYLOAD_BYTES = 10_000  # the MAX_PAYLOAD_BYTES setting's default (only oversized events use it)

# uuid.UUID(int=n, version=4) as two masks: version nibble 4, variant bits 10.
_UUID4_AND = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_UUID4_OR = (0x8000 << 48) | (4 << 76)

REQUEST_TYPE_WEIGHTS: Mapping[RequestType, float] = {
    RequestType.TECHNICAL: 0.40,
    RequestType.BILLING: 0.25,
    RequestType.ACCOUNT: 0.20,
    RequestType.GENERAL: 0.15,
}

PRIORITY_GIVEN_TYPE: Mapping[RequestType, Mapping[Priority, float]] = {
    RequestType.TECHNICAL: {Priority.LOW: 0.20, Priority.MEDIUM: 0.45, Priority.HIGH: 0.30, Priority.CRITICAL: 0.05},
    RequestType.BILLING: {Priority.LOW: 0.30, Priority.MEDIUM: 0.50, Priority.HIGH: 0.18, Priority.CRITICAL: 0.02},
    RequestType.ACCOUNT: {Priority.LOW: 0.35, Priority.MEDIUM: 0.45, Priority.HIGH: 0.18, Priority.CRITICAL: 0.02},
    RequestType.GENERAL: {Priority.LOW: 0.60, Priority.MEDIUM: 0.35, Priority.HIGH: 0.05, Priority.CRITICAL: 0.00},
}


def priority_marginals() -> dict[Priority, float]:
    """Overall share of each priority implied by the two tables above."""
    return {p: sum(REQUEST_TYPE_WEIGHTS[t] * PRIORITY_GIVEN_TYPE[t][p] for t in REQUEST_TYPE_WEIGHTS) for p in Priority}


def client_ids(n_clients: int = DEFAULT_N_CLIENTS) -> list[str]:
    """The client population, C00001 … C{n:05d}: the same for every seed (the CRM uses it too)."""
    if not 1 <= n_clients <= 99_999:
        raise ValueError(f"n_clients must be between 1 and 99999, got {n_clients}")
    return [f"C{k:05d}" for k in range(1, n_clients + 1)]


def client_weights(n_clients: int = DEFAULT_N_CLIENTS, zipf_s: float = DEFAULT_ZIPF_S) -> list[float]:
    """Share of the tickets each client opens, in `client_ids` order (Zipf: rank k weighs 1/k**s)."""
    raw = [1.0 / k**zipf_s for k in range(1, n_clients + 1)]
    total = sum(raw)
    return [w / total for w in raw]


# --- French request text -------------------------------------------------------------------------

# (article, name): the article decides "le/la/l'" and "du/de la/de l'" in the templates.
PRODUCTS = (
    ("le", "capteur vibratoire VX-200"),
    ("la", "passerelle IoT EdgeBox 3"),
    ("la", "plateforme InduCloud"),
    ("l'", "application TechniSuite"),
    ("l'", "API de télémétrie v2"),
    ("le", "tableau de bord Supervision+"),
    ("le", "module de maintenance prédictive"),
    ("l'", "automate connecté PLC-40"),
)
_OF = {"le": "du ", "la": "de la ", "l'": "de l'"}
SITES = ("Lyon", "Grenoble", "Lille", "Toulouse", "Nantes", "Strasbourg", "Saint-Étienne", "Rouen")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
ERROR_CODES = ("E1042", "E2017", "E3150", "E4001", "HTTP 500", "HTTP 503", "TIMEOUT-30", "AUTH-401")

# Slots: {product} "le capteur …", {Product} capitalised, {of_product} "du capteur …", {site}, {error},
# {month}, {day}, {minutes}, {users}, {invoice} FA-<year>-NNNNNN, {amount} "1 240,50 €".
TEMPLATES: Mapping[RequestType, Sequence[str]] = {
    RequestType.TECHNICAL: (
        "{Product} du site de {site} remonte l'erreur {error} depuis ce matin.",
        "Depuis la mise à jour, {product} ne synchronise plus ses données (code {error}).",
        "Les mesures {of_product} arrivent avec {minutes} minutes de retard sur le tableau de bord.",
        "Impossible de connecter {product} à notre réseau à {site}, erreur {error}.",
        "{Product} redémarre plusieurs fois par jour sans raison, pouvez-vous regarder les journaux ?",
        "L'export CSV {of_product} est vide pour la période du {day} {month}.",
    ),
    RequestType.BILLING: (
        "La facture {invoice} de {month} est facturée deux fois.",
        "Le montant de la facture {invoice} ({amount}) ne correspond pas à notre devis.",
        "Pouvez-vous m'envoyer un duplicata de la facture {invoice} ?",
        "Notre prélèvement de {month} a été rejeté, comment régulariser les {amount} ?",
        "Merci d'appliquer la remise contractuelle sur la facture {invoice}.",
        "Nous avons résilié l'abonnement {of_product} mais il apparaît encore sur la facture {invoice}.",
    ),
    RequestType.ACCOUNT: (
        "Je n'arrive plus à me connecter à mon espace client, mot de passe refusé.",
        "Merci d'ajouter {users} utilisateurs à notre compte pour le site de {site}.",
        "Notre responsable a quitté l'entreprise, merci de transférer le compte à un collègue.",
        "Je souhaite modifier l'adresse de facturation de notre compte ({site}).",
        "Le compte d'un de nos utilisateurs est bloqué après plusieurs tentatives de connexion.",
        "Comment activer la double authentification pour tous nos utilisateurs ?",
    ),
    RequestType.GENERAL: (
        "Quels sont vos horaires d'assistance en {month} ?",
        "Avez-vous une documentation en français pour {product} ?",
        "Nous aimerions une démonstration {of_product} pour notre équipe de {site}.",
        "Est-il possible d'organiser une formation sur site à {site} ?",
        "Où trouver les notes de version de la plateforme ?",
        "Qui est notre interlocuteur commercial pour le renouvellement du contrat ?",
    ),
}
OUTAGE_TEMPLATES: Sequence[str] = (
    "URGENT : production à l'arrêt à {site}, {product} ne répond plus (erreur {error}).",
    "URGENT : plus aucune donnée ne remonte de l'usine de {site} depuis {minutes} minutes.",
    "URGENT : {product} est inaccessible pour tous nos utilisateurs (code {error}).",
)
CLOSINGS = ("", "", " Merci d'avance.", " Cordialement.", " Merci de votre retour rapide.")


# --- the generator -------------------------------------------------------------------------------


# A fixed first event time: reproducible samples (tests, benchmarks) start here.
EXAMPLE_START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


class TicketGenerator:
    """Seeded ticket source: `tickets()` and `events()` restart from the seed on every call, so they are reproducible."""

    def __init__(
        self,
        seed: int,
        start: datetime,
        *,
        n_clients: int = DEFAULT_N_CLIENTS,
        zipf_s: float = DEFAULT_ZIPF_S,
        arrival_rate: float = DEFAULT_ARRIVAL_RATE,
        late_ratio: float = DEFAULT_LATE_RATIO,
        max_lateness_s: float = DEFAULT_MAX_LATENESS_S,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware, e.g. datetime(2026, 1, 31, tzinfo=timezone.utc)")
        if arrival_rate <= 0:
            raise ValueError(f"arrival_rate must be > 0 tickets per second, got {arrival_rate}")
        if not 0.0 <= late_ratio <= 1.0:
            raise ValueError(f"late_ratio must be between 0 and 1, got {late_ratio}")
        if late_ratio > 0 and max_lateness_s < 1:
            raise ValueError(f"max_lateness_s must be >= 1 second, got {max_lateness_s}")
        self.seed = seed
        self.start = start.astimezone(UTC)
        self.n_clients = n_clients
        self.zipf_s = zipf_s
        self.arrival_rate = arrival_rate
        self.late_ratio = late_ratio
        self.max_lateness_s = max_lateness_s
        self._clients = client_ids(n_clients)
        self._client_keys = [c.encode("ascii") for c in self._clients]
        self._client_cum = list(accumulate(client_weights(n_clients, zipf_s)))
        # (request type, priority) drawn jointly: one draw instead of two, same joint distribution.
        self._cells = [
            (t, p)
            for t, row in PRIORITY_GIVEN_TYPE.items()
            for p, share in row.items()
            if share * REQUEST_TYPE_WEIGHTS[t] > 0
        ]
        self._cell_cum = list(accumulate(REQUEST_TYPE_WEIGHTS[t] * PRIORITY_GIVEN_TYPE[t][p] for t, p in self._cells))
        self._wire_tails = [prerender.wire_tail(t.value, p.value) for t, p in self._cells]
        rendered = prerender.render_all(
            (*(tuple(TEMPLATES[t]) for t in RequestType), tuple(OUTAGE_TEMPLATES)),
            CLOSINGS,
            PRODUCTS,
            tuple(_OF.items()),
            SITES,
            ERROR_CODES,
            MONTHS,
        )
        by_type = dict(zip(RequestType, rendered[:-1], strict=True))
        outage = rendered[-1]
        self._cell_templates = [
            outage if (t, p) == (RequestType.TECHNICAL, Priority.CRITICAL) else by_type[t] for t, p in self._cells
        ]

    def __repr__(self) -> str:
        return (
            f"TicketGenerator(seed={self.seed}, start={self.start.isoformat()}, n_clients={self.n_clients}, "
            f"arrival_rate={self.arrival_rate}, late_ratio={self.late_ratio}, max_lateness_s={self.max_lateness_s})"
        )

    def _draws(self, utf8: bool = False) -> Iterator[tuple[str, int, int, Any, int]]:
        """(ticket_id, client index, created_at in Unix ms, request, cell index) per ticket, from the seed.

        The one place randomness is used: `tickets()` and `events()` only shape these draws.
        With `utf8` the request comes already encoded (bytes), for the wire form; the draws are the same.
        """
        rng = random.Random(self.seed)
        rnd, getrandbits, log, bisect_right = rng.random, rng.getrandbits, math.log, bisect.bisect_right
        rate, late_ratio, lateness_span = self.arrival_rate, self.late_ratio, self.max_lateness_s - 1.0
        start_ms = prerender.start_ms(self.start)
        client_cum, cell_cum, cell_templates = self._client_cum, self._cell_cum, self._cell_templates
        # A u just below 1.0 may round onto the last cumulative weight: clamp the index.
        last_client, last_cell = len(client_cum) - 1, len(cell_cum) - 1
        client_total, cell_total = client_cum[-1], cell_cum[-1]
        invoice_prefix = prerender.invoice_prefix(self.start.year)
        french_amount = prerender.french_amount
        join = b"".join if utf8 else "".join
        clock_s = 0.0
        while True:
            clock_s -= log(1.0 - rnd()) / rate  # rng.expovariate(rate), inlined
            event_s = clock_s
            if late_ratio and rnd() < late_ratio:
                event_s = clock_s - (1.0 + lateness_span * rnd())  # rng.uniform(1, max_lateness_s)
            cell = bisect_right(cell_cum, rnd() * cell_total)
            if cell > last_cell:
                cell = last_cell
            client = bisect_right(client_cum, rnd() * client_total)
            if client > last_client:
                client = last_client
            templates = cell_templates[cell]
            rendered = templates[int(rnd() * len(templates))]
            variants = rendered.utf8 if utf8 else rendered.variants
            text = variants[int(rnd() * len(variants))]
            if rendered.holes:
                parts = iter(text)
                pieces: list[Any] = [next(parts)]  # str, or bytes for the wire form
                for hole in rendered.holes:
                    if hole == prerender.INVOICE:
                        filled = f"{invoice_prefix}{1 + int(rnd() * 999_999):06d}"  # randrange(1, 10**6)
                    else:  # randint(80, 24000) euros and randint(0, 99) cents
                        filled = french_amount(80 + int(rnd() * 23_921), int(rnd() * 100))
                    pieces.append(filled.encode() if utf8 else filled)
                    pieces.append(next(parts))
                text = join(pieces)
            h = "%032x" % (getrandbits(128) & _UUID4_AND | _UUID4_OR)  # == new_ticket_id(rng), ~5x faster
            yield (
                f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
                client,
                start_ms + int(event_s * 1000),  # whole milliseconds: what the wire form keeps
                text,
                cell,
            )

    def tickets(self) -> Iterator[Ticket]:
        """An unbounded iterator of validated tickets, from the seed (stop it with `islice` or `take`)."""
        return map(self._ticket, self._draws())

    def events(
        self,
        malformed_ratio: float = 0.0,
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        kinds: Iterable[MalformedKind] | None = None,
    ) -> Iterator[Event]:
        """Ready-to-send events: the same as ``mix(self.tickets(), malformed_ratio, seed=self.seed, …)``, byte for byte.

        Valid tickets go straight from the draws to their wire bytes (no model built, no JSON
        encoder run), which is what makes producing fast; only the base of a malformed event
        becomes a `Ticket`.
        """
        if not 0.0 <= malformed_ratio <= 1.0:
            raise ValueError(f"malformed_ratio must be between 0 and 1, got {malformed_ratio}")
        if malformed_ratio == 0.0:
            return self._wire_events(self._draws(utf8=True))
        return self._mixed_events(malformed_ratio, max_payload_bytes, kinds)

    def _mixed_events(
        self, malformed_ratio: float, max_payload_bytes: int, kinds: Iterable[MalformedKind] | None
    ) -> Iterator[Event]:
        # The placement of `mix` (a unit test checks both give the same events).
        injector = MalformedInjector(self.seed, max_payload_bytes, kinds)
        positions = malformed_positions(self.seed, malformed_ratio)
        bad_at, position = next(positions), 0
        draws = self._draws(utf8=True)
        pending = next(draws)
        while True:
            if position == bad_at:
                yield injector.make(self._ticket(pending))  # made from the next valid ticket, as in `mix`
                bad_at = next(positions)
                position += 1
            else:  # the valid run up to the next malformed event
                yield from self._wire_events(
                    itertools.chain((pending,), itertools.islice(draws, bad_at - position - 1))
                )
                position = bad_at
                pending = next(draws)

    def _ticket(self, draw: tuple[str, int, int, Any, int]) -> Ticket:
        """The validated model of one draw."""
        ticket_id, client, ms, request, cell = draw
        request_type, priority = self._cells[cell]
        return Ticket(
            ticket_id=ticket_id,
            client_id=self._clients[client],
            created_at=prerender.EPOCH + timedelta(milliseconds=ms),
            request=request.decode() if isinstance(request, bytes) else request,
            request_type=request_type,
            priority=priority,
        )

    def _wire_events(self, draws: Iterable[tuple[str, int, int, bytes, int]]) -> Iterator[Event]:
        """Valid events built from utf8 draws: key = client_id, value = the JSON bytes `Ticket.to_bytes()` gives."""
        keys, tails, millis, join = self._client_keys, self._wire_tails, prerender.WIRE_MILLIS, b"".join
        head, mid_client, mid_created, mid_request = (
            prerender.WIRE_HEAD,
            prerender.WIRE_CLIENT,
            prerender.WIRE_CREATED,
            prerender.WIRE_REQUEST,
        )
        minute_iso, seconds = prerender.minute_iso, prerender.WIRE_SECONDS
        last_second = last_minute = None
        second_text = minute_text = b""
        for ticket_id, client, ms, request, cell in draws:
            second, milli = divmod(ms, 1000)
            if second != last_second:  # format the date once per minute, the seconds from a table
                last_second = second
                minute, sec = divmod(second, 60)
                if minute != last_minute:
                    last_minute, minute_text = minute, minute_iso(minute).encode()
                second_text = minute_text + seconds[sec]
            key = keys[client]
            value = join((head, ticket_id.encode(), mid_client, key, mid_created, second_text, millis[milli],
                          mid_request, request, tails[cell]))  # fmt: skip
            yield Event(key, value)

    def take(self, n: int) -> list[Ticket]:
        """The first `n` tickets of `tickets()`."""
        return list(itertools.islice(self.tickets(), n))
