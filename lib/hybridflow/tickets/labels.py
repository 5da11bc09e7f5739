"""French display labels of the ticket's codes (request type, priority, dead-letter reason, contract tier).

The data keeps its codes (``billing``, ``critical``, ``wrong_type`` …): they are the wire format,
the Spark columns and the SQL filters. Only what a reader sees — the report's tables and
figures — goes through these labels. One mapping, so a table and a figure never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from hybridflow.tickets.malformed import MalformedKind
from hybridflow.tickets.model import Priority, RequestType

REQUEST_TYPE: dict[str, str] = {
    RequestType.TECHNICAL: "technique",
    RequestType.BILLING: "facturation",
    RequestType.ACCOUNT: "compte",
    RequestType.GENERAL: "général",
}
PRIORITY: dict[str, str] = {
    Priority.LOW: "basse",
    Priority.MEDIUM: "moyenne",
    Priority.HIGH: "haute",
    Priority.CRITICAL: "critique",
}
DEAD_LETTER_REASON: dict[str, str] = {
    MalformedKind.MALFORMED_JSON: "JSON illisible",
    MalformedKind.NOT_AN_OBJECT: "JSON qui n'est pas un objet",
    MalformedKind.MISSING_FIELD: "champ manquant",
    MalformedKind.WRONG_TYPE: "mauvais type",
    MalformedKind.UNKNOWN_ENUM: "valeur d'énumération inconnue",
    MalformedKind.BAD_TIMESTAMP: "horodatage invalide",
    MalformedKind.INVALID_VALUE: "valeur invalide",
    MalformedKind.OVERSIZED_PAYLOAD: "message trop gros",
}
CONTRACT_TIER: dict[str, str] = {"bronze": "bronze", "silver": "argent", "gold": "or", "platinum": "platine",
                                 "standard": "standard"}  # fmt: skip

# Columns whose values are codes, by the names the tables use (the data's and the notebooks' French headers).
COLUMNS: dict[str, Mapping[str, str]] = {
    "request_type": REQUEST_TYPE,
    "type": REQUEST_TYPE,
    "type de demande": REQUEST_TYPE,
    "priority": PRIORITY,
    "priorité": PRIORITY,
    "reason": DEAD_LETTER_REASON,
    "raison": DEAD_LETTER_REASON,
    "contract_tier": CONTRACT_TIER,
    "niveau de contrat": CONTRACT_TIER,
}
ALL: dict[str, str] = {str(k): v for table in (REQUEST_TYPE, PRIORITY, DEAD_LETTER_REASON) for k, v in table.items()}


def label(code: object, mapping: Mapping[str, str] | None = None) -> str:
    """The French label of a code (unknown codes come back unchanged, as text)."""
    text = str(code.value if hasattr(code, "value") else code)
    return (mapping if mapping is not None else ALL).get(text, text)


def labels(codes: Iterable[object], mapping: Mapping[str, str] | None = None) -> list[str]:
    """French labels of several codes, in order."""
    return [label(c, mapping) for c in codes]


def french_values(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose code columns (see COLUMNS) show French labels; other columns untouched."""
    targets = [c for c in frame.columns if isinstance(c, str) and c.lower() in COLUMNS]
    if not targets:
        return frame
    frame = frame.copy()
    for column in targets:
        mapping = COLUMNS[column.lower()]
        frame[column] = [label(v, mapping) if isinstance(v, str) else v for v in frame[column]]
    return frame
