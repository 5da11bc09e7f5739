"""LOCAL_SERVICES=false leaves every service to someone else (e.g. Docker Compose on this host)."""

from hybridflow.config import get_settings
from hybridflow.services.stack import SERVICES, enabled_services


def test_local_services_false_disables_every_service():
    s = get_settings(local_services=False, s3_endpoint="http://localhost:9000", s3_access_key="k", s3_secret_key="s")
    assert enabled_services(s) == ()


def test_local_addresses_enable_the_broker_and_database_by_default():
    names = {svc.name for svc in enabled_services(get_settings())}
    assert {"kafka", "postgres"} <= names
    assert len(SERVICES) >= 3
