"""The CRM generator and the CSV export generator are deterministic and dirty on purpose (no Spark)."""

from datetime import datetime

import pytest

from hybridflow.batch.crm import REJECT_CLOSED_EVERY, UPGRADE, CrmGenerator, CrmSize, plan_client_changes
from hybridflow.batch.errors import BatchError
from hybridflow.batch.landing import BROKEN_KINDS, invoice_exports, write_invoice_exports
from hybridflow.crm_tables import JDBC_TABLES
from hybridflow.tickets.generator import client_ids


def _all_rows(gen: CrmGenerator) -> dict[str, list[tuple]]:
    return {spec.name: list(gen.rows(spec.name)) for spec in JDBC_TABLES}


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a, b, c = _all_rows(CrmGenerator(0.05, 1)), _all_rows(CrmGenerator(0.05, 1)), _all_rows(CrmGenerator(0.05, 2))
    assert a == b
    assert a["clients"] != c["clients"] and a["ticket_history"] != c["ticket_history"]


def test_rows_match_the_column_layout() -> None:
    rows = _all_rows(CrmGenerator(0.05, 3))
    for spec in JDBC_TABLES:
        assert rows[spec.name], spec.name
        assert all(len(r) == len(spec.columns) for r in rows[spec.name]), spec.name
        keys = [r[spec.column_names.index(spec.key)] for r in rows[spec.name]]
        assert len(keys) == len(set(keys)), f"{spec.name}: duplicate keys"


def test_clients_are_the_ticket_generators_population() -> None:
    gen = CrmGenerator(0.1, 4)
    assert [r[1] for r in gen.clients()] == client_ids(gen.size.clients)
    assert {r[2] for r in gen.ticket_history()} <= set(client_ids(gen.size.clients))


def test_expected_rejects_match_the_broken_rows() -> None:
    gen = CrmGenerator(0.05, 5)
    history = list(gen.ticket_history())
    broken = [r for r in history if (r[4] and datetime.fromisoformat(r[4]) < datetime.fromisoformat(r[3])) or r[9] == 9]
    assert len(broken) == gen.expected_rejects()["ticket_history"] >= len(history) // REJECT_CLOSED_EVERY


def test_scale_grows_rows_and_caps_client_ids() -> None:
    assert CrmSize.of(1).ticket_history * 100 == CrmSize.of(100).ticket_history
    assert CrmSize.of(1000).clients == 99_999
    with pytest.raises(BatchError, match="--scale must be positive"):
        CrmSize.of(0)


def test_exports_are_deterministic_and_count_their_defects(tmp_path) -> None:
    first = write_invoice_exports(tmp_path / "a", n_files=3, rows_per_file=20, n_clients=50, seed=9)
    second = write_invoice_exports(tmp_path / "b", n_files=3, rows_per_file=20, n_clients=50, seed=9)
    assert first == second
    for name in first.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.broken == 3 * len(BROKEN_KINDS)
    assert first.exact_duplicates == 4 and first.resent_changed == 2
    assert first.lines == 3 * 20 + first.broken + first.exact_duplicates + first.resent_changed
    assert first.distinct_invoices == 60
    header = (tmp_path / "a" / first.files[0]).read_text().splitlines()[0]
    assert header == "invoice_id;client_id;issued_on;amount_eur;status;updated_at"


def test_export_generation_is_pure_and_writing_writes_exactly_it(tmp_path) -> None:
    texts, report = invoice_exports(n_files=2, rows_per_file=10, n_clients=20, seed=4)
    assert list(texts) == list(report.files) and not any(tmp_path.iterdir())
    written = write_invoice_exports(tmp_path, n_files=2, rows_per_file=10, n_clients=20, seed=4)
    assert written == report
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == texts


def test_client_changes_are_planned_without_the_database() -> None:
    existing = [(f"C{n:05d}", tier) for n, tier in enumerate(["bronze", "silver", " Gold ", "platinum"] * 5, start=1)]
    updates, inserts = plan_client_changes(existing, top=20, n_updates=6, n_inserts=3, seed=7)
    assert plan_client_changes(existing, 20, 6, 3, seed=7) == (updates, inserts)  # deterministic for a seed
    tiers = dict(existing)
    assert len(updates) == 6 and all(new == UPGRADE[tiers[cid].strip().lower()] for cid, new in updates)
    assert [row[:2] for row in inserts] == [(21, "C00021"), (22, "C00022"), (23, "C00023")]
    with pytest.raises(BatchError, match="99,999 clients"):
        plan_client_changes(existing, top=99_998, n_updates=0, n_inserts=2)
