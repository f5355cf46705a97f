"""One real `podium server` process per test module, and conductor-python clients for it."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.orkes_clients import OrkesClients

from tests.acceptance.proxy import RecordingProxy
from tests.support.sdk import sdk_environment
from tests.support.server import PodiumProcess


@pytest.fixture(scope="session", autouse=True)
def _sdk_environment() -> Iterator[None]:
    with sdk_environment():
        yield


@pytest.fixture(scope="module")
def podium(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[PodiumProcess]:
    """A server with a fast timeout sweeper, so response timeouts show within a second.

    A test module may set `SERVER_ARGS` (a tuple of extra `podium server` flags).
    """
    extra = tuple(getattr(request.module, "SERVER_ARGS", ()))
    server = PodiumProcess(tmp_path_factory.mktemp("podium"), "--sweep-interval", "0.2", *extra)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def configuration(podium: PodiumProcess) -> Any:
    return Configuration(server_api_url=podium.api, log_level="WARNING")


@pytest.fixture(scope="module")
def clients(configuration: Any) -> Any:
    return OrkesClients(configuration)


@pytest.fixture(scope="module")
def proxy(podium: PodiumProcess) -> Iterator[RecordingProxy]:
    """Records what SDK workers send to the module's server and what it answers."""
    with RecordingProxy(podium.url) as recording:
        yield recording


@pytest.fixture(scope="module")
def workers_configuration(proxy: RecordingProxy) -> Any:
    """The SDK configuration for TaskHandler workers: through the recording proxy."""
    return Configuration(server_api_url=proxy.api, log_level="WARNING")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing acceptance test shows the tail of its server's log."""
    report = yield
    server = getattr(item, "funcargs", {}).get("podium")
    if report.failed and isinstance(server, PodiumProcess):
        report.sections.append(("podium server log (tail)", server.logs()))
    return report
