"""The mission's deliverables as data, each with the checks that prove it and a status computed from their outcome.

The list comes from the user's brief (mission-1 plan: "check-list des livrables") and the project's
issues. A status is never typed by hand, and never given because a file exists: each deliverable
names its **checks** —

* **tests**, by pytest node id (a file, a test, or one parametrised case); their outcome is read from
  the JUnit XML of the last `make test` (`hybridflow.report.evidence`);
* **build checks**, run while the report is built, on what this run produced (the lake's Delta tables
  read without Spark, the topics, the benchmark results, the recorded demo).

Status: ``fait`` when every check ran and passed; ``échec`` when one failed; ``partiel`` when some
passed and others did not run; ``non vérifié`` when none ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hybridflow import lake
from hybridflow.architecture import build_architecture
from hybridflow.architecture.scoring import chosen, primary_cloud
from hybridflow.architecture.sensitivity import ranking
from hybridflow.config import Settings
from hybridflow.errors import HybridflowError
from hybridflow.kafka.topics import describe_topics
from hybridflow.report import evidence
from hybridflow.report.publish import slides, video
from hybridflow.report.publish.build import git_commit
from hybridflow.report.synthesis import STREAM_BENCH, read_bench, run_outcome
from hybridflow.report.views import read_back

DONE, FAILED, PARTIAL, UNVERIFIED = "fait", "échec", "partiel", "non vérifié"
STATUSES = (DONE, PARTIAL, FAILED, UNVERIFIED)


@dataclass(frozen=True)
class Check:
    """A build check's verdict: passed, failed, or not run (with why), and what it saw."""

    outcome: str  # evidence.PASSED / FAILED / NOT_RUN
    proof: str


def passed(proof: str) -> Check:
    """A check that ran and held."""
    return Check(evidence.PASSED, proof)


def failed(proof: str) -> Check:
    """A check that ran and did not hold."""
    return Check(evidence.FAILED, proof)


def not_run(why: str) -> Check:
    """A check that could not run here (nothing to look at): never counts as proof."""
    return Check(evidence.NOT_RUN, why)


@dataclass(frozen=True)
class Deliverable:
    """One deliverable: what, where the report shows it, the tests and build checks that prove it."""

    name: str
    source: str
    where: str
    tests: tuple[str, ...] = ()
    checks: tuple[Callable[[Settings], Check], ...] = field(default_factory=tuple)


# --- build checks: on what this run produced ---------------------------------------------------------


def _architecture(settings: Settings) -> Check:
    arch = build_architecture()
    picks = chosen(arch)
    if len(picks) != len(arch.needs):
        return failed(f"{len(picks)}/{len(arch.needs)} besoins pourvus")
    ranked = ranking(arch)
    if ranked.winner != primary_cloud(arch):
        return failed("la sensibilité et le choix désignent deux clouds différents")
    return passed(
        f"{len(picks)}/{len(arch.needs)} besoins pourvus, {ranked.winner.label} devant {ranked.runner_up.label}"
    )


def _lake_exactly_once(name: str, what: str) -> Callable[[Settings], Check]:
    """A lake table as a Delta reader (delta-rs, no Spark) sees it: rows, one per key."""

    def check(settings: Settings) -> Check:
        table = lake.table(name)
        delta = table.delta(settings)
        if delta is None:
            return not_run(f"pas de table Delta {name} sous {settings.lake_uri}")
        keys = table.to_pandas(settings, columns=list(table.key))
        duplicates = int(keys.duplicated().sum())
        rows = f"{len(keys):,}".replace(",", "\u202f")
        proof = f"{name} v{delta.version()} (delta-rs) : {rows} {what}, {duplicates} doublon(s) de clé"
        return passed(proof) if len(keys) and not duplicates else failed(proof)

    check.__name__ = f"table_{name}"
    return check


def _topics(settings: Settings) -> Check:
    try:
        topics = describe_topics(settings)
    except HybridflowError as exc:
        return not_run(f"broker injoignable : {exc}")
    if settings.topic_tickets not in topics:
        return not_run(f"topic {settings.topic_tickets} absent")
    proof = f"{settings.topic_tickets} : {topics[settings.topic_tickets]} partitions ; {settings.topic_dlq} présent : {settings.topic_dlq in topics}"
    return passed(proof) if topics[settings.topic_tickets] >= 3 and settings.topic_dlq in topics else failed(proof)


def _balance(settings: Settings) -> Check:
    outcome = run_outcome(settings)
    if not outcome.measured:
        return not_run("; ".join(outcome.problems) or "exécution illisible")
    proof = (
        f"{outcome.records} événements = {outcome.tickets} tickets + {outcome.dead_letters} lettres mortes, "
        f"{outcome.duplicates} doublon(s)"
    )
    return passed(proof) if outcome.balanced else failed(proof)


def _dead_letter_reasons(settings: Settings) -> Check:
    try:
        letters = read_back(settings, settings.topic_dlq, timeout_s=10)
    except Exception as exc:  # noqa: BLE001 - an unreadable topic means the check could not run
        return not_run(f"topic {settings.topic_dlq} illisible ({type(exc).__name__})")
    if not len(letters):
        return not_run(f"aucune lettre morte dans {settings.topic_dlq}")
    reasons = [h.get("dlq.reason") for h in letters["headers"]]
    missing = sum(r is None for r in reasons)
    proof = f"{len(letters)} lettres mortes, {len(set(reasons) - {None})} raisons distinctes, {missing} sans raison"
    return passed(proof) if not missing else failed(proof)


def _benchmarks(settings: Settings) -> Check:
    stream = read_bench(STREAM_BENCH)
    drain = (stream.data or {}).get("drain") or {}
    steady = (stream.data or {}).get("steady") or {}
    if not drain.get("job_eps"):
        return not_run(f"{stream.path.name} absent : `make bench` non exécuté sur cette machine")
    visible = (steady.get("visible") or {}).get("n") or 0
    proof = f"{stream.path.name} {stream.when} : {drain['job_eps']:,.0f} évén./s, {visible} latences mesurées".replace(
        ",", "\u202f"
    )
    return passed(proof) if visible >= 2 else failed(proof + " (régime établi non mesuré)")


def _tests_passed(settings: Settings) -> Check:
    results = evidence.load()
    if not results:
        return not_run(f"aucun résultat JUnit dans {evidence.TEST_RESULTS_DIR.name}/ : lancer `make test`")
    ran = [o for o in results.values() if o.outcome != evidence.SKIPPED]
    bad = [o for o in ran if o.outcome == evidence.FAILED]
    kinds = {
        kind: sum(o.nodeid.startswith(f"tests/{kind}/") for o in ran) for kind in ("unit", "integration", "notebooks")
    }
    proof = f"{len(ran)} tests exécutés ({', '.join(f'{n} {k}' for k, n in kinds.items())}), {len(bad)} en échec"
    return failed(proof) if bad else passed(proof)


def _video(settings: Settings) -> Check:
    files = video.paths()
    if not files["cast"].exists():
        return not_run("`make video` non exécuté sur cette machine")
    frames = video.gif_frames(files["gif"])
    finished = video.DEMO_DONE in video.cast_text(files["cast"])
    proof = (
        f"enregistrement asciinema de make demo : {frames} images, démo {'terminée' if finished else 'NON terminée'}"
    )
    return passed(proof) if frames > 10 and finished else failed(proof)


def _slides(settings: Settings) -> Check:
    deck = slides.SLIDES_DIR / f"{slides.DECK_NAME}.slides.html"
    if not deck.exists():
        return not_run("`make slides` non exécuté sur cette machine")
    html = deck.read_text(encoding="utf-8")
    remote = slides.external_references(html)
    local = (slides.SLIDES_DIR / slides.REVEAL_FOLDER / "dist" / "reveal.js").is_file()
    proof = f"{deck.name} : {len(remote)} ressource(s) distante(s), reveal.js local : {'oui' if local else 'non'}"
    return passed(proof) if not remote and local else failed(proof)


# --- the deliverables ------------------------------------------------------------------------------

_A = "tests/unit/architecture/"
_NB = "tests/notebooks/test_report_build.py::test_notebook_executes_without_error"

DELIVERABLES: tuple[Deliverable, ...] = (
    Deliverable(
        "Sélection argumentée de composants cloud (AWS / Azure / GCP, critères pondérés)",
        "brief, ex. 1",
        "notebook 2",
        (f"{_A}test_arch_scoring.py", f"{_A}test_arch_model.py"),
        (_architecture,),
    ),
    Deliverable(
        "Sensibilité du choix (poids ±25 %, Monte-Carlo, prix ±20 %)",
        "brief, ex. 1 (sélection argumentée)",
        "notebooks 2 et 3",
        (f"{_A}test_arch_sensitivity.py",),
    ),
    Deliverable(
        "Schémas d'architecture hybride et de flux (PNG)",
        "brief, ex. 1",
        "notebook 2, diagrams/",
        (f"{_A}test_arch_schematics.py", f"{_A}test_arch_render.py"),
    ),
    Deliverable(
        "Diagrammes Mermaid (sources et images)",
        "brief, livrables",
        "notebook 2, diagrams/mermaid/",
        (f"{_A}test_arch_mermaid.py",),
    ),
    Deliverable(
        "Compatibilité des composants avec le SI existant", "brief, ex. 1", "notebook 3", (f"{_A}test_arch_tables.py",)
    ),
    Deliverable(
        "Sécurité : contrôles, identités, exposition réseau",
        "brief, ex. 1",
        "notebook 3",
        ("tests/unit/services/test_exposure_rules.py", "tests/integration/security/test_exposure.py"),
    ),
    Deliverable(
        "Disponibilité (SLA composés, RPO/RTO) et coûts",
        "exigences de disponibilité et de coût (notebook 1)",
        "notebook 3",
        (f"{_A}test_arch_availability.py", f"{_A}test_arch_costs.py"),
    ),
    Deliverable(
        "Générateur de tickets : distributions et événements malformés",
        "brief, ex. 2",
        "notebook 4",
        (
            "tests/unit/tickets/test_generator.py",
            "tests/unit/tickets/test_generator_events.py",
            "tests/unit/tickets/test_malformed.py",
        ),
    ),
    Deliverable(
        "Ingestion dans Redpanda / Kafka : topics, partitions, clé",
        "brief, ex. 2",
        "notebook 5",
        ("tests/integration/tickets/test_producer.py",),
        (_topics,),
    ),
    Deliverable(
        "Pipeline PySpark Structured Streaming : validation, enrichissement",
        "brief, ex. 2",
        "notebook 6, annexe 11",
        ("tests/unit/streaming/test_transforms.py", "tests/integration/streaming/test_pipeline.py"),
        (_lake_exactly_once("tickets", "tickets enrichis"),),
    ),
    Deliverable(
        "Agrégations par fenêtre avec watermark",
        "brief, ex. 2",
        "notebook 6",
        ("tests/integration/streaming/test_pipeline.py::test_closed_windows_agree_with_the_tickets",),
        (_lake_exactly_once("ticket_windows", "fenêtres fermées"),),
    ),
    Deliverable(
        "Lettres mortes avec leur raison ; rien n'est perdu",
        "brief, ex. 2 ; exigences du cas temps réel (notebook 1)",
        "notebooks 6 et 8",
        ("tests/unit/streaming/test_hostile_input.py",),
        (_dead_letter_reasons, _balance),
    ),
    Deliverable(
        "Lac Delta exactement une fois : ni perte ni doublon après des crashs",
        "exigence de robustesse",
        "notebook 6",
        ("tests/integration/streaming/test_crash.py",),
    ),
    Deliverable(
        "Cycle de vie des tickets : état par ticket, échéances SLA, dépassements une seule fois",
        "besoin du support",
        "notebook 8, annexe 11",
        (
            "tests/unit/streaming/test_lifecycle_state.py",
            "tests/integration/streaming/test_lifecycle.py",
            "tests/integration/streaming/test_lifecycle_crash.py",
        ),
    ),
    Deliverable(
        "Benchmark du flux : débit et latences",
        "exigences de débit et de latence",
        "synthèse, notebook 6",
        (),
        (_benchmarks,),
    ),
    Deliverable(
        "ETL batch des données on-premise (JDBC, incrémental)",
        "brief, composant Spark",
        "notebook 7",
        ("tests/unit/batch/test_transforms.py", "tests/integration/batch/test_batch_etl.py"),
        (_lake_exactly_once("clients", "clients de la dimension"),),
    ),
    Deliverable(
        "Résultats et analyse en graphiques",
        "brief, ex. 2",
        "notebook 8",
        ("tests/unit/report/test_operations.py", "tests/unit/report/test_views.py", f"{_NB}[08_resultats_et_analyse]"),
    ),
    Deliverable(
        "Dockerfile de l'application PySpark", "brief, ex. 2", "notebook 9", ("tests/unit/deploy/test_dockerfile.py",)
    ),
    Deliverable(
        "Docker Compose : Redpanda, Spark et services annexes",
        "brief, ex. 2",
        "notebook 9",
        ("tests/unit/deploy/test_compose.py", "tests/integration/deploy/test_compose_stack.py"),
    ),
    Deliverable(
        "Export des résultats vers un stockage objet (S3)",
        "brief, ex. 2",
        "notebook 9",
        ("tests/integration/deploy/test_s3_lake.py", "tests/integration/deploy/test_objectstore.py"),
    ),
    Deliverable(
        "Même job sur un cluster Spark",
        "exigences du cas temps réel (notebook 1)",
        "notebook 9",
        ("tests/integration/deploy/test_cluster.py",),
    ),
    Deliverable(
        "Tests automatisés (unitaires, intégration, notebooks)",
        "brief, ex. 2 (pipeline opérationnel)",
        "tests/",
        (),
        (_tests_passed,),
    ),
    Deliverable(
        "Documentation : README, notebooks numérotés",
        "brief, livrables",
        "README.md, notebooks/",
        ("tests/notebooks/test_committed_notebooks.py", "tests/unit/test_faults.py", "tests/unit/test_config.py"),
    ),
    Deliverable(
        "Rapport exporté (HTML autonome et PDF A4, synthèse en tête)",
        "brief, livrables (documentation structurée)",
        "report/",
        ("tests/notebooks/test_report_build.py", "tests/unit/report/test_reader_first.py"),
    ),
    Deliverable(
        "Fiche d'autoévaluation fondée sur des preuves",
        "brief, livrables",
        "notebook 10",
        ("tests/unit/report/test_checklist.py",),
    ),
    Deliverable(
        "Vidéo de démonstration",
        "brief (« éventuellement »)",
        "synthèse, report/video/",
        ("tests/unit/report/test_video.py",),
        (_video,),
    ),
    Deliverable(
        "Support du bilan avec le mentor (diapositives)",
        "brief, préparation bilan",
        "report/slides/",
        ("tests/unit/report/test_slides.py",),
        (_slides,),
    ),
)


# --- evaluation -----------------------------------------------------------------------------------


def _run(check: Callable[[Settings], Check], settings: Settings) -> Check:
    try:
        return check(settings)
    except Exception as exc:  # noqa: BLE001 - a check that crashes is a failed check, shown as such
        return failed(f"vérification en erreur : {type(exc).__name__}: {exc}")


def status_of(outcomes: list[str]) -> str:
    """The deliverable's status from its checks' outcomes (never « fait » without a passing check)."""
    ran = [o for o in outcomes if o != evidence.NOT_RUN]
    if evidence.FAILED in ran:
        return FAILED
    if not ran:
        return UNVERIFIED
    return DONE if len(ran) == len(outcomes) else PARTIAL


def detail(
    settings: Settings,
    deliverables: tuple[Deliverable, ...] = DELIVERABLES,
    results: dict[str, evidence.Outcome] | None = None,
) -> pd.DataFrame:
    """One row per check of each deliverable: what it is, its outcome, what it saw."""
    results = evidence.load() if results is None else results
    rows = []
    for d in deliverables:
        for ref in d.tests:
            outcome, text = evidence.summarise(ref, results)
            rows.append(
                {
                    "livrable": d.name,
                    "vérification": f"test {ref.removeprefix('tests/')}",
                    "résultat": outcome,
                    "constat": text,
                }
            )
        for check in d.checks:
            result = _run(check, settings)
            rows.append(
                {
                    "livrable": d.name,
                    "vérification": f"contrôle du build {check.__name__.strip('_')}",
                    "résultat": result.outcome,
                    "constat": result.proof,
                }
            )
    return pd.DataFrame(rows, columns=["livrable", "vérification", "résultat", "constat"])


def evaluate(
    settings: Settings,
    deliverables: tuple[Deliverable, ...] = DELIVERABLES,
    results: dict[str, evidence.Outcome] | None = None,
    checks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The checklist: each deliverable's status from its checks, and a one-line summary of them."""
    checks = detail(settings, deliverables, results) if checks is None else checks
    rows = []
    for d in deliverables:
        mine = checks[checks["livrable"] == d.name]
        outcomes = list(mine["résultat"])
        counts = {o: outcomes.count(o) for o in (evidence.PASSED, evidence.FAILED, evidence.NOT_RUN)}
        proof = (
            (
                f"{len(outcomes)} vérification(s) : {counts[evidence.PASSED]} passée(s), {counts[evidence.FAILED]} en échec, "
                f"{counts[evidence.NOT_RUN]} non exécutée(s)"
            )
            if outcomes
            else "aucune vérification définie"
        )
        rows.append(
            {
                "livrable": d.name,
                "source": d.source,
                "où c'est montré": d.where,
                "statut": status_of(outcomes),
                "preuve": proof,
            }
        )
    return pd.DataFrame(rows)


def status_counts(checklist: pd.DataFrame) -> pd.Series:
    """How many deliverables per status."""
    return checklist["statut"].value_counts().reindex(list(STATUSES), fill_value=0)


def missing_references(deliverables: tuple[Deliverable, ...] = DELIVERABLES, root: Path | None = None) -> list[str]:
    """Test references that name no existing test (the checklist must not point at nothing)."""
    kwargs = {"root": root} if root else {}
    return [ref for d in deliverables for ref in d.tests if not evidence.reference_exists(ref, **kwargs)]


def environment() -> pd.DataFrame:
    """Where this report was computed: interpreter, versions, commit (proves the venv kernel ran it)."""
    import platform
    import sys
    from importlib.metadata import version

    import pyspark

    rows = [
        ("interpréteur du noyau", sys.executable),
        ("Python", platform.python_version()),
        ("PySpark", pyspark.__version__),
        ("Delta Lake pour Spark (delta-spark)", version("delta-spark")),
        ("lecteur Delta sans Spark (deltalake, delta-rs)", version("deltalake")),
        ("DuckDB", version("duckdb")),
        ("pandas", pd.__version__),
        ("commit git", git_commit()),
        ("système", f"{platform.system()} {platform.release()}"),
    ]
    return pd.DataFrame(rows, columns=["élément", "valeur"])
