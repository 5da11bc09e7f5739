"""Unit tests of the service registry (`up`/`down` order, status lines) and its CLI commands."""

from __future__ import annotations

from hybridflow.cli import build_parser
from hybridflow.config import Settings
from hybridflow.services import stack as services
from hybridflow.services.base import Service, ServiceStatus


def test_registry_holds_services() -> None:
    names = [s.name for s in services.SERVICES]
    assert names[0] == "kafka"  # the broker starts first: everything else may need it
    assert len(names) == len(set(names))
    assert all(isinstance(s, Service) for s in services.SERVICES)


class _Fake:
    def __init__(self, name: str, log: list[str], on: bool = True) -> None:
        self.name, self.log, self.on = name, log, on

    def enabled(self, settings: Settings) -> bool:
        return self.on

    def start(self, settings: Settings) -> ServiceStatus:
        self.log.append(f"start {self.name}")
        return ServiceStatus(self.name, True, "here:1", 42, started_in_s=1.5)

    def stop(self, settings: Settings) -> bool:
        self.log.append(f"stop {self.name}")
        return True

    def status(self, settings: Settings) -> ServiceStatus:
        return ServiceStatus(self.name, True, "here:1", 42)


def test_up_and_down_follow_registry_order(monkeypatch, scratch_settings: Settings) -> None:
    log: list[str] = []
    fakes = (_Fake("a", log), _Fake("off", log, on=False), _Fake("b", log))
    monkeypatch.setattr(services, "SERVICES", fakes)
    monkeypatch.setattr(services, "ensure_topics", lambda s: {"t": 3})
    result = services.up(scratch_settings)
    assert log == ["start a", "start b"]  # disabled services are skipped
    assert [s.name for s in result.services] == ["a", "b"] and result.topics == {"t": 3}
    assert "a at here:1 (pid 42, started in 1.5 s)" in result.summary() and "t(3)" in result.summary()
    log.clear()
    assert services.down(scratch_settings) == ["b", "off", "a"]
    assert log == ["stop b", "stop off", "stop a"]


def test_status_line() -> None:
    line = ServiceStatus("kafka", True, "localhost:9092", 7, details={"topics": "a(3)"}).line()
    assert "running" in line and "localhost:9092" in line and "pid 7" in line and "topics: a(3)" in line
    assert ServiceStatus("kafka", False, "localhost:9092").state == "stopped"


def test_cli_has_stack_commands() -> None:
    parser = build_parser()
    for command in (
        ["up"],
        ["down"],
        ["status"],
        ["cluster", "up"],
        ["cluster", "down"],
        ["cluster", "status"],
        ["objectstore", "install", "--if-needed"],
        ["objectstore", "init"],
    ):
        assert parser.parse_args(command).func.__module__ == "hybridflow.commands.stack", command
