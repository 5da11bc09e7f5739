"""A seeded, deterministic generator of realistic support tickets (pure: no I/O, no global random state).

Everything is drawn from one ``random.Random(seed)`` per iteration, so the same seed and
parameters give the same tickets, byte for byte, on every machine (CPython's Mersenne
Twister and its ``random()``/``getrandbits()``/``expovariate()`` are stable across versions).

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
  invoice numbers, amounts, error codes, sites, months); critical technical tickets use
  outage templates and start with "URGENT".
* **ticket_id** -- UUID4 drawn from the same generator (`new_ticket_id(rng)`).
* **created_at** -- a simulated clock starting at ``start`` advances by exponential
  inter-arrival times at ``arrival_rate`` tickets per simulated second (a Poisson
  process; default 10/s). A fraction ``late_ratio`` (default 5 %) of tickets is stamped
  late on purpose: ``created_at = clock - U(1, max_lateness_s)`` (default up to 20 s, below
  the default 30 s watermark, so no ticket is dropped from the windows unless you raise
  it) -- these arrive out of order. Times are kept to the millisecond, the wire precision.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from hybridflow.tickets.model import Priority, RequestType, Ticket, new_ticket_id

DEFAULT_N_CLIENTS = 500
DEFAULT_ZIPF_S = 1.0
DEFAULT_ARRIVAL_RATE = 10.0
DEFAULT_LATE_RATIO = 0.05
DEFAULT_MAX_LATENESS_S = 20.0

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
    return {
        p: sum(REQUEST_TYPE_WEIGHTS[t] * PRIORITY_GIVEN_TYPE[t][p] for t in REQUEST_TYPE_WEIGHTS) for p in Priority
    }


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


def _fill(template: str, rng: random.Random, year: int) -> str:
    """One template with its slots drawn from `rng` (every slot is drawn, used or not: fixed rng use)."""
    article, name = PRODUCTS[rng.randrange(len(PRODUCTS))]
    product = f"{article} {name}".replace("' ", "'")
    amount = rng.randint(80, 24_000) + rng.randint(0, 99) / 100
    return template.format(
        product=product,
        Product=product[0].upper() + product[1:],
        of_product=_OF[article] + name,
        site=SITES[rng.randrange(len(SITES))],
        error=ERROR_CODES[rng.randrange(len(ERROR_CODES))],
        month=MONTHS[rng.randrange(12)],
        day=rng.randint(2, 28),
        minutes=rng.choice((5, 10, 15, 30, 45, 90)),
        users=rng.randint(2, 25),
        invoice=f"FA-{year}-{rng.randrange(1, 1_000_000):06d}",
        # French format: narrow no-break space between thousands, decimal comma.
        amount=f"{amount:,.2f} €".replace(",", "\u202f").replace(".", ","),
    )


# --- the generator -------------------------------------------------------------------------------


class TicketGenerator:
    """Seeded ticket source: `tickets()` restarts from the seed on every call, so it is reproducible."""

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
        self.start = start.astimezone(timezone.utc)
        self.n_clients = n_clients
        self.zipf_s = zipf_s
        self.arrival_rate = arrival_rate
        self.late_ratio = late_ratio
        self.max_lateness_s = max_lateness_s
        self._clients = client_ids(n_clients)
        self._client_cum = list(accumulate(client_weights(n_clients, zipf_s)))
        self._types = list(REQUEST_TYPE_WEIGHTS)
        self._type_cum = list(accumulate(REQUEST_TYPE_WEIGHTS.values()))
        self._prio = {t: (list(row), list(accumulate(row.values()))) for t, row in PRIORITY_GIVEN_TYPE.items()}

    def __repr__(self) -> str:
        return (
            f"TicketGenerator(seed={self.seed}, start={self.start.isoformat()}, n_clients={self.n_clients}, "
            f"arrival_rate={self.arrival_rate}, late_ratio={self.late_ratio}, max_lateness_s={self.max_lateness_s})"
        )

    @staticmethod
    def _pick(items: Sequence, cum: Sequence[float], u: float):
        # cum[-1] may be 0.999…; min() keeps a u just below 1.0 in range.
        return items[min(bisect.bisect_right(cum, u * cum[-1]), len(items) - 1)]

    def tickets(self) -> Iterator[Ticket]:
        """An unbounded iterator of tickets, from the seed (stop it with `islice` or `take`)."""
        rng = random.Random(self.seed)
        clock_s = 0.0
        year = self.start.year
        while True:
            clock_s += rng.expovariate(self.arrival_rate)
            event_s = clock_s
            if self.late_ratio and rng.random() < self.late_ratio:
                event_s = clock_s - rng.uniform(1.0, self.max_lateness_s)
            # Whole milliseconds: what the wire form keeps, so a JSON round trip is exact.
            created_at = self.start + timedelta(milliseconds=int(event_s * 1000))
            request_type = self._pick(self._types, self._type_cum, rng.random())
            priorities, cum = self._prio[request_type]
            priority = self._pick(priorities, cum, rng.random())
            client_id = self._pick(self._clients, self._client_cum, rng.random())
            if request_type is RequestType.TECHNICAL and priority is Priority.CRITICAL:
                template = OUTAGE_TEMPLATES[rng.randrange(len(OUTAGE_TEMPLATES))]
            else:
                options = TEMPLATES[request_type]
                template = options[rng.randrange(len(options))]
            request = _fill(template, rng, year) + CLOSINGS[rng.randrange(len(CLOSINGS))]
            yield Ticket(
                ticket_id=new_ticket_id(rng),
                client_id=client_id,
                created_at=created_at,
                request=request,
                request_type=request_type,
                priority=priority,
            )

    def take(self, n: int) -> list[Ticket]:
        """The first `n` tickets of `tickets()`."""
        return list(itertools.islice(self.tickets(), n))
