"""The notebooks and the slides speak to the reader, and what they state agrees with the code.

Every markdown and code cell of the numbered notebooks and of the slides deck is read as text:

- no project history: no issue reference (« issue 9 », « #12 »), no « première version du job »,
  « désormais », « ancien lac » … (what is shown and why, never how it was built);
- one word for the support ticket: « ticket », never « billet »;
- the number of notebooks stated, and every « notebook N » cited, match the files present;
- the key a sentence gives a topic matches the key the producer really sends
  (`hybridflow.tickets.producer`: tickets by ``client_id``, lifecycle events by ``ticket_id``);
- nothing presents as future work what the broker already does by default (SASL/TLS), and no sentence
  claims a broker security the settings' default does not have;
- the synthesis quotes one count of random weightings, the one its conclusion uses.

Each check is a function of a text; `test_each_check_catches_a_planted_bad_string` proves it fires.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
from collections.abc import Iterator
from functools import cache
from itertools import islice
from pathlib import Path

import nbformat
import pytest

from hybridflow import lake
from hybridflow.architecture import build_architecture, mermaid, schematics, sensitivity
from hybridflow.config import NOTEBOOKS_DIR, PROJ_ROOT, Settings, get_settings
from hybridflow.report import checklist, synthesis
from hybridflow.report.publish.build import list_notebooks
from hybridflow.simulation.lifecycle import lifecycle_records, lifecycle_routes

NOTEBOOKS = list_notebooks(NOTEBOOKS_DIR)
SLIDES = sorted((NOTEBOOKS_DIR / "slides").glob("*.ipynb"))
READER_FILES = [*NOTEBOOKS, *SLIDES]
NOTEBOOK_NUMBERS = {int(p.name[:2]) for p in NOTEBOOKS}


def cells(path: Path) -> list[tuple[str, str, str]]:
    """(label, cell type, source) of every markdown and code cell of a notebook."""
    nb = nbformat.read(path, as_version=4)
    return [
        (f"{path.name} cell {i + 1}", c.cell_type, c.source)
        for i, c in enumerate(nb.cells)
        if c.cell_type in ("markdown", "code")
    ]


def text_of(path: Path) -> str:
    """The notebook's markdown and code, cell after cell."""
    return "\n\n".join(source for _, _, source in cells(path))


def sentences(text: str) -> list[str]:
    """Sentences, roughly: cut after . ! ? (bold or not), at blank lines and at list items."""
    parts = re.split(r"(?:(?<=[.!?])|(?<=[.!?]\*\*))\s+|\n\s*\n|\n\s*[-*] ", text)
    return [p.strip() for p in parts if p.strip()]


# --- the checks, each a function of a text -------------------------------------------------------

ISSUE_REF = re.compile(r"\bissues?\s*(?:n[°o]\s*|#\s*)?\d+|(?<![\w&#/])#\d{1,5}\b", re.I)
HISTORY = re.compile(
    r"\bpremière version d(?:u job|u code|u pipeline|u producteur|e l'application)\b|\bdésormais\b|\bauparavant\b|\bnous avons\b|\bon avait\b"
    r"|\bancien(?:ne)? (?:lac|job|code|pipeline|producteur|version d[ue] (?:job|code|pipeline|producteur))\b"
    r"|\b\d+ fois plus lente?s?\b|\b(?:est|sont) maintenant\b|\bqu'avant\b|\bétaient évitables\b",
    re.I,
)
BILLET = re.compile(r"(?<![\w/])billets?\b", re.I)


def history(text: str) -> list[str]:
    """Issue references and phrases that tell how the project was built."""
    return [m.group(0) for m in ISSUE_REF.finditer(text)] + [m.group(0) for m in HISTORY.finditer(text)]


def other_words_for_ticket(text: str) -> list[str]:
    """« billet » where the project's word is « ticket » (file names such as ``…_billet.png`` excepted)."""
    return [m.group(0) for m in BILLET.finditer(text)]


_WORD_NUMBERS = {
    "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12,
    "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
}  # fmt: skip
COUNT = re.compile(r"\b(\d+|" + "|".join(_WORD_NUMBERS) + r")\s+(?:notebooks|chapitres)\b", re.I)
REFERENCE = re.compile(r"\b(?:notebooks?|chapitres?|annexe)\s+(\d{1,2}(?:\s*(?:à|et|,|-|–)\s*\d{1,2})*)\b", re.I)


def wrong_counts(text: str, present: int = len(NOTEBOOKS)) -> list[str]:
    """« N notebooks » stated with N other than the notebooks present (counts under 5 name a subset: allowed)."""
    wrong = []
    for match in COUNT.finditer(text):
        word = match.group(1).lower()
        n = int(word) if word.isdigit() else _WORD_NUMBERS[word]
        if n >= 5 and n != present:
            wrong.append(match.group(0))
    return wrong


def missing_references(text: str, numbers: set[int] = NOTEBOOK_NUMBERS) -> list[str]:
    """« notebook N » / « chapitres N et M » / « annexe N » citing a number no notebook has."""
    return [
        match.group(0)
        for match in REFERENCE.finditer(text)
        if any(int(n) not in numbers for n in re.findall(r"\d+", match.group(1)))
    ]


KEY_FIELDS = ("client_id", "ticket_id")
KEY_CLAIM = re.compile(
    r"(?:\bcl[ée]s?|\bkey(?:ed)?(?:\s+by)?|partitionn[ée]e?s?\s+par)"
    r"(?:\s*(?:=|:|est|sont|de partitionnement))*\s*(?:le\s+|la\s+|l')?`?(" + "|".join(KEY_FIELDS) + r")\b",
    re.I,
)
_ABOUT_A_TOPIC = re.compile(r"topic|partition|produc|kafka|broker|redpanda", re.I)


@cache
def topic_names() -> dict[str, str]:
    """Topic role -> its name in the settings the architecture model is built with (`lifecycle_routes`)."""
    return dict(lifecycle_routes(get_settings()))


def topic_of(sentence: str) -> str | None:
    """Which produced topic a sentence is about: 'tickets', 'events', or None (alerts, breaches, lake tables…)."""
    if re.search(r"alerte|alert|dépassement|breach", sentence, re.I):
        return None  # keyed by ticket_id too, but not sent by the producer
    if re.search(r"\bMERGE\b|\btable\b|delta", sentence, re.I) or not _ABOUT_A_TOPIC.search(sentence):
        return None  # a lake table's key, or no topic in sight
    if topic_names()["events"] in sentence or re.search(r"cycle de vie|lifecycle", sentence, re.I):
        return "events"
    return "tickets"


@cache
def produced_keys() -> dict[str, str]:
    """Topic role -> the field whose value the producer sends as the record key, read off produced records."""
    found: dict[str, set[str]] = {}
    for record in islice(lifecycle_records(get_settings(), 60, malformed_ratio=0.0), 2_000):
        if record.kind is not None or record.key is None:
            continue
        doc = json.loads(record.value)
        fields = {k for k, v in doc.items() if isinstance(v, str) and v.encode("utf-8") == record.key}
        found[record.role] = found.get(record.role, fields) & fields
    assert set(found) == {"tickets", "events"}, found
    assert all(len(fields) == 1 for fields in found.values()), found
    return {role: fields.pop() for role, fields in found.items()}


def wrong_keys(text: str, keys: dict[str, str] | None = None) -> list[str]:
    """Sentences giving a produced topic a key other than the producer's."""
    keys = keys or produced_keys()
    wrong = []
    for sentence in sentences(text):
        role = topic_of(sentence)
        if role is None:
            continue
        wrong += [f"{role}: {sentence}" for m in KEY_CLAIM.finditer(sentence) if m.group(1) != keys[role]]
    return wrong


def future_work(path_cells: list[tuple[str, str, str]]) -> str:
    """The markdown under a « Suites », « Limites », « Perspectives » or « Prochaines étapes » heading."""
    kept, inside = [], False
    for _, kind, source in path_cells:
        if kind != "markdown":
            continue
        for line in source.splitlines():
            heading = re.match(r"\s*(#+\s+.*|\*\*[^*]+\*\*\s*$|\*\*[^*]+\.\*\*)", line)
            if heading:
                inside = bool(re.search(r"suites|limites|perspectives|prochaines? étapes|à venir", line, re.I))
                continue
            if inside:
                kept.append(line)
    return "\n".join(kept)


SECURITY_WORK = re.compile(r"SASL|TLS|SCRAM|s[ée]curiser le broker|chiffrer le broker", re.I)
SECURED_CLAIM = re.compile(r"broker[^.]*\b(?:exige|requiert|requires?)\b[^.]*\b(?:TLS|SCRAM|SASL)", re.I)
UNSECURED_CLAIM = re.compile(r"broker[^.]*\b(?:non sécurisé|sans authentification|sans chiffrement|en clair)", re.I)


def security_contradictions(future: str, narrative: str, default: str) -> list[str]:
    """Broker security promised as future work though on by default, or claimed otherwise than the default."""
    found = []
    if default != "plaintext":
        found += [f"travail futur : {m.group(0)}" for m in SECURITY_WORK.finditer(future)]
        found += [f"affirmé : {m.group(0)}" for m in UNSECURED_CLAIM.finditer(narrative)]
    if default != "sasl_ssl":
        found += [f"affirmé : {m.group(0)}" for m in SECURED_CLAIM.finditer(narrative)]
    return found


WEIGHT_DRAWS = {("sensitivity", "conclusion"), ("sensitivity", "monte_carlo_weights"), ("synthesis", "table"),
                ("synthesis", "decision_rows")}  # fmt: skip
PRICE_DRAWS = {("sensitivity", "price_draws_table"), ("sensitivity", "monte_carlo_prices")}


def draw_calls(code: str) -> Iterator[tuple[str, str, str | None]]:
    """(module, function, the `draws=` expression or None) of each call drawing weights or prices."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            name = (node.func.value.id, node.func.attr)
            if name in WEIGHT_DRAWS | PRICE_DRAWS:
                draws = next((ast.unparse(k.value) for k in node.keywords if k.arg == "draws"), None)
                yield (*name, draws)


def draw_mismatches(code: str) -> list[str]:
    """Weight-drawing calls of one notebook without `draws=`, or with different `draws=` expressions."""
    calls = [c for c in draw_calls(code) if c[:2] in WEIGHT_DRAWS]
    problems = [f"{m}.{f}(…) sans draws=" for m, f, d in calls if d is None]
    if len({d for _, _, d in calls if d is not None}) > 1:
        problems.append("draws différents : " + ", ".join(f"{m}.{f}(draws={d})" for m, f, d in calls))
    return problems


PCT_OF_DRAWS = re.compile(r"(\d+(?:,\d)?)\s*%\s+de\s+(\d[\d\s]*?)\s+pondérations")


def quoted_draws(text: str) -> list[tuple[str, str]]:
    """(share, count) of each « X % de N pondérations » in a text."""
    return [(share, re.sub(r"\s", "", count)) for share, count in PCT_OF_DRAWS.findall(text)]


# --- the committed notebooks and slides -----------------------------------------------------------


@pytest.mark.parametrize("path", READER_FILES, ids=[p.stem for p in READER_FILES])
def test_no_project_history_and_one_word_for_the_ticket(path):
    for label, _, source in cells(path):
        assert not history(source), f"{label}: project history for the reader: {history(source)}"
        assert not other_words_for_ticket(source), f"{label}: say « ticket », not {other_words_for_ticket(source)}"


def test_the_checklist_cites_the_readers_sources():
    for d in checklist.DELIVERABLES:
        assert not re.search(r"\bissues?\b", d.source, re.I), f"{d.name}: source {d.source!r} names a project issue"
        assert not missing_references(d.where), f"{d.name}: {d.where!r} cites a notebook that does not exist"


@pytest.mark.parametrize("path", READER_FILES, ids=[p.stem for p in READER_FILES])
def test_notebook_counts_and_references_match_the_files(path):
    text = text_of(path)
    assert not wrong_counts(text), f"{path.name}: {wrong_counts(text)}, but there are {len(NOTEBOOKS)} notebooks"
    assert not missing_references(text), (
        f"{path.name}: {missing_references(text)} cites a notebook not in {sorted(NOTEBOOK_NUMBERS)}"
    )


def test_the_producer_keys_tickets_by_client_and_events_by_ticket():
    assert produced_keys() == {"tickets": "client_id", "events": "ticket_id"}


@pytest.mark.parametrize("path", READER_FILES, ids=[p.stem for p in READER_FILES])
def test_topic_keys_stated_are_the_producers(path):
    assert not wrong_keys(text_of(path)), f"{path.name}: {wrong_keys(text_of(path))}"


def test_security_stated_agrees_with_the_default_settings():
    default = Settings.model_fields["kafka_security"].default
    future = "\n".join([*(future_work(cells(p)) for p in READER_FILES), *synthesis.NOT_PROVEN])
    narrative = "\n".join(s for p in READER_FILES for _, kind, s in cells(p) if kind == "markdown")
    assert not security_contradictions(future, narrative, default), security_contradictions(future, narrative, default)


def test_the_synthesis_quotes_one_count_of_weightings():
    arch = build_architecture()
    for function in (synthesis.decision_rows, synthesis.table, sensitivity.conclusion):
        assert inspect.signature(function).parameters["draws"].default == sensitivity.N_DRAWS, function.__name__
    for draws in (1_000, sensitivity.N_DRAWS):
        row = next(
            r["valeur"] for r in synthesis.decision_rows(arch, draws) if r["indicateur"] == "robustesse aux poids"
        )
        sentence = sensitivity.conclusion(arch, draws=draws)
        assert quoted_draws(row) and quoted_draws(row) == quoted_draws(sentence)[:1], (row, sentence)
        assert quoted_draws(row)[0][1] == str(draws)


@pytest.mark.parametrize("path", READER_FILES, ids=[p.stem for p in READER_FILES])
def test_each_notebook_draws_one_count_and_the_packages(path, monkeypatch):
    code = "\n".join(s for _, kind, s in cells(path) if kind == "code")
    assert not draw_mismatches(code), f"{path.name}: {draw_mismatches(code)}"
    parameters = next((s for label, kind, s in cells(path) if kind == "code" and "N_DRAWS =" in s), None)
    if parameters is None:
        return
    monkeypatch.delenv("IN_TEST", raising=False)
    namespace: dict[str, object] = {}
    exec(parameters, namespace)  # the notebook's own parameters cell: constants only
    used = {f for _, f, d in draw_calls(code) if d == "N_DRAWS"}
    if used & {f for _, f in WEIGHT_DRAWS}:
        assert namespace["N_DRAWS"] == sensitivity.N_DRAWS, f"{path.name}: N_DRAWS ≠ sensitivity.N_DRAWS"
    if used & {f for _, f in PRICE_DRAWS}:
        expected = inspect.signature(sensitivity.monte_carlo_prices).parameters["draws"].default
        assert namespace["N_DRAWS"] == expected, f"{path.name}: N_DRAWS ≠ the conclusion's price draws ({expected})"


def test_the_data_readme_describes_the_delta_lake():
    text = (PROJ_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "Delta Lake" in text and not re.search(r"Parquet by|Parquet (?:tables?|lake)", text)
    for table in lake.catalogue():
        assert f"{table.path.split('/')[0]}/" in text, f"data/README.md does not name the lake folder of {table.name}"


# --- what the architecture model writes for the reader (notebook 2): not ours to edit -----------


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def architecture_text() -> str:
    """Every text the architecture model gives the report: its labels, the Mermaid sources, the schematics' titles."""
    arch = build_architecture()
    return "\n".join(
        [
            *_strings(arch),
            *(build(arch) for build in mermaid.MERMAID_SOURCES.values()),
            *(s.title for s in schematics.SCHEMATICS),
        ]
    )


def test_the_architecture_keys_topics_as_the_producer_does():
    names = {name: role for role, name in topic_names().items()}
    claims = re.findall(r"produce\((\w+), clé = (\w+)\)", architecture_text())
    assert claims
    wrong = [(topic, key) for topic, key in claims if topic in names and key != produced_keys()[names[topic]]]
    assert not wrong, wrong


def test_the_architecture_says_ticket():
    assert not other_words_for_ticket(architecture_text())


# --- the checks have teeth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "bad"),
    [
        (history, "Le job lit le topic une fois (issue 9)."),
        (history, "Voir #12 pour le détail."),
        (history, "La première version du job était 16 fois plus lente."),
        (other_words_for_ticket, "Chaque billet reçoit son équipe."),
        (wrong_counts, "Le rapport compte 10 notebooks numérotés."),
        (wrong_counts, "Les onze chapitres du rapport"),
        (missing_references, "Le notebook 12 détaille les coûts."),
        (missing_references, "Voir les notebooks 4 à 13."),
        (wrong_keys, "Le topic `client_tickets` est partitionné par la clé `ticket_id`."),
        (wrong_keys, "Les événements de cycle de vie vont dans leur topic avec la clé `client_id`."),
        (
            draw_mismatches,
            "show(synthesis.table(settings, arch, outcome))\nsensitivity.conclusion(arch, draws=N_DRAWS)",
        ),
        (draw_mismatches, "synthesis.table(s, a, o, draws=2_000)\nsensitivity.conclusion(arch, draws=N_DRAWS)"),
    ],
)
def test_each_check_catches_a_planted_bad_string(check, bad):
    assert check(bad), f"{check.__name__} missed {bad!r}"


def test_the_security_check_catches_a_planted_promise():
    future = future_work([("slides", "markdown", "## 6. Suites\n\n- Sécuriser le broker (SASL/TLS).")])
    assert security_contradictions(future, "", "sasl_ssl")
    assert security_contradictions("", "Par défaut le broker exige une connexion SCRAM sur TLS.", "plaintext")
    assert security_contradictions("", "Le broker local tourne sans authentification.", "sasl_ssl")
    assert not security_contradictions(future, "", "plaintext")


def test_the_draw_check_reads_the_numbers_quoted():
    assert quoted_draws("Azure gagne 66\u00a0% de 2\u202f000 pondérations au hasard") == [("66", "2000")]
    assert quoted_draws("dans 65\u00a0% de 5\u202f000 pondérations tirées") != quoted_draws(
        "66 % de 2 000 pondérations"
    )
