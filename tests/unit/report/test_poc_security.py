"""Notebook 3's "ce que le POC applique lui-même": read from the live settings, so it changes when they do."""

from __future__ import annotations

from pydantic import SecretStr

from hybridflow.config import get_settings
from hybridflow.report.views import poc_security


def _rows(**settings) -> dict[str, str]:
    table = poc_security(get_settings(**settings))
    assert list(table.columns) == ["contrôle", "ce que le POC applique", "réglage en cours", "prouvé par"]
    assert table["prouvé par"].str.startswith("tests/").all()
    return dict(zip(table["contrôle"], table["ce que le POC applique"], strict=True))


def test_secured_by_default_each_principal_with_its_rights_only():
    rows = _rows(kafka_security="sasl_ssl", kafka_console_password=None)
    assert "SCRAM-SHA-512" in rows["Kafka : authentification"] and rows["Kafka : chiffrement"].startswith("TLS")
    producer = rows["Kafka : droits de hybridflow-producer"]
    assert (
        producer.startswith("écrire")
        and "client_tickets" in producer
        and "dlq" not in producer
        and "lire/" not in producer
    )
    streaming = rows["Kafka : droits de hybridflow-streaming"]
    assert "lire/décrire topic client_tickets ;" in streaming and "écrire/décrire topic client_tickets_dlq" in streaming
    assert rows["Kafka : client anonyme"].startswith("rien")
    assert "Kafka : droits de hybridflow-console" not in rows  # no Console password: no such user


def test_the_table_says_so_when_security_is_off_or_a_service_is_exposed():
    rows = _rows(kafka_security="plaintext", pg_host="0.0.0.0")
    assert rows["Kafka : authentification"].startswith("aucune") and rows["Kafka : client anonyme"].startswith("tout")
    assert rows["Écoute : PostgreSQL"].startswith("joignable du réseau")
    assert rows["Écoute : broker Kafka"] == "boucle locale uniquement"


def test_default_passwords_are_named_random_ones_are_not():
    defaults = _rows(kafka_admin_password=SecretStr("hybridflow-local-admin"))["Kafka : mots de passe"]
    assert "admin" in defaults and "boucle locale" in defaults
    random = {f"kafka_{r}_password": SecretStr(f"r4nd0m-{r}-0123456789") for r in ("admin", "producer", "streaming")}
    assert _rows(**random)["Kafka : mots de passe"].startswith("aléatoires")
