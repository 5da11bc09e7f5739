"""What the report's notebooks share: their own topics and lake, clean resets, the notebook set-up.

The notebooks run against the stack that `make up` started, beside other users of the
same broker. They never touch the pipeline's own topics or lake: `report_settings()`
gives them ``report_client_tickets`` / ``…_dlq`` / ``…_alerts`` and a lake under
``data/report/``, and each notebook resets what it is about to rewrite, so a second
`make report` rebuilds from scratch instead of piling up records.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hybridflow import lake, logs, pipeline
from hybridflow.batch.job import lake_outputs, seed_sources
from hybridflow.config import DATA_DIR, Settings, get_settings
from hybridflow.crm_tables import TABLES
from hybridflow.errors import StackError
from hybridflow.kafka.admin import admin_client
from hybridflow.kafka.topics import delete_topics, describe_topics, ensure_topics, wanted_topics
from hybridflow.probes import wait_until
from hybridflow.services.postgres import SERVICE, drop_database, ensure_role_and_database

REPORT_DATA_DIR = DATA_DIR / "report"
REPORT_TOPIC_PREFIX = "report_"
REPORT_DATABASE = "indutech_crm_report"  # the report's own CRM database (the seeder drops and re-creates its schema)


def run_namespace() -> str:
    """The isolated run this kernel belongs to (the REPORT_RUN setting, set by the tests), or '' for `make report`."""
    return get_settings().report_run


def report_data_dir(run: str | None = None) -> Path:
    """Where the report keeps its lake, checkpoints and landing files (one sub-folder per isolated run)."""
    run = run_namespace() if run is None else run
    return REPORT_DATA_DIR / "runs" / run if run else REPORT_DATA_DIR


def report_settings(**overrides: object) -> Settings:
    """The project settings with the report's own topics, lake, checkpoints and CRM database (overrides win).

    With REPORT_RUN set (the notebook tests do), topics, folders and database get
    that run's suffix too, so a test session never collides with `make report` or another session.
    """
    base = get_settings()
    run = run_namespace()
    prefix = f"{REPORT_TOPIC_PREFIX}{run}_" if run else REPORT_TOPIC_PREFIX
    data = report_data_dir(run)
    values: dict[str, object] = {
        "topic_tickets": prefix + base.topic_tickets,
        "topic_dlq": prefix + base.topic_dlq,
        "topic_alerts": prefix + base.topic_alerts,
        "topic_events": prefix + base.topic_events,
        "topic_breaches": prefix + base.topic_breaches,
        "lake_uri": (data / "lake").as_uri(),
        "checkpoint_uri": (data / "checkpoints").as_uri(),
        "landing_dir": data / "landing",
        "pg_database": f"{REPORT_DATABASE}_{run}" if run else REPORT_DATABASE,
        # Chapters 5 and 6 follow ten minutes of tickets; the lifecycle has a run of its own (`lifecycle_settings`).
        "lifecycle": False,
    }
    values.update(overrides)
    return get_settings(**values)


def scratch_dir(name: str) -> Path:
    """A fresh, empty folder under the report's data folder (a benchmark's scratch lakes, checkpoints and logs)."""
    folder = report_data_dir() / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def cleanup_run(run: str) -> None:
    """Remove everything an isolated run created: its topics, its CRM database, its data folder."""

    if not run:
        raise StackError("cleanup_run needs the run id of an isolated run, not the default report run.")
    settings = get_settings()
    prefix = f"{REPORT_TOPIC_PREFIX}{run}_"
    delete_topics(settings, [t for t in describe_topics(settings) if t.startswith(prefix)])
    drop_database(settings, f"{REPORT_DATABASE}_{run}")
    shutil.rmtree(report_data_dir(run), ignore_errors=True)


def _guard(settings: Settings) -> None:
    """Refuse to reset anything that is not the report's own (never wipe the pipeline's topics or lake)."""
    for topic in wanted_topics(settings):
        if not topic.startswith(REPORT_TOPIC_PREFIX):
            raise StackError(f"Refusing to reset topic {topic!r}: only {REPORT_TOPIC_PREFIX}* topics are the report's.")
    if not settings.lake_is_local or not settings.local_path(settings.lake_uri).is_relative_to(REPORT_DATA_DIR):
        raise StackError(f"Refusing to reset the lake {settings.lake_uri}: only {REPORT_DATA_DIR} is the report's.")


def reset_topics(settings: Settings, topics: list[str] | None = None, timeout_s: float = 30.0) -> dict[str, int]:
    """Delete the report's topics (default: all of them), wait until they are gone, recreate them empty."""
    _guard(settings)
    names = topics or list(wanted_topics(settings))
    with admin_client(settings) as admin:
        present = [n for n in names if n in set(admin.list_topics())]
        if present:
            admin.delete_topics(present, timeout_ms=settings.kafka_request_timeout_ms, raise_errors=False)
        wait_until(
            lambda: not set(names) & set(admin.list_topics()),
            timeout_s,
            what=f"The deletion of topics {names}",
            fix="check the broker log, then rerun",
        )
    # A just-deleted topic can take a moment to be creatable again.
    return wait_until(
        lambda: ensure_topics(settings),
        10.0,
        what=f"Re-creating topics {names}",
        fix="check the broker log, then rerun",
        interval_s=1.0,
        retry_on=(StackError,),
    )


def reset_lake(settings: Settings, tables: list[lake.LakeTable] | None = None) -> list[str]:
    """Remove the report's lake (or only `tables` of it, Delta log included) and the streaming checkpoints.

    Returns the folders removed.
    """
    _guard(settings)
    uris = [settings.lake_uri] if tables is None else [t.uri(settings) for t in tables]
    removed = []
    for uri in (*uris, settings.checkpoint_root):
        path = settings.local_path(uri)
        if path.exists():
            shutil.rmtree(path)
            removed.append(str(path))
    return removed


def forget_last_commit(settings: Settings, query: str) -> int:
    """Simulate a crash after a micro-batch's writes but before Spark recorded the batch as done.

    Removes the query's last commit marker (``<checkpoint>/commits/<N>``); the batch's planned
    offsets stay in ``offsets/<N>``, so a restart re-runs batch N with the same records and the
    same batch id — what Spark does after a real crash at that moment. Returns N.
    """
    _guard(settings)
    commits = settings.local_path(settings.checkpoint_path(query)) / "commits"
    done = [int(p.name) for p in commits.iterdir() if p.name.isdigit()] if commits.is_dir() else []
    if not done:
        raise StackError(f"The {query} query has no committed batch under {commits}: run the job first.")
    last = max(done)
    for name in (str(last), f".{last}.crc"):
        (commits / name).unlink(missing_ok=True)
    return last


def ensure_pipeline_output(
    spark, settings: Settings, count: int, malformed_ratio: float, seed: int = 42, span_s: float = 600.0
) -> str:
    """Make sure the report's lake holds the stream's Delta tables; run the sample pipeline if it does not.

    Lets a results notebook run on its own (fresh kernel, nothing run before it). With
    `spark` None, a SparkSession is started only if the pipeline must run, and stopped after.
    Returns one line saying what was found or done.
    """
    tables = lake.stream_tables(settings)
    if all(table.exists(settings) for table in tables):
        versions = ", ".join(f"{t.name} v{t.version(settings)}" for t in tables)
        return f"lac trouvé : tables Delta {versions} sous {settings.lake_uri} (écrites par le notebook 6)"
    reset_topics(settings)
    reset_lake(settings, list(lake.STREAM_TABLES))  # keep the batch's reference layer
    sent = pipeline.produce_sample(settings, count, malformed_ratio, seed=seed, span_s=span_s, lifecycle=False)
    with pipeline.spark_session(spark, settings, app_name="rapport-echantillon") as session:
        pipeline.run_pipeline(session, settings, available_now=True, progress=False)
    return f"lac absent : échantillon produit puis traité par le job ({sent.line()})"


LIFECYCLE_PART = "lifecycle"


def lifecycle_settings() -> Settings:
    """The report's lifecycle run: the report's settings with topics and a lake of its own (``data/report/lifecycle``).

    SLA deadlines are hours to days after a ticket opens: the lifecycle sample replays days of
    support activity in minutes, on topics and in a lake apart from the ten-minute ticket sample
    of chapters 5 and 6, whose windows it would otherwise flatten.
    """
    base = report_settings()
    data = report_data_dir() / LIFECYCLE_PART
    part = f"{REPORT_TOPIC_PREFIX}{LIFECYCLE_PART}_"
    topics = {name: part + getattr(base, name).removeprefix(REPORT_TOPIC_PREFIX) for name in _TOPIC_FIELDS}
    return base.with_(
        **topics, lifecycle=True, lake_uri=(data / "lake").as_uri(), checkpoint_uri=(data / "checkpoints").as_uri()
    )


_TOPIC_FIELDS = ("topic_tickets", "topic_dlq", "topic_alerts", "topic_events", "topic_breaches")


def lifecycle_tables(
    spark,
    settings: Settings,
    count: int,
    crm_scale: float,
    arrival_rate: float = 0.01,
    seed: int = 42,
) -> str:
    """Make sure the lifecycle lake holds `ticket_status`; if not, produce a lifecycle sample and run the job on it.

    The sample's clients and agents are the report's CRM's (`crm_scale`), whose reference tables
    are copied from the report's lake (loaded first if needed), so the job enriches as in chapter 6.
    With `spark` None, a SparkSession is started only if the job must run, and stopped after.

    Args:
        count: tickets of the sample; `arrival_rate`: simulated tickets per second (0.01: 2,000 tickets ≈ 2.3 days).

    Returns one line saying what was found or done.
    """
    if lake.TICKET_STATUS.exists(settings):
        return f"cycle de vie trouvé : ticket_status v{lake.TICKET_STATUS.version(settings)} sous {settings.lake_uri}"
    with pipeline.spark_session(spark, settings, app_name="rapport-cycle-de-vie") as session:
        ensure_client_dimension(session, report_settings(), crm_scale)
        reset_topics(settings)
        reset_lake(settings)
        for spec in TABLES:  # the batch's reference layer, as the report's lake holds it
            source = report_settings().local_path(lake.reference_table(spec).uri(report_settings()))
            if source.exists():
                shutil.copytree(source, settings.local_path(lake.reference_table(spec).uri(settings)))
        sent = pipeline.produce_sample(
            settings, count, 0.02, seed, lifecycle=True, arrival_rate=arrival_rate, crm_scale=crm_scale
        )
        pipeline.run_pipeline(session, settings, available_now=True, progress=False)
    return f"cycle de vie : échantillon produit puis traité par le job ({sent.line()})"


def prepare_crm(settings: Settings, scale: float, seed: int = 42, export_files: int = 3):
    """A fresh on-premise source for the batch notebook: the report's CRM database, seeded, and SAN CSV exports.

    Also removes what an earlier run of the batch left in the report's lake (reference tables,
    rejects, high-water marks), so the first batch run of the notebook is a full load.
    Returns (SeedReport, LandingReport).
    """
    _guard(settings)
    if not settings.pg_database.startswith(REPORT_DATABASE):
        raise StackError(
            f"Refusing to reseed database {settings.pg_database!r}: only {REPORT_DATABASE} is the report's."
        )
    SERVICE.start(settings)  # idempotent
    ensure_role_and_database(settings, settings.pg_database)
    for uri in lake_outputs(settings).values():
        path = settings.local_path(uri)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    if settings.landing_dir.exists():
        shutil.rmtree(settings.landing_dir)
    return seed_sources(settings, scale=scale, seed=seed, export_files=export_files, progress=False)


def setup_notebook(log_level: str = "WARNING") -> None:
    """Inline figures, readable pandas output, the package's log level, quiet warnings: each notebook's first call."""
    import warnings

    import pandas as pd

    # tqdm.auto warns that ipywidgets is missing, then falls back to text bars: fine for a report.
    warnings.filterwarnings("ignore", message="IProgress not found")
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_colwidth", 80)
    logs.configure(log_level)  # the notebook chooses; third-party chatter (kafka, py4j) only on errors
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")


def ensure_client_dimension(spark, settings: Settings, scale: float, seed: int = 42) -> str:
    """Make sure the report's lake holds the batch ETL's client dimension (the stream joins it); load it if not.

    Returns one line saying what was found or done.
    """
    version, done = pipeline.ensure_client_dimension(
        spark, settings, lambda: prepare_crm(settings, scale, seed=seed), progress=False
    )
    if not done:
        return f"dimension client trouvée dans le lac (versions Delta {version})"
    seeded, _landing, batch = done
    return f"dimension client chargée par l'ETL batch : {seeded} ; {batch}"
