"""InduTechData's hybrid architecture, as data: the one place every table and picture is rendered from.

Scores are judgements (1 = poor, 5 = best) written next to a one-line reason; the choice of
each component is *computed* from them by `hybridflow.architecture.scoring`. Prices and SLAs
carry the public page they come from and the date they were recorded: list prices drift, so
re-check them before a purchase decision (see ASSUMPTIONS).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from hybridflow import lake
from hybridflow.architecture.model import (
    Architecture,
    Candidate,
    Compatibility,
    CostLine,
    CostOption,
    Criterion,
    CriticalPath,
    ExistingSystem,
    Flow,
    FlowKind,
    Location,
    Need,
    Provider,
    Requirement,
    SecurityControl,
    Sla,
    UnitPrice,
    Verdict,
    Volume,
    Zone,
)
from hybridflow.config import Settings, get_settings
from hybridflow.tickets.model import Priority
from hybridflow.tickets.reference import sla_for

AWS, AZURE, GCP, SELF = Provider.AWS, Provider.AZURE, Provider.GCP, Provider.SELF_MANAGED
HYBRID, ON_PREM = CostOption.HYBRID, CostOption.ON_PREMISE

# Scores below are written in this criterion order.
CRITERIA: tuple[Criterion, ...] = (
    Criterion("scalability", "Scalabilité", 0.20, "Les flux IoT croissent de ~50 Go/mois et saturent déjà l'existant."),
    Criterion(
        "cost", "Coût", 0.20, "Budget d'une ETI industrielle : coût total sur 3 ans, pas seulement le ticket d'entrée."
    ),
    Criterion("security", "Sécurité", 0.15, "Données clients (RGPD) et données de production industrielle."),
    Criterion(
        "compatibility",
        "Compatibilité avec l'existant",
        0.20,
        "SQL Server, AD, SAN et le code Kafka/Spark déjà écrit doivent fonctionner sans réécriture.",
    ),
    Criterion(
        "operations",
        "Charge d'exploitation (5 = faible)",
        0.15,
        "Petite équipe data : chaque service auto-géré coûte des astreintes.",
    ),
    Criterion(
        "lock_in",
        "Indépendance fournisseur (5 = faible lock-in)",
        0.10,
        "Pouvoir changer de cloud ou revenir on-premise sans tout réécrire.",
    ),
)
_ORDER = tuple(c.id for c in CRITERIA)

ZONES: tuple[Zone, ...] = (
    Zone("onprem_dc", "Datacenter InduTechData (siège + usines)", Location.ON_PREMISE),
    Zone("link", "Liaison privée on-premise ↔ cloud", Location.NETWORK),
    Zone("cloud_data", "VNet données (endpoints privés, France Central)", Location.CLOUD),
    Zone("cloud_platform", "Services plateforme (identité, clés, supervision)", Location.CLOUD),
    Zone("dev", "Poste développeur / CI (Docker Compose)", Location.ON_PREMISE),
)


def _sla(availability: float, source: str, as_of: str) -> Sla:
    return Sla(availability, source, as_of)


def _assumed(availability: float, why: str) -> Sla:
    return Sla(availability, f"Hypothèse InduTechData : {why}", "2026-11-25")


SYSTEMS: tuple[ExistingSystem, ...] = (
    ExistingSystem(
        "sqlserver",
        "Cluster SQL Server\n(ERP + CRM, ~40 To)",
        "onprem_dc",
        "onprem.database.MSSQL",
        "Groupe de disponibilité Always On à 2 nœuds ; source de vérité ERP et CRM.",
        _assumed(0.9995, "Always On 2 nœuds, maintenance planifiée hors SLA"),
    ),
    ExistingSystem(
        "san",
        "SAN\n(~10 To de fichiers)",
        "onprem_dc",
        "generic.storage.Storage",
        "Partages SMB/NFS : plans, PDF qualité, exports machines.",
        _assumed(0.9999, "baie double contrôleur"),
    ),
    ExistingSystem(
        "active_directory",
        "Active Directory\n(source d'identité)",
        "onprem_dc",
        "azure.identity.ActiveDirectory",
        "Forêt AD unique, 2 contrôleurs de domaine par site.",
        _assumed(0.9999, "4 contrôleurs de domaine répartis sur 2 sites"),
    ),
    ExistingSystem(
        "iot_gateways",
        "Passerelles IoT\ndes usines",
        "onprem_dc",
        "onprem.compute.Server",
        "Passerelles OPC UA / MQTT des lignes de production.",
        _assumed(0.995, "une passerelle par ligne, sans redondance"),
    ),
    ExistingSystem(
        "support_portal",
        "Portail support\n(création des tickets)",
        "onprem_dc",
        "onprem.client.Users",
        "Application web du support client, productrice des tickets.",
        _assumed(0.999, "2 serveurs web derrière un répartiteur"),
    ),
    ExistingSystem(
        "onprem_edge",
        "Routeurs / pare-feu\nde bordure",
        "onprem_dc",
        "generic.network.Firewall",
        "Paire de pare-feu en actif/passif, terminaison BGP et IPsec.",
        _assumed(0.9995, "paire actif/passif"),
    ),
    ExistingSystem(
        "bi_users",
        "Analystes métier\n(Power BI)",
        "onprem_dc",
        "onprem.analytics.PowerBI",
        "Contrôle de gestion, qualité, direction du support.",
        _assumed(0.999, "postes et réseau du siège"),
    ),
)

NEEDS: tuple[Need, ...] = (
    Need("object_storage", "Stockage objet / data lake", "cloud_data"),
    Need("data_warehouse", "Entrepôt de données", "cloud_data"),
    Need("streaming_broker", "Broker de streaming (API Kafka)", "cloud_data"),
    Need("processing", "Traitement batch + streaming (Spark)", "cloud_data"),
    Need("db_migration_cdc", "Migration et CDC depuis SQL Server", "cloud_data"),
    Need("file_transfer", "Transfert de fichiers depuis le SAN", "cloud_data"),
    Need("network_link", "Liaison réseau privée", "link"),
    Need("network_backup", "Liaison de secours (VPN IPsec)", "link"),
    Need("identity", "Fédération d'identité avec AD", "cloud_platform"),
    Need("key_management", "Gestion des clés", "cloud_platform"),
    Need("monitoring", "Supervision et audit", "cloud_platform"),
    Need("orchestration", "Orchestration des traitements", "cloud_data"),
    Need("dev_object_storage", "Stockage objet local (dev/CI, API S3)", "dev", production=False),
)


def _c(
    cid: str, need: str, provider: Provider, name: str, scores: str, note: str, icon: str, sla: Sla | None = None
) -> Candidate:
    values = [int(s) for s in scores.split()]
    return Candidate(cid, need, provider, name, dict(zip(_ORDER, values, strict=True)), note, icon, sla)


_MS = "Microsoft — SLA for Online Services"
_AWS = "AWS — Service Level Agreement"
_GCP = "Google Cloud — Service Level Agreement"

CANDIDATES: tuple[Candidate, ...] = (
    # --- object storage / data lake ---
    _c(
        "adls_gen2",
        "object_storage",
        AZURE,
        "Azure Data Lake Storage Gen2",
        "5 4 5 4 5 3",
        "Espace de noms hiérarchique + ACL POSIX liées aux groupes AD ; Spark via abfss://.",
        "azure.storage.DataLakeStorage",
        _sla(0.999, f"{_MS} (Storage Accounts, LRS chaud)", "2025-06-01"),
    ),
    _c(
        "s3",
        "object_storage",
        AWS,
        "Amazon S3",
        "5 4 5 4 5 4",
        "API S3 de référence, identique au stockage local ; IAM distinct d'AD.",
        "aws.storage.S3",
        _sla(0.999, f"{_AWS} (Amazon S3 Standard)", "2025-06-01"),
    ),
    _c(
        "gcs",
        "object_storage",
        GCP,
        "Google Cloud Storage",
        "5 4 5 3 5 3",
        "Robuste et simple ; connecteur gs:// et IAM Google à ajouter.",
        "gcp.storage.GCS",
        _sla(0.999, f"{_GCP} (Cloud Storage, régional)", "2025-06-01"),
    ),
    _c(
        "ceph_rgw",
        "object_storage",
        SELF,
        "Ceph RGW sur VM",
        "4 3 4 4 2 5",
        "API S3 sans lock-in, mais un cluster de stockage à opérer soi-même.",
        "onprem.storage.Ceph",
        _assumed(0.999, "3 nœuds Ceph, réplication ×3"),
    ),
    # --- data warehouse ---
    _c(
        "synapse",
        "data_warehouse",
        AZURE,
        "Azure Synapse Analytics (SQL serverless)",
        "4 4 5 5 4 2",
        "T-SQL comme SQL Server : requêtes et compétences existantes réutilisées ; lit le lac sans copie.",
        "azure.analytics.SynapseAnalytics",
        _sla(0.999, f"{_MS} (Azure Synapse Analytics)", "2025-06-01"),
    ),
    _c(
        "redshift",
        "data_warehouse",
        AWS,
        "Amazon Redshift Serverless",
        "5 3 5 3 4 2",
        "Performant ; dialecte PostgreSQL, migration des requêtes T-SQL à prévoir.",
        "aws.analytics.Redshift",
        _sla(0.999, f"{_AWS} (Amazon Redshift)", "2025-06-01"),
    ),
    _c(
        "bigquery",
        "data_warehouse",
        GCP,
        "BigQuery",
        "5 4 5 3 5 2",
        "Très peu d'exploitation ; SQL et sécurité à réapprendre, sortie de données payante.",
        "gcp.analytics.Bigquery",
        _sla(0.9999, f"{_GCP} (BigQuery)", "2025-06-01"),
    ),
    _c(
        "trino_iceberg",
        "data_warehouse",
        SELF,
        "Trino + Apache Iceberg sur VM",
        "4 4 3 3 2 5",
        "Ouvert et portable, mais sécurité et haute disponibilité à construire.",
        "onprem.analytics.Trino",
        _assumed(0.995, "coordinateur unique"),
    ),
    # --- streaming broker ---
    _c(
        "event_hubs",
        "streaming_broker",
        AZURE,
        "Azure Event Hubs Premium (API Kafka)",
        "4 3 5 3 5 2",
        "Endpoint Kafka géré, mais sous-ensemble de l'API (admin, transactions) et authentification par SAS/Entra.",
        "azure.analytics.EventHubs",
        _sla(0.9999, f"{_MS} (Event Hubs Premium)", "2025-06-01"),
    ),
    _c(
        "msk",
        "streaming_broker",
        AWS,
        "Amazon MSK",
        "4 3 4 5 4 4",
        "Vrai Kafka géré ; coût plancher élevé pour ~20 000 tickets/jour.",
        "aws.analytics.ManagedStreamingForKafka",
        _sla(0.999, f"{_AWS} (Amazon MSK, multi-AZ)", "2025-06-01"),
    ),
    _c(
        "gcp_kafka",
        "streaming_broker",
        GCP,
        "Google Cloud Managed Service for Apache Kafka",
        "4 3 4 5 4 4",
        "Kafka géré récent ; écosystème régional plus restreint.",
        "onprem.queue.Kafka",
        _sla(0.999, f"{_GCP} (Managed Service for Apache Kafka)", "2025-06-01"),
    ),
    _c(
        "redpanda_vm",
        "streaming_broker",
        SELF,
        "Redpanda sur 3 VM (une par zone)",
        "5 4 4 5 3 5",
        "Même binaire qu'en dev (Docker Compose), API Kafka complète, sans JVM ni ZooKeeper.",
        "custom:redpanda.png",
        _assumed(0.9995, "3 brokers, RF=3, 3 zones de disponibilité (SLA VM 99,99 %)"),
    ),
    # --- processing ---
    _c(
        "databricks",
        "processing",
        AZURE,
        "Azure Databricks (Jobs, Structured Streaming)",
        "5 3 5 5 4 3",
        "Le code PySpark existant tourne tel quel ; Unity Catalog s'appuie sur les groupes Entra/AD.",
        "azure.analytics.Databricks",
        _sla(0.9995, f"{_MS} (Azure Databricks)", "2025-06-01"),
    ),
    _c(
        "emr",
        "processing",
        AWS,
        "Amazon EMR Serverless",
        "5 4 4 5 4 3",
        "Spark géré à la demande ; identités AD via IAM Identity Center seulement.",
        "aws.analytics.EMR",
        _sla(0.999, f"{_AWS} (Amazon EMR)", "2025-06-01"),
    ),
    _c(
        "dataproc",
        "processing",
        GCP,
        "Dataproc Serverless",
        "5 4 4 5 4 3",
        "Spark géré ; même remarque sur l'intégration AD.",
        "gcp.analytics.Dataproc",
        _sla(0.999, f"{_GCP} (Dataproc)", "2025-06-01"),
    ),
    _c(
        "spark_k8s",
        "processing",
        SELF,
        "Spark sur Kubernetes (opérateur Spark)",
        "4 4 4 5 2 5",
        "Portable, mais opérateur, images et montée de version à maintenir.",
        "onprem.analytics.Spark",
        _assumed(0.999, "cluster Kubernetes multi-zones"),
    ),
    # --- database migration and CDC ---
    _c(
        "adf_cdc",
        "db_migration_cdc",
        AZURE,
        "Azure Data Factory (CDC SQL Server) + DMS",
        "4 4 5 5 4 2",
        "Lit les tables CDC natives de SQL Server via un runtime auto-hébergé, sans ouvrir de port entrant.",
        "azure.analytics.DataFactories",
        _sla(0.999, f"{_MS} (Data Factory)", "2025-06-01"),
    ),
    _c(
        "aws_dms",
        "db_migration_cdc",
        AWS,
        "AWS Database Migration Service",
        "4 4 4 4 4 3",
        "Chargement complet + CDC ; instance de réplication à dimensionner.",
        "aws.database.DatabaseMigrationService",
        _sla(0.999, f"{_AWS} (AWS DMS)", "2025-06-01"),
    ),
    _c(
        "datastream",
        "db_migration_cdc",
        GCP,
        "Datastream (source SQL Server)",
        "4 4 4 4 5 2",
        "Sans serveur ; sources SQL Server plus limitées.",
        "gcp.analytics.Dataflow",
        _sla(0.999, f"{_GCP} (Datastream)", "2025-06-01"),
    ),
    _c(
        "debezium",
        "db_migration_cdc",
        SELF,
        "Debezium (Kafka Connect) vers Redpanda",
        "4 5 4 4 2 5",
        "Ouvert et temps réel ; cluster Kafka Connect à opérer.",
        "onprem.queue.Kafka",
        _assumed(0.995, "1 worker Kafka Connect"),
    ),
    # --- file transfer from the SAN ---
    _c(
        "storage_mover",
        "file_transfer",
        AZURE,
        "Azure Storage Mover + Data Box (chargement initial)",
        "4 4 5 4 4 3",
        "Agent SMB/NFS sur site ; le Data Box évite de saturer la liaison pour les 10 To initiaux.",
        "azure.storage.DataBox",
    ),
    _c(
        "datasync",
        "file_transfer",
        AWS,
        "AWS DataSync + Snowball",
        "4 4 5 4 5 3",
        "Agent sur site, planification et vérification intégrées.",
        "aws.migration.Datasync",
    ),
    _c(
        "storage_transfer",
        "file_transfer",
        GCP,
        "Storage Transfer Service + Transfer Appliance",
        "4 4 4 4 4 3",
        "Agents sur site ; appliance pour le chargement initial.",
        "gcp.storage.Storage",
    ),
    _c(
        "rclone",
        "file_transfer",
        SELF,
        "rclone planifié (cron)",
        "3 5 3 4 2 5",
        "Gratuit et universel, mais reprise sur erreur et audit à construire.",
        "generic.storage.Storage",
    ),
    # --- network link ---
    _c(
        "expressroute",
        "network_link",
        AZURE,
        "Azure ExpressRoute 1 Gbit/s (peering privé)",
        "4 3 5 5 4 3",
        "Bande passante garantie et latence stable, hors Internet.",
        "azure.network.ExpressrouteCircuits",
        _sla(0.9995, f"{_MS} (ExpressRoute)", "2025-06-01"),
    ),
    _c(
        "direct_connect",
        "network_link",
        AWS,
        "AWS Direct Connect 1 Gbit/s",
        "4 3 5 5 4 3",
        "Équivalent AWS ; SLA 99,9 % sur un seul site.",
        "aws.network.DirectConnect",
        _sla(0.999, f"{_AWS} (Direct Connect, un site)", "2025-06-01"),
    ),
    _c(
        "interconnect",
        "network_link",
        GCP,
        "Cloud Interconnect (partenaire) 1 Gbit/s",
        "4 3 5 5 4 3",
        "Équivalent GCP via un opérateur partenaire.",
        "gcp.network.DedicatedInterconnect",
        _sla(0.999, f"{_GCP} (Cloud Interconnect)", "2025-06-01"),
    ),
    # --- network backup ---
    _c(
        "azure_vpn",
        "network_backup",
        AZURE,
        "Azure VPN Gateway (VpnGw1AZ, IPsec)",
        "3 4 4 5 4 3",
        "Bascule BGP automatique si ExpressRoute tombe.",
        "azure.network.VirtualNetworkGateways",
        _sla(0.9999, f"{_MS} (VPN Gateway, SKU AZ)", "2025-06-01"),
    ),
    _c(
        "aws_vpn",
        "network_backup",
        AWS,
        "AWS Site-to-Site VPN",
        "3 4 4 5 4 3",
        "Secours classique de Direct Connect.",
        "aws.network.SiteToSiteVpn",
        _sla(0.9995, f"{_AWS} (Site-to-Site VPN)", "2025-06-01"),
    ),
    _c(
        "gcp_vpn",
        "network_backup",
        GCP,
        "Cloud HA VPN",
        "3 4 4 5 4 3",
        "Secours de l'Interconnect, deux tunnels.",
        "gcp.network.VPN",
        _sla(0.9999, f"{_GCP} (Cloud VPN haute disponibilité)", "2025-06-01"),
    ),
    # --- identity federation ---
    _c(
        "entra_id",
        "identity",
        AZURE,
        "Microsoft Entra ID + Entra Connect",
        "5 4 5 5 4 2",
        "Synchronise l'AD existant (OU filtrées), SSO, MFA et accès conditionnel pour tous les services.",
        "azure.identity.EntraConnect",
        _sla(0.9999, f"{_MS} (Microsoft Entra ID)", "2025-06-01"),
    ),
    _c(
        "iam_identity_center",
        "identity",
        AWS,
        "IAM Identity Center + AD Connector",
        "4 4 4 4 4 3",
        "Fédère l'AD, mais les rôles IAM des services restent à part.",
        "aws.security.IAM",
        _sla(0.999, f"{_AWS} (AWS Directory Service)", "2025-06-01"),
    ),
    _c(
        "cloud_identity",
        "identity",
        GCP,
        "Cloud Identity + Directory Sync",
        "4 4 4 3 3 3",
        "Synchronisation unidirectionnelle ; SSO via un IdP SAML à ajouter.",
        "gcp.security.Iam",
        _sla(0.999, f"{_GCP} (Cloud Identity)", "2025-06-01"),
    ),
    _c(
        "keycloak",
        "identity",
        SELF,
        "Keycloak fédéré sur l'AD (LDAP)",
        "3 4 4 4 2 5",
        "Standard ouvert ; un composant critique de plus à opérer.",
        "onprem.identity.Dex",
        _assumed(0.999, "2 instances Keycloak"),
    ),
    # --- key management ---
    _c(
        "key_vault",
        "key_management",
        AZURE,
        "Azure Key Vault Premium (HSM)",
        "4 5 5 4 5 2",
        "Clés gérées par le client pour le lac et les disques ; secrets des services.",
        "azure.security.KeyVaults",
        _sla(0.9999, f"{_MS} (Key Vault)", "2025-06-01"),
    ),
    _c(
        "aws_kms",
        "key_management",
        AWS,
        "AWS KMS",
        "5 5 5 4 5 2",
        "Référence du marché ; couplé à IAM.",
        "aws.security.KMS",
        _sla(0.99999, f"{_AWS} (AWS KMS)", "2025-06-01"),
    ),
    _c(
        "cloud_kms",
        "key_management",
        GCP,
        "Cloud KMS",
        "5 5 5 4 5 2",
        "Équivalent GCP, HSM en option.",
        "gcp.security.KMS",
        _sla(0.9995, f"{_GCP} (Cloud KMS)", "2025-06-01"),
    ),
    _c(
        "openbao",
        "key_management",
        SELF,
        "OpenBao (fork libre de Vault)",
        "3 4 4 4 2 5",
        "Portable, mais le coffre devient un système critique à opérer.",
        "onprem.security.Vault",
        _assumed(0.999, "3 nœuds Raft"),
    ),
    # --- monitoring / audit ---
    _c(
        "azure_monitor",
        "monitoring",
        AZURE,
        "Azure Monitor + Log Analytics + Sentinel",
        "5 3 5 5 4 2",
        "Couvre aussi les serveurs on-premise (Azure Arc) et les journaux AD : une seule console d'audit.",
        "azure.monitor.Monitor",
        _sla(0.999, f"{_MS} (Azure Monitor / Log Analytics)", "2025-06-01"),
    ),
    _c(
        "cloudwatch",
        "monitoring",
        AWS,
        "CloudWatch + CloudTrail + Security Hub",
        "5 3 5 3 4 2",
        "Complet côté AWS ; l'on-premise demande des agents et un SIEM à part.",
        "aws.management.Cloudwatch",
        _sla(0.999, f"{_AWS} (Amazon CloudWatch)", "2025-06-01"),
    ),
    _c(
        "cloud_logging",
        "monitoring",
        GCP,
        "Cloud Monitoring + Cloud Logging",
        "5 3 4 3 4 2",
        "Idem côté GCP.",
        "gcp.operations.Monitoring",
        _sla(0.999, f"{_GCP} (Cloud Logging)", "2025-06-01"),
    ),
    _c(
        "prometheus_grafana",
        "monitoring",
        SELF,
        "Prometheus + Grafana + Loki",
        "4 4 3 4 2 5",
        "Standard ouvert ; pas de SIEM ni d'audit de conformité sans autre outil.",
        "onprem.monitoring.Grafana",
        _assumed(0.999, "Prometheus en paire"),
    ),
    # --- orchestration ---
    _c(
        "adf_pipelines",
        "orchestration",
        AZURE,
        "Azure Data Factory (pipelines)",
        "4 4 5 5 4 2",
        "Même service que le CDC ; déclenche les jobs Databricks et les copies.",
        "azure.analytics.DataFactories",
        _sla(0.999, f"{_MS} (Data Factory)", "2025-06-01"),
    ),
    _c(
        "mwaa",
        "orchestration",
        AWS,
        "Amazon MWAA (Airflow géré)",
        "4 3 4 4 4 4",
        "Airflow standard ; environnement facturé en continu.",
        "onprem.workflow.Airflow",
        _sla(0.999, f"{_AWS} (Amazon MWAA)", "2025-06-01"),
    ),
    _c(
        "composer",
        "orchestration",
        GCP,
        "Cloud Composer (Airflow géré)",
        "4 3 4 4 4 4",
        "Airflow standard ; coût plancher élevé.",
        "gcp.analytics.Composer",
        _sla(0.999, f"{_GCP} (Cloud Composer)", "2025-06-01"),
    ),
    _c(
        "airflow_k8s",
        "orchestration",
        SELF,
        "Apache Airflow sur Kubernetes",
        "4 4 4 4 2 5",
        "Portable ; base de métadonnées et mises à jour à opérer.",
        "onprem.workflow.Airflow",
        _assumed(0.999, "ordonnanceur redondé"),
    ),
    # --- local/dev stand-in of the object store (not part of the cloud comparison) ---
    _c(
        "versitygw",
        "dev_object_storage",
        SELF,
        "versitygw (passerelle S3 sur dossier POSIX)",
        "3 5 4 5 5 5",
        "Apache-2.0, activement maintenu, un seul binaire ; les objets restent des fichiers lisibles ; back-end Azure Blob possible.",
        "generic.storage.Storage",
    ),
    _c(
        "minio",
        "dev_object_storage",
        SELF,
        "MinIO (édition communautaire)",
        "5 5 2 5 2 3",
        "Distribué en source seule depuis oct. 2025 puis archivé (avr. 2026) : plus de correctifs ni d'images publiés.",
        "generic.storage.Storage",
    ),
    _c(
        "azurite",
        "dev_object_storage",
        SELF,
        "Azurite (émulateur Azure Blob)",
        "2 5 3 2 5 2",
        "Émule Azure Blob mais pas l'API S3 (s3a://) utilisée par le code Spark.",
        "generic.storage.Storage",
    ),
)

_LINK = ("network_link",)
_CRIT_RESPONSE = sla_for(Priority.CRITICAL).first_response_minutes
# The pipeline's names as the user's settings give them: placeholders `build_architecture` fills in.
_TOPIC, _DLQ, _TRIGGER, _WINDOW = "{topic_tickets}", "{topic_dlq}", "{trigger_interval}", "{window_duration}"
_EVENTS, _BREACHES, _LATENESS = "{topic_events}", "{topic_breaches}", "{lifecycle_watermark_delay}"
_PIPELINE_SETTINGS = (
    "topic_tickets",
    "topic_dlq",
    "trigger_interval",
    "window_duration",
    "topic_events",
    "topic_breaches",
    "lifecycle_watermark_delay",
)
# The lifecycle's Delta tables, as the lake's catalogue names them.
_EVENT_LOG, _EVENT_TABLE, _STATUS_TABLE = lake.TICKET_EVENT_LOG.name, lake.TICKET_EVENTS.name, lake.TICKET_STATUS.name

FLOWS: tuple[Flow, ...] = (
    # real time: tickets and IoT through the broker and Spark to the lake
    Flow(
        "tickets_in",
        "support_portal",
        "streaming_broker",
        f"Tickets JSON ({_TOPIC})",
        FlowKind.REALTIME,
        _LINK,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="acks=all, RF=3 ; le portail tamponne et rejoue pendant une coupure",
    ),
    Flow(
        "iot_in",
        "iot_gateways",
        "streaming_broker",
        "Télémesures IoT (MQTT → Kafka)",
        FlowKind.REALTIME,
        _LINK,
        rpo_minutes=5,
        rto_minutes=30,
        recovery_note="tampon disque de 24 h sur chaque passerelle",
    ),
    Flow(
        "stream_read",
        "streaming_broker",
        "processing",
        "Lecture Structured Streaming (micro-lots)",
        FlowKind.REALTIME,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="reprise depuis les offsets du checkpoint",
    ),
    Flow(
        "stream_write",
        "processing",
        "object_storage",
        "Delta silver + agrégats gold",
        FlowKind.REALTIME,
        rpo_minutes=1,
        rto_minutes=15,
        recovery_note="écriture idempotente par checkpoint ; versioning du lac",
    ),
    # real time: the tickets' lifecycle (events -> per-ticket state -> SLA breaches)
    Flow(
        "events_in",
        "support_portal",
        "streaming_broker",
        f"Événements de cycle de vie ({_EVENTS})",
        FlowKind.REALTIME,
        _LINK,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="acks=all, RF=3 ; un événement renvoyé garde son event_id et n'est compté qu'une fois",
    ),
    Flow(
        "events_read",
        "streaming_broker",
        "processing",
        "Requête d'événements (validation)",
        FlowKind.REALTIME,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="reprise depuis les offsets du checkpoint",
    ),
    Flow(
        "events_log",
        "processing",
        "object_storage",
        f"Delta {_EVENT_LOG} (chaque événement reçu)",
        FlowKind.REALTIME,
        rpo_minutes=1,
        rto_minutes=15,
        recovery_note="ajout idempotent par micro-lot (id de requête et n° de lot dans le commit Delta)",
    ),
    Flow(
        "lifecycle_read",
        "object_storage",
        "processing",
        f"Requête de cycle de vie (tickets + {_EVENT_LOG})",
        FlowKind.REALTIME,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="état par ticket et minuteurs SLA dans le checkpoint (RocksDB)",
    ),
    Flow(
        "lifecycle_write",
        "processing",
        "object_storage",
        f"Delta {_EVENT_TABLE} + MERGE {_STATUS_TABLE}",
        FlowKind.REALTIME,
        rpo_minutes=1,
        rto_minutes=15,
        recovery_note="un lot rejoué après un crash réécrit les mêmes lignes (MERGE par ticket_id)",
    ),
    Flow(
        "breaches_out",
        "processing",
        "streaming_broker",
        f"Dépassements SLA ({_BREACHES})",
        FlowKind.REALTIME,
        rpo_minutes=0,
        rto_minutes=15,
        recovery_note="une transaction Kafka par micro-lot : chaque dépassement une fois pour un lecteur read_committed",
    ),
    # batch / CDC from SQL Server and the SAN
    Flow(
        "cdc_in",
        "sqlserver",
        "db_migration_cdc",
        "Chargement initial + CDC (tables cdc.*)",
        FlowKind.BATCH,
        _LINK,
        rpo_minutes=15,
        rto_minutes=240,
        recovery_note="reprise au dernier LSN traité ; rétention CDC 3 jours",
    ),
    Flow(
        "cdc_land",
        "db_migration_cdc",
        "object_storage",
        "Changements en Parquet (bronze)",
        FlowKind.BATCH,
        rpo_minutes=15,
        rto_minutes=240,
        recovery_note="rejouable depuis SQL Server",
    ),
    Flow(
        "files_in",
        "san",
        "file_transfer",
        "Fichiers SMB/NFS (delta quotidien)",
        FlowKind.BATCH,
        _LINK,
        rpo_minutes=1440,
        rto_minutes=1440,
        recovery_note="le SAN reste la source ; nouvelle synchronisation",
    ),
    Flow(
        "files_land",
        "file_transfer",
        "object_storage",
        "Archives (niveau froid)",
        FlowKind.BATCH,
        rpo_minutes=1440,
        rto_minutes=1440,
        recovery_note="versioning + suppression réversible",
    ),
    Flow(
        "batch_refine",
        "object_storage",
        "processing",
        "Bronze → silver/gold (nuit)",
        FlowKind.BATCH,
        rpo_minutes=1440,
        rto_minutes=480,
        recovery_note="jobs idempotents, relançables par partition",
    ),
    Flow(
        "dwh_load",
        "object_storage",
        "data_warehouse",
        "Tables gold (tables externes)",
        FlowKind.BATCH,
        rpo_minutes=60,
        rto_minutes=240,
        recovery_note="vues sur le lac : rien à restaurer côté entrepôt",
    ),
    Flow(
        "bi_read",
        "data_warehouse",
        "bi_users",
        "Rapports Power BI",
        FlowKind.BATCH,
        _LINK,
        rpo_minutes=60,
        rto_minutes=240,
        recovery_note="rapports rafraîchis depuis l'entrepôt",
    ),
    # control
    Flow("orchestrate_cdc", "orchestration", "db_migration_cdc", "Déclenche les copies", FlowKind.CONTROL),
    Flow("orchestrate_jobs", "orchestration", "processing", "Déclenche les jobs batch", FlowKind.CONTROL),
    # identity and security
    Flow("ad_sync", "active_directory", "identity", "Synchro des identités (Entra Connect)", FlowKind.SECURITY, _LINK),
    Flow("auth_processing", "identity", "processing", "SSO + identités managées", FlowKind.SECURITY),
    Flow("auth_dwh", "identity", "data_warehouse", "SSO + RBAC par groupes AD", FlowKind.SECURITY),
    Flow("keys_lake", "key_management", "object_storage", "Clés CMK (chiffrement au repos)", FlowKind.SECURITY),
    Flow("keys_broker", "key_management", "streaming_broker", "Certificats TLS + secrets SASL", FlowKind.SECURITY),
    Flow("audit_lake", "object_storage", "monitoring", "Journaux de diagnostic", FlowKind.SECURITY),
    Flow("audit_broker", "streaming_broker", "monitoring", "Métriques + journaux", FlowKind.SECURITY),
    Flow("audit_sql", "sqlserver", "monitoring", "Journaux d'audit SQL (Azure Arc)", FlowKind.SECURITY, _LINK),
    # network
    Flow("bgp_primary", "onprem_edge", "network_link", "Peering privé BGP", FlowKind.NETWORK),
    Flow("bgp_backup", "onprem_edge", "network_backup", "Tunnel IPsec de secours", FlowKind.NETWORK),
)

COMPATIBILITY: tuple[Compatibility, ...] = (
    Compatibility(
        "streaming_broker",
        "support_portal",
        "redpanda_vm",
        "Kafka (TCP)",
        "9093",
        "SASL/SCRAM-SHA-512 (secret dans Key Vault)",
        "TLS 1.2+",
        "on-prem → cloud",
        "continu",
        Verdict.NATIVE,
        "Coupure de la liaison : tickets et événements de cycle de vie non publiés.",
        "Client Kafka avec acks=all, retries et tampon local ; VPN de secours.",
    ),
    Compatibility(
        "streaming_broker",
        "iot_gateways",
        "redpanda_vm",
        "MQTT 3.1.1 → Kafka",
        "8883 / 9093",
        "Certificat client X.509 par passerelle",
        "TLS 1.2+",
        "on-prem → cloud",
        "continu (~50 Go/mois)",
        Verdict.ADAPTER,
        "Les passerelles parlent MQTT/OPC UA, pas Kafka ; rafales saturant la liaison.",
        "Pont MQTT → Kafka (Redpanda Connect) en bordure ; compression zstd, quotas par producteur.",
    ),
    Compatibility(
        "db_migration_cdc",
        "sqlserver",
        "adf_cdc",
        "TDS (SQL Server)",
        "1433 (local au runtime)",
        "Compte de service AD (Kerberos), lecture seule + rôle CDC",
        "TLS 1.2 (TDS chiffré) puis HTTPS 443",
        "on-prem → cloud (sortant seulement)",
        "toutes les 15 min",
        Verdict.NATIVE,
        "Charge et verrous sur la production ; croissance du journal si le CDC prend du retard.",
        "Lecture des tables CDC (pas de verrou sur les tables métier), chargement initial depuis une sauvegarde "
        "restaurée, fenêtre de nuit, alerte sur la latence du CDC.",
    ),
    Compatibility(
        "file_transfer",
        "san",
        "storage_mover",
        "SMB 3 / NFS v4",
        "445 / 2049 (local à l'agent)",
        "Compte de service AD en lecture seule",
        "SMB 3 chiffré, puis HTTPS 443",
        "on-prem → cloud",
        "quotidien (delta)",
        Verdict.ADAPTER,
        "Agent à déployer sur une VM on-premise ; saturation de la liaison au premier transfert.",
        "Chargement initial par Data Box ; limitation de bande passante de l'agent en journée.",
    ),
    Compatibility(
        "identity",
        "active_directory",
        "entra_id",
        "LDAP (local) + HTTPS",
        "389/636 local, 443 sortant",
        "Compte de synchro AD dédié (droits minimaux)",
        "LDAPS + TLS 1.2",
        "on-prem → cloud",
        "toutes les 30 min (+ PHS immédiat)",
        Verdict.NATIVE,
        "Synchroniser des comptes à privilèges ou de service ; dépendance à l'AD pour se connecter.",
        "Filtrage par OU, comptes admin cloud distincts, synchro du hachage des mots de passe comme secours.",
    ),
    Compatibility(
        "network_link",
        "onprem_edge",
        "expressroute",
        "BGP sur peering privé",
        "179",
        "Clé MD5 BGP",
        "IPsec sur ExpressRoute (le circuit n'est pas chiffré par défaut)",
        "bidirectionnel",
        "permanent",
        Verdict.NATIVE,
        "Circuit unique : point de panne ; plan d'adressage IP qui chevauche le VNet.",
        "VPN de secours avec bascule BGP ; plan d'adressage validé avant la commande du circuit.",
    ),
    Compatibility(
        "network_backup",
        "onprem_edge",
        "azure_vpn",
        "IPsec IKEv2",
        "UDP 500 / 4500",
        "Certificats (ou clé pré-partagée longue)",
        "AES-256-GCM",
        "bidirectionnel",
        "permanent (secours)",
        Verdict.NATIVE,
        "Débit du VPN insuffisant pour le batch en cas de bascule.",
        "Batch suspendu en mode secours ; seuls tickets et IoT passent.",
    ),
    Compatibility(
        "data_warehouse",
        "bi_users",
        "synapse",
        "TDS / connecteur Power BI",
        "1433",
        "Entra ID (SSO, MFA)",
        "TLS 1.2",
        "cloud → on-prem",
        "à la demande",
        Verdict.NATIVE,
        "Frais de sortie et latence des rapports en DirectQuery.",
        "Modèles importés rafraîchis la nuit ; DirectQuery réservé aux tableaux temps réel.",
    ),
    Compatibility(
        "monitoring",
        "sqlserver",
        "azure_monitor",
        "HTTPS (agent Azure Monitor via Arc)",
        "443 sortant",
        "Identité managée Arc du serveur",
        "TLS 1.2",
        "on-prem → cloud",
        "continu",
        Verdict.ADAPTER,
        "Agent supplémentaire sur les nœuds de production.",
        "Déploiement par GPO après recette ; collecte limitée aux journaux d'audit et de sécurité.",
    ),
)

SECURITY_CONTROLS: tuple[SecurityControl, ...] = (
    SecurityControl(
        "Chiffrement en transit",
        "TLS 1.2+ de bout en bout",
        "TLS sur Kafka, TDS chiffré, HTTPS ; IPsec au-dessus d'ExpressRoute.",
        ("network_link", "streaming_broker", "db_migration_cdc", "object_storage"),
        "RGPD art. 32",
    ),
    SecurityControl(
        "Chiffrement au repos",
        "Clés gérées par le client (CMK) en HSM",
        "Lac, entrepôt et disques des brokers chiffrés avec des clés Key Vault, rotation annuelle.",
        ("object_storage", "data_warehouse", "streaming_broker", "key_management"),
        "RGPD art. 32",
    ),
    SecurityControl(
        "Identité",
        "AD reste la source unique",
        "Entra Connect synchronise l'AD (OU filtrées) ; SSO, MFA et accès conditionnel.",
        ("identity", "active_directory"),
        "Politique interne IAM",
    ),
    SecurityControl(
        "Moindre privilège",
        "RBAC par groupes AD, identités managées",
        "Pas de secret statique dans le code ; ACL du lac par zone (bronze/silver/gold).",
        ("identity", "object_storage", "processing", "data_warehouse"),
        "RGPD art. 25",
    ),
    SecurityControl(
        "Comptes de service",
        "Comptes dédiés en lecture seule",
        "Compte CDC limité aux tables suivies ; mots de passe tournés par Key Vault.",
        ("db_migration_cdc", "sqlserver", "key_management"),
        "CIS SQL Server",
    ),
    SecurityControl(
        "Isolation réseau",
        "Aucun endpoint public",
        "Private Endpoints dans le VNet données, NSG, peering privé seulement.",
        ("network_link", "object_storage", "data_warehouse", "streaming_broker", "processing"),
        "Zero Trust",
    ),
    SecurityControl(
        "Audit",
        "Journaux centralisés 1 an",
        "Diagnostics de tous les services + audit SQL Server vers Log Analytics ; alertes Sentinel.",
        ("monitoring", "sqlserver"),
        "RGPD art. 30",
    ),
    SecurityControl(
        "Résidence des données",
        "Données dans l'UE",
        "Région France Central, reprise en France South ; politique « emplacements autorisés ».",
        ("object_storage", "data_warehouse", "streaming_broker", "processing"),
        "RGPD ch. V",
    ),
    SecurityControl(
        "Minimisation",
        "Pseudonymisation en zone gold",
        "Identifiants clients hachés ; effacement par partition pour le droit à l'oubli.",
        ("processing", "object_storage"),
        "RGPD art. 5 et 17",
    ),
    SecurityControl(
        "Résilience",
        "Versioning + stockage immuable",
        "Suppression réversible et WORM sur la zone bronze contre les rançongiciels.",
        ("object_storage",),
        "ANSSI — sauvegardes",
    ),
)

CRITICAL_PATHS: tuple[CriticalPath, ...] = (
    CriticalPath(
        "tickets_realtime",
        "Tickets temps réel : bordure → lac",
        (
            ("onprem_edge",),
            ("network_link", "network_backup"),
            ("streaming_broker",),
            ("processing",),
            ("object_storage",),
        ),
        target=0.995,
    ),
    CriticalPath(
        "cdc_to_warehouse",
        "Réplication SQL Server → entrepôt",
        (
            ("sqlserver",),
            ("onprem_edge",),
            ("network_link", "network_backup"),
            ("db_migration_cdc",),
            ("object_storage",),
            ("processing",),
            ("data_warehouse",),
        ),
        target=0.99,
    ),
    CriticalPath(
        "analytics_access",
        "Consultation analytique (SSO → entrepôt)",
        (("identity",), ("data_warehouse",), ("object_storage",)),
        target=0.999,
    ),
)

VOLUMES: tuple[Volume, ...] = (
    Volume(
        "sqlserver_tb",
        "Base SQL Server (ERP + CRM)",
        40,
        "To",
        True,
        "Volume actuel du cluster, à répliquer dans le lac.",
    ),
    Volume("san_tb", "Fichiers du SAN", 10, "To", True, "Plans, documents qualité, exports machines."),
    Volume(
        "iot_gb_month",
        "Flux IoT",
        50,
        "Go/mois",
        True,
        "Mesuré ; croît avec chaque ligne équipée et sature l'existant.",
    ),
    Volume(
        "tickets_per_day",
        "Tickets de support",
        20_000,
        "tickets/jour",
        True,
        "Pic ~10 tickets/s en ouverture de journée.",
    ),
    Volume("ticket_kb", "Taille moyenne d'un ticket", 2, "Ko", False, "JSON avec texte libre ≤ 2 000 caractères."),
    Volume(
        "cdc_gb_day",
        "Changements CDC SQL Server",
        20,
        "Go/jour",
        True,
        "≈ 0,05 % de la base modifiée par jour (ERP actif).",
    ),
    Volume(
        "log_gb_month",
        "Journaux de supervision et d'audit",
        60,
        "Go/mois",
        True,
        "Diagnostics des services + audit SQL Server.",
    ),
    Volume(
        "platform_users",
        "Utilisateurs de la plateforme",
        120,
        "utilisateurs",
        False,
        "Analystes, ingénieurs data, support.",
    ),
    Volume(
        "link_gbps",
        "Débit de la liaison privée",
        1,
        "Gbit/s",
        False,
        "Circuit 1 Gbit/s ; chargement initial hors liaison.",
    ),
)

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "Latence",
        "Ticket créé → disponible dans le lac",
        "< 1 min (p95)",
        f"Première réponse en {_CRIT_RESPONSE} min pour un ticket critique : la file doit être à jour.",
    ),
    Requirement(
        "Fraîcheur", "ERP/CRM dans le lac", "< 15 min (CDC)", "Tableaux de bord opérationnels intrajournaliers."
    ),
    Requirement("Fraîcheur", "Télémesures IoT", "< 5 min", "Alertes de maintenance prédictive."),
    Requirement(
        "Sécurité",
        "RGPD",
        "Données personnelles hébergées dans l'UE",
        "Le CRM et les tickets contiennent des données clients.",
    ),
    Requirement(
        "Sécurité",
        "Identité",
        "AD reste la source d'identité unique",
        "Un seul annuaire à tenir ; un départ est propagé au cloud en < 1 h.",
    ),
    Requirement("Sécurité", "Chiffrement", "TLS 1.2+ en transit, CMK au repos", "Exigence du RSSI et RGPD art. 32."),
    Requirement(
        "Disponibilité",
        "Chaîne temps réel des tickets",
        "≥ 99,5 % (la production tamponne)",
        "≤ 44 h d'arrêt/an sans perte : le portail rejoue ses tickets.",
    ),
    Requirement(
        "Disponibilité", "Consultation analytique", "≥ 99,9 %", "Pilotage quotidien de la production et du support."
    ),
)

_AZ = "Microsoft — Azure pricing (France Central, paiement à l'usage)"
_QUOTE = "Devis type InduTechData (hypothèse)"
PRICES: tuple[UnitPrice, ...] = (
    UnitPrice(
        "adls_hot_gb", "ADLS Gen2, niveau chaud, LRS", 0.0196, "€/Go/mois", f"{_AZ} — Storage Accounts", "2025-06-01"
    ),
    UnitPrice(
        "adls_cool_gb", "ADLS Gen2, niveau froid, LRS", 0.0139, "€/Go/mois", f"{_AZ} — Storage Accounts", "2025-06-01"
    ),
    UnitPrice(
        "vm_d4s_hour", "VM D4s v5 Linux (4 vCPU, 16 Go)", 0.21, "€/heure", f"{_AZ} — Virtual Machines", "2025-06-01"
    ),
    UnitPrice(
        "disk_p30_month",
        "Disque SSD Premium P30 (1 To)",
        125.0,
        "€/disque/mois",
        f"{_AZ} — Managed Disks",
        "2025-06-01",
    ),
    UnitPrice(
        "dbu_jobs", "Databricks Jobs Compute (Premium)", 0.28, "€/DBU", f"{_AZ} — Azure Databricks", "2025-06-01"
    ),
    UnitPrice(
        "synapse_tb",
        "Synapse SQL serverless, données traitées",
        4.70,
        "€/To",
        f"{_AZ} — Synapse Analytics",
        "2025-06-01",
    ),
    UnitPrice(
        "adf_shir_hour",
        "Data Factory, copie via runtime auto-hébergé",
        0.093,
        "€/heure",
        f"{_AZ} — Data Factory",
        "2025-06-01",
    ),
    UnitPrice(
        "adf_runs_k",
        "Data Factory, exécutions d'activités",
        0.93,
        "€/1 000 exécutions",
        f"{_AZ} — Data Factory",
        "2025-06-01",
    ),
    UnitPrice(
        "databox_order", "Data Box 80 To (commande + transport)", 320.0, "€/commande", f"{_AZ} — Data Box", "2025-06-01"
    ),
    UnitPrice(
        "er_circuit", "ExpressRoute Standard 1 Gbit/s, mesuré", 405.0, "€/mois", f"{_AZ} — ExpressRoute", "2025-06-01"
    ),
    UnitPrice(
        "er_gateway_hour",
        "Passerelle ExpressRoute ErGw1AZ",
        0.38,
        "€/heure",
        f"{_AZ} — VPN/ExpressRoute Gateway",
        "2025-06-01",
    ),
    UnitPrice(
        "er_egress_gb", "ExpressRoute, données sortantes (zone 1)", 0.023, "€/Go", f"{_AZ} — ExpressRoute", "2025-06-01"
    ),
    UnitPrice(
        "operator_port", "Port opérateur 1 Gbit/s vers le point de peering", 900.0, "€/mois", _QUOTE, "2026-11-25"
    ),
    UnitPrice("vpn_gateway_hour", "VPN Gateway VpnGw1AZ", 0.34, "€/heure", f"{_AZ} — VPN Gateway", "2025-06-01"),
    UnitPrice(
        "entra_p1", "Microsoft Entra ID P1", 5.60, "€/utilisateur/mois", "Microsoft — Entra pricing", "2025-06-01"
    ),
    UnitPrice("kv_hsm_key", "Key Vault Premium, clé HSM", 0.93, "€/clé/mois", f"{_AZ} — Key Vault", "2025-06-01"),
    UnitPrice("kv_ops_10k", "Key Vault, opérations", 0.028, "€/10 000 opérations", f"{_AZ} — Key Vault", "2025-06-01"),
    UnitPrice(
        "log_analytics_gb",
        "Log Analytics, ingestion (Analytics Logs)",
        2.60,
        "€/Go",
        f"{_AZ} — Azure Monitor",
        "2025-06-01",
    ),
    UnitPrice("sentinel_gb", "Microsoft Sentinel, analyse", 2.30, "€/Go", f"{_AZ} — Microsoft Sentinel", "2025-06-01"),
    UnitPrice("engineer_month", "Ingénieur plateforme (coût complet)", 7_000.0, "€/ETP/mois", _QUOTE, "2026-11-25"),
    UnitPrice(
        "san_tb_month",
        "SAN entreprise, To utile (amorti 5 ans, maintenance, énergie)",
        45.0,
        "€/To/mois",
        _QUOTE,
        "2026-11-25",
    ),
    UnitPrice("backup_tb_month", "Sauvegarde hors site", 12.0, "€/To/mois", _QUOTE, "2026-11-25"),
    UnitPrice(
        "server_month",
        "Serveur 2U 32 cœurs / 256 Go (amorti 5 ans, maintenance, hébergement)",
        420.0,
        "€/serveur/mois",
        _QUOTE,
        "2026-11-25",
    ),
    UnitPrice("rack_once", "Baie équipée (alimentation, PDU, commutateurs)", 18_000.0, "€/baie", _QUOTE, "2026-11-25"),
    UnitPrice(
        "internet_upgrade", "Lien Internet + pare-feu renforcés pour l'IoT", 600.0, "€/mois", _QUOTE, "2026-11-25"
    ),
)

_HOURS = 730  # hours in an average month
_PARQUET = 0.3  # Parquet+zstd copy of SQL Server data, relative to its size on disk
_IOT_MONTHS = 24  # IoT history kept hot
_RAID = 1.3  # on-premise: RAID + snapshot overhead on usable capacity
COST_LINES: tuple[CostLine, ...] = (
    # --- hybrid: each line prices one chosen candidate ---
    CostLine(
        "lake_hot",
        HYBRID,
        "Lac, niveau chaud (copie Parquet SQL Server + IoT 24 mois)",
        "adls_hot_gb",
        terms=(("sqlserver_tb", 1024 * _PARQUET), ("iot_gb_month", _IOT_MONTHS)),
        candidate="adls_gen2",
    ),
    CostLine(
        "lake_cool",
        HYBRID,
        "Lac, niveau froid (archives du SAN)",
        "adls_cool_gb",
        terms=(("san_tb", 1024),),
        candidate="adls_gen2",
    ),
    CostLine(
        "broker_vms", HYBRID, "Redpanda : 3 VM en continu", "vm_d4s_hour", fixed=3 * _HOURS, candidate="redpanda_vm"
    ),
    CostLine("broker_disks", HYBRID, "Redpanda : 3 disques P30", "disk_p30_month", fixed=3, candidate="redpanda_vm"),
    CostLine(
        "stream_vms",
        HYBRID,
        "Spark streaming : 3 nœuds en continu (VM)",
        "vm_d4s_hour",
        fixed=3 * _HOURS,
        candidate="databricks",
    ),
    CostLine(
        "stream_dbu",
        HYBRID,
        "Spark streaming : DBU (1 DBU/nœud-heure)",
        "dbu_jobs",
        fixed=3 * _HOURS,
        candidate="databricks",
    ),
    CostLine(
        "batch_vms",
        HYBRID,
        "Spark batch : nœuds-heures (VM), 24 h par Go/jour de CDC",
        "vm_d4s_hour",
        terms=(("cdc_gb_day", 24),),
        candidate="databricks",
    ),
    CostLine("batch_dbu", HYBRID, "Spark batch : DBU", "dbu_jobs", terms=(("cdc_gb_day", 24),), candidate="databricks"),
    CostLine(
        "dwh_scan",
        HYBRID,
        "Entrepôt : ~50 % du volume SQL Server balayé par mois",
        "synapse_tb",
        terms=(("sqlserver_tb", 0.5),),
        candidate="synapse",
    ),
    CostLine(
        "cdc_copy",
        HYBRID,
        "CDC : heures de copie (20 Go/h)",
        "adf_shir_hour",
        terms=(("cdc_gb_day", 30 / 20),),
        candidate="adf_cdc",
    ),
    CostLine(
        "orchestration_runs",
        HYBRID,
        "Orchestration : 45 000 exécutions/mois",
        "adf_runs_k",
        fixed=45,
        candidate="adf_pipelines",
    ),
    CostLine(
        "databox",
        HYBRID,
        "Chargement initial SAN + sauvegarde SQL (Data Box)",
        "databox_order",
        fixed=1,
        one_time=True,
        candidate="storage_mover",
    ),
    CostLine("er_circuit", HYBRID, "ExpressRoute : circuit", "er_circuit", fixed=1, candidate="expressroute"),
    CostLine(
        "er_gateway", HYBRID, "ExpressRoute : passerelle", "er_gateway_hour", fixed=_HOURS, candidate="expressroute"
    ),
    CostLine("er_port", HYBRID, "ExpressRoute : port opérateur", "operator_port", fixed=1, candidate="expressroute"),
    CostLine(
        "er_egress",
        HYBRID,
        "Données renvoyées on-premise (~5 % du CDC)",
        "er_egress_gb",
        terms=(("cdc_gb_day", 30 * 0.05),),
        candidate="expressroute",
    ),
    CostLine("vpn", HYBRID, "VPN de secours : passerelle", "vpn_gateway_hour", fixed=_HOURS, candidate="azure_vpn"),
    CostLine(
        "identity_p1",
        HYBRID,
        "Entra ID P1 pour les utilisateurs de la plateforme",
        "entra_p1",
        terms=(("platform_users", 1),),
        candidate="entra_id",
    ),
    CostLine("kv_keys", HYBRID, "Key Vault : 10 clés HSM", "kv_hsm_key", fixed=10, candidate="key_vault"),
    CostLine("kv_ops", HYBRID, "Key Vault : 3 M d'opérations", "kv_ops_10k", fixed=300, candidate="key_vault"),
    CostLine(
        "logs",
        HYBRID,
        "Log Analytics : ingestion",
        "log_analytics_gb",
        terms=(("log_gb_month", 1),),
        candidate="azure_monitor",
    ),
    CostLine(
        "siem", HYBRID, "Sentinel : analyse", "sentinel_gb", terms=(("log_gb_month", 1),), candidate="azure_monitor"
    ),
    CostLine("hybrid_staff", HYBRID, "Exploitation : 1 ETP", "engineer_month", fixed=1.0),
    # --- on-premise: the same workload kept in the datacenter ---
    CostLine(
        "onprem_storage",
        ON_PREM,
        "SAN : copie analytique + archives + IoT 24 mois (RAID, instantanés)",
        "san_tb_month",
        terms=(("sqlserver_tb", _PARQUET * _RAID), ("san_tb", _RAID), ("iot_gb_month", _IOT_MONTHS / 1024 * _RAID)),
    ),
    CostLine(
        "onprem_backup",
        ON_PREM,
        "Sauvegarde hors site des mêmes données",
        "backup_tb_month",
        terms=(("sqlserver_tb", _PARQUET), ("san_tb", 1), ("iot_gb_month", _IOT_MONTHS / 1024)),
    ),
    CostLine("onprem_stream_servers", ON_PREM, "Serveurs broker + Spark streaming (3 + 3)", "server_month", fixed=6),
    CostLine(
        "onprem_batch_servers",
        ON_PREM,
        "Serveurs Spark batch dimensionnés pour la pointe de nuit",
        "server_month",
        terms=(("cdc_gb_day", 0.2),),
    ),
    CostLine("onprem_network", ON_PREM, "Réseau renforcé pour l'IoT", "internet_upgrade", fixed=1),
    CostLine("onprem_rack", ON_PREM, "Baie supplémentaire", "rack_once", fixed=1, one_time=True),
    CostLine(
        "onprem_staff", ON_PREM, "Exploitation : 2 ETP (matériel, stockage, clusters)", "engineer_month", fixed=2.0
    ),
)

TICKET_LIFECYCLE: tuple[tuple[str, str, str], ...] = (
    ("support_portal", "streaming_broker", f"produce({_TOPIC}, clé = client_id), TLS + SASL"),
    ("streaming_broker", "support_portal", "ack (acks=all, 3 réplicas)"),
    ("processing", "streaming_broker", f"poll : un micro-lot par trigger ({_TRIGGER!r})"),
    ("processing", "processing", "parse + validation du schéma, enrichissement (équipe, SLA)"),
    ("processing", "streaming_broker", f"ticket malformé → {_DLQ} (avec le motif)"),
    ("processing", "object_storage", "Delta silver (Parquet + journal), partition par date"),
    ("processing", "object_storage", f"agrégats fenêtrés (window {_WINDOW!r}, gold)"),
    (
        "support_portal",
        "streaming_broker",
        f"produce({_EVENTS}, clé = ticket_id) : affecté, 1re réponse, résolu, rouvert, clos",
    ),
    ("processing", "streaming_broker", f"poll des événements et validation (malformé → {_DLQ})"),
    ("processing", "object_storage", f"Delta {_EVENT_LOG} : chaque événement reçu, une fois"),
    ("processing", "object_storage", f"requête de cycle de vie : lit tickets et {_EVENT_LOG} en flux"),
    (
        "processing",
        "processing",
        f"état par ticket_id, minuteur à chaque échéance SLA (watermark, retard {_LATENESS!r})",
    ),
    ("processing", "object_storage", f"Delta {_EVENT_TABLE} + MERGE {_STATUS_TABLE} (un micro-lot)"),
    ("processing", "streaming_broker", f"échéance dépassée → {_BREACHES} (transaction Kafka : une fois)"),
    ("data_warehouse", "object_storage", "lecture des tables gold (tables externes)"),
    ("bi_users", "data_warehouse", "tableau de bord « SLA du support »"),
)

ASSUMPTIONS: tuple[str, ...] = (
    "Prix catalogue publics en euros, paiement à l'usage, région France Central, relevés à la date indiquée ; "
    "à revalider (remises, réservations et taxes exclues) avant tout engagement.",
    "SLA : valeurs publiées par les fournisseurs à la date indiquée ; « Hypothèse InduTechData » = cible de conception.",
    "Le cluster SQL Server, ses licences et l'AD restent on-premise dans les deux options : coût commun, exclu.",
    "Un mois = 730 heures ; la copie Parquet d'une table SQL Server occupe ~30 % de sa taille sur disque.",
    "Scénario ×10 : seuls les volumes marqués « croît » sont multipliés ; l'équipe et le nombre d'utilisateurs ne changent pas.",
    "Le streaming est dimensionné dès le départ pour ×10 (3 brokers, 3 nœuds Spark) : son coût ne croît pas.",
    "On-premise : matériel amorti sur 5 ans, maintenance et énergie incluses dans le prix unitaire.",
    "Coûts ponctuels (Data Box, baie) comptés dans l'année 1 et le total 3 ans, pas dans le mensuel.",
    "Le lac de production est ADLS Gen2 (abfss://, connecteur hadoop-azure) ; en dev/CI le même code écrit en s3a:// "
    "dans versitygw. Le passage en production demande d'accepter abfss:// dans LAKE_URI (ou versitygw en façade S3 "
    "de Blob Storage).",
    "Les choix de composants sont calculés : fournisseur principal = meilleur score moyen, puis meilleur candidat par besoin "
    "parmi ce fournisseur et l'auto-géré.",
)


def build_architecture(settings: Settings | None = None) -> Architecture:
    """InduTechData's architecture model, with the pipeline's topics and durations from `settings` (default: the user's)."""
    settings = settings or get_settings()
    return _build_architecture(tuple(getattr(settings, name) for name in _PIPELINE_SETTINGS))


def _filled(text: str, names: dict[str, str]) -> str:
    return text.format_map(names) if "{" in text else text


@cache
def _build_architecture(values: tuple[str, ...]) -> Architecture:
    """The model for these pipeline names (cached: it is immutable)."""
    names = dict(zip(_PIPELINE_SETTINGS, values, strict=True))
    flows = tuple(dataclasses.replace(f, label=_filled(f.label, names)) for f in FLOWS)
    lifecycle = tuple((src, dst, _filled(text, names)) for src, dst, text in TICKET_LIFECYCLE)
    return Architecture(
        criteria=CRITERIA,
        zones=ZONES,
        systems=SYSTEMS,
        needs=NEEDS,
        candidates=CANDIDATES,
        flows=flows,
        compatibility=COMPATIBILITY,
        security_controls=SECURITY_CONTROLS,
        critical_paths=CRITICAL_PATHS,
        volumes=VOLUMES,
        requirements=REQUIREMENTS,
        prices=PRICES,
        cost_lines=COST_LINES,
        ticket_lifecycle=lifecycle,
        assumptions=ASSUMPTIONS,
    )
