"""Kafka clients: what any client of the broker needs, apart from the local services that run one.

- ``security``    who a client logs in as, and how: `client_options` per dialect and principal, the CA check
- ``admin``       a checked admin client; `unreachable` / `refused`, the errors every client raises
- ``access``      what each principal may do (ACLs as data, `grants`) and its SCRAM login (`ensure_users`)
- ``topics``      the pipeline's topics as data (`wanted_topics`), idempotent creation, listing, deletion
- ``consumer``    `read_committed`: a topic read back to its end, aborted transactions left out
- ``properties``  Java ``.properties`` files for Kafka's own tools

Nothing here starts or stops a process (that is :mod:`hybridflow.services`): a module that only
reads or writes a topic imports this package, never the supervisor.
"""

from hybridflow.kafka.admin import admin_client, unreachable
from hybridflow.kafka.security import client_options
from hybridflow.kafka.topics import delete_topics, describe_topics, ensure_topics, wanted_topics

__all__ = [
    "admin_client",
    "client_options",
    "delete_topics",
    "describe_topics",
    "ensure_topics",
    "unreachable",
    "wanted_topics",
]
