"""Every code a reader can meet has one French label; tables show it, the data keeps the code."""

from __future__ import annotations

import pandas as pd
import pytest

from hybridflow.report.display import show
from hybridflow.tickets import labels
from hybridflow.tickets.malformed import MalformedKind
from hybridflow.tickets.model import Priority, RequestType


@pytest.mark.parametrize(
    ("enum", "mapping"),
    [(RequestType, labels.REQUEST_TYPE), (Priority, labels.PRIORITY), (MalformedKind, labels.DEAD_LETTER_REASON)],
)
def test_every_code_has_a_distinct_french_label(enum, mapping):
    assert {str(m) for m in enum} == {str(k) for k in mapping}
    assert len(set(mapping.values())) == len(mapping)
    assert all(labels.label(m) != m.value for m in enum if m.value not in ("bronze",))


def test_unknown_codes_pass_through_as_text():
    assert labels.label("something_else") == "something_else"
    assert labels.label(42) == "42"


def test_french_values_translates_code_columns_only_and_keeps_the_data():
    frame = pd.DataFrame(
        {"request_type": ["billing", "technical"], "priority": ["critical", "low"], "request": ["billing", "critical"]}
    )
    shown = labels.french_values(frame)
    assert list(shown["request_type"]) == ["facturation", "technique"]
    assert list(shown["priority"]) == ["critique", "basse"]
    assert list(shown["request"]) == ["billing", "critical"]  # free text is not a code column
    assert list(frame["priority"]) == ["critical", "low"]  # the caller's frame is untouched


def test_show_renders_french_labels_in_html_and_latex():
    table = show([{"priorité": "critical", "type": "billing", "tickets": 3}])
    assert "critique" in table._repr_html_() and "facturation" in table._repr_latex_()
    assert "critical" not in table._repr_html_()
