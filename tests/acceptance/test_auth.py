"""`podium server --auth` with real conductor-python workers and clients, keys from the
environment as the SDK reads them; and the refusal to serve a network without authentication."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)
from conductor.client.http.models.create_or_update_application_request import (
    CreateOrUpdateApplicationRequest,
)
from conductor.client.http.models.create_or_update_role_request import CreateOrUpdateRoleRequest
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.subject_ref import SubjectRef, SubjectType
from conductor.client.http.models.target_ref import TargetRef, TargetType
from conductor.client.http.models.upsert_group_request import UpsertGroupRequest
from conductor.client.http.models.upsert_user_request import UpsertUserRequest
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.http.rest import ApiException
from conductor.client.orkes.models.access_type import AccessType
from conductor.client.orkes_clients import OrkesClients

from tests.acceptance.harness import running_task_handler, sdk_workers, unique, wait_for_workflow
from tests.acceptance.proxy import RecordingProxy
from tests.acceptance.workers import GREET_TASK
from tests.support.server import PodiumProcess, free_port, wait_for

pytestmark = pytest.mark.acceptance

SERVER_ARGS = ("--auth",)


def podium_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def keyed(api: str, key_id: str, secret: str) -> Configuration:
    """An SDK configuration that authenticates with an access key."""
    settings = AuthenticationSettings(key_id, secret)
    return Configuration(server_api_url=api, log_level="WARNING", authentication_settings=settings)


def create_app(db: str, *roles: str) -> dict[str, str]:
    flags = [arg for role in roles for arg in ("--role", role)]
    done = podium_cli("apps", "create", unique("app"), *flags, "--db", db)
    assert done.returncode == 0, done.stderr
    created: dict[str, str] = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert set(created) == {"id", "keyId", "keySecret"}
    return created


def test_sdk_workers_and_clients_authenticate_with_keys_from_the_environment(
    podium: PodiumProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert httpx.get(f"{podium.api}/metadata/taskdefs").status_code == 401
    app = create_app(podium.db, "ADMIN")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", app["keyId"])
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", app["keySecret"])
    configuration = Configuration(server_api_url=podium.api, log_level="WARNING")
    clients = OrkesClients(configuration)
    name = unique("secured_greeting")
    step = WorkflowTask(
        name=GREET_TASK,
        task_reference_name="greet",
        input_parameters={"name": "${workflow.input.n}"},
    )
    clients.get_metadata_client().register_workflow_def(
        WorkflowDef(name=name, version=1, tasks=[step]), overwrite=True
    )
    workflows = clients.get_workflow_client()
    worker_configuration = Configuration(server_api_url=podium.api, log_level="WARNING")
    with running_task_handler(
        worker_configuration, sdk_workers(GREET_TASK), clients.get_task_client()
    ):
        workflow_id = workflows.start_workflow(
            StartWorkflowRequest(name=name, version=1, input={"n": "Ada"})
        )
        done: Any = wait_for_workflow(workflows, workflow_id)
    assert done.status == "COMPLETED"
    assert "Ada" in str(done.tasks[0].output_data)


def test_a_worker_without_execute_is_refused_and_gets_nothing_until_granted(
    podium: PodiumProcess,
) -> None:
    admin_app = create_app(podium.db, "ADMIN")
    admin = keyed(podium.api, admin_app["keyId"], admin_app["keySecret"])
    clients = OrkesClients(admin)
    name = unique("granted_greeting")
    step = WorkflowTask(name=GREET_TASK, task_reference_name="greet", input_parameters={})
    clients.get_metadata_client().register_workflow_def(
        WorkflowDef(name=name, version=1, tasks=[step]), overwrite=True
    )
    workflows = clients.get_workflow_client()
    workflow_id = workflows.start_workflow(StartWorkflowRequest(name=name, version=1, input={}))
    worker_app = create_app(podium.db, "WORKER")
    with RecordingProxy(podium.url) as proxy:
        worker = keyed(proxy.api, worker_app["keyId"], worker_app["keySecret"])
        handler = TaskHandler(
            workers=sdk_workers(GREET_TASK), configuration=worker, scan_for_annotated_workers=False
        )
        handler.start_processes()
        try:

            def refused() -> bool:
                polls = [x for x in proxy.exchanges("GET") if "/tasks/poll" in x.path]
                return sum(x.status == 403 for x in polls) >= 2

            wait_for(refused, 30, "the worker's polls to be refused")
            status = workflows.get_workflow(workflow_id, include_tasks=True)
            assert [t.status for t in status.tasks] == ["SCHEDULED"]  # nothing handed out
            grant = {
                "subject": {"type": "USER", "id": f"app:{worker_app['id']}"},
                "target": {"type": "TASK_DEF", "id": GREET_TASK},
                "access": ["EXECUTE"],
            }
            token = httpx.post(
                f"{podium.api}/token",
                json={"keyId": admin_app["keyId"], "keySecret": admin_app["keySecret"]},
            ).json()["token"]
            granted = httpx.post(
                f"{podium.api}/auth/authorization", json=grant, headers={"X-Authorization": token}
            )
            assert granted.status_code == 200, granted.text
            done: Any = wait_for_workflow(workflows, workflow_id, timeout=60)
        finally:
            handler.stop_processes()
            handler.logger_process.join(5)
    assert done.status == "COMPLETED"


def test_an_admin_sets_up_a_worker_application_with_the_sdk_authorization_client(
    podium: PodiumProcess,
) -> None:
    admin_app = create_app(podium.db, "ADMIN")
    admin = keyed(podium.api, admin_app["keyId"], admin_app["keySecret"])
    clients = OrkesClients(admin)
    authorization = clients.get_authorization_client()
    app = authorization.create_application(
        CreateOrUpdateApplicationRequest(name=unique("sdk_worker"))
    )
    assert authorization.get_application(app.id).name == app.name
    key = authorization.create_access_key(app.id)
    authorization.add_role_to_application_user(app.id, "WORKER")
    authorization.grant_permissions(
        SubjectRef(SubjectType.USER, f"app:{app.id}"),
        TargetRef(TargetType.TASK_DEF, GREET_TASK),
        [AccessType.EXECUTE],
    )
    [listed] = authorization.get_access_keys(app.id)
    assert (listed.id, listed.status) == (key.id, "ACTIVE")
    assert f"app:{app.id}" in executors(authorization)

    name = unique("sdk_granted_greeting")
    step = WorkflowTask(name=GREET_TASK, task_reference_name="greet", input_parameters={})
    clients.get_metadata_client().register_workflow_def(
        WorkflowDef(name=name, version=1, tasks=[step]), overwrite=True
    )
    workflows = clients.get_workflow_client()
    worker = keyed(podium.api, key.id, key.secret)
    with running_task_handler(worker, sdk_workers(GREET_TASK), clients.get_task_client()):
        workflow_id = workflows.start_workflow(StartWorkflowRequest(name=name, version=1, input={}))
        done: Any = wait_for_workflow(workflows, workflow_id, timeout=60)
    assert done.status == "COMPLETED"
    authorization.delete_application(app.id)
    assert f"app:{app.id}" not in executors(authorization)  # its grants went with it


def test_an_admin_manages_users_and_groups_with_the_sdk_authorization_client(
    podium: PodiumProcess,
) -> None:
    admin_app = create_app(podium.db, "ADMIN")
    admin = keyed(podium.api, admin_app["keyId"], admin_app["keySecret"])
    authorization = OrkesClients(admin).get_authorization_client()
    group_id, user_id = unique("ops"), unique("jane") + "@acme.example"
    group = authorization.upsert_group(
        UpsertGroupRequest(description="Operations", roles=["WORKER"], default_access={}),
        group_id,
    )
    assert (group.id, group.description, [r.name for r in group.roles]) == (
        group_id,
        "Operations",
        ["WORKER"],
    )
    user = authorization.upsert_user(UpsertUserRequest(name="Jane", roles=["USER"]), user_id)
    assert (user.id, user.name, [r.name for r in user.roles]) == (user_id, "Jane", ["USER"])
    authorization.add_user_to_group(group_id, user_id)
    [member] = authorization.get_users_in_group(group_id)
    assert (member.id, [g.id for g in member.groups]) == (user_id, [group_id])
    authorization.grant_permissions(
        SubjectRef(SubjectType.GROUP, group_id),
        TargetRef(TargetType.TASK_DEF, GREET_TASK),
        [AccessType.EXECUTE],
    )
    [granted] = authorization.get_granted_permissions_for_group(group_id)
    assert (granted.target.id, granted.access) == (GREET_TASK, ["EXECUTE"])
    for_user = authorization.get_granted_permissions_for_user(user_id)
    assert [g.target.id for g in for_user] == [GREET_TASK]
    checked = authorization.check_permissions(user_id, "TASK_DEF", GREET_TASK)
    assert (checked["EXECUTE"], checked["DELETE"]) == (True, False)
    authorization.remove_user_from_group(group_id, user_id)
    assert authorization.get_users_in_group(group_id) == []
    authorization.delete_group(group_id)
    authorization.delete_user(user_id)
    assert user_id not in [u.id for u in authorization.list_users()]


def test_any_application_reads_roles_with_the_sdk_and_a_custom_role_is_refused(
    podium: PodiumProcess,
) -> None:
    worker_app = create_app(podium.db, "WORKER")
    worker = keyed(podium.api, worker_app["keyId"], worker_app["keySecret"])
    authorization = OrkesClients(worker).get_authorization_client()
    listed = authorization.list_all_roles()
    assert "WORKFLOW_MANAGER" in [role.name for role in listed]
    system = authorization.list_system_roles()
    assert {"ADMIN", "USER", "WORKER", "METADATA_MANAGER", "WORKFLOW_MANAGER"} <= set(system)
    assert authorization.list_custom_roles() == []
    assert authorization.get_role("WORKER") == {
        "name": "WORKER",
        "permissions": [{"name": "task:work"}],
    }
    available = authorization.list_available_permissions()
    assert {"metadata:read", "task:work", "admin"} <= set(available)

    admin_app = create_app(podium.db, "ADMIN")
    admin = keyed(podium.api, admin_app["keyId"], admin_app["keySecret"])
    as_admin = OrkesClients(admin).get_authorization_client()
    request = CreateOrUpdateRoleRequest(name="deployer", permissions=["workflow-execute"])
    with pytest.raises(ApiException) as refused:
        as_admin.create_role(request)
    assert refused.value.status == 400
    assert "/api/groups" in str(refused.value.body)
    assert as_admin.list_custom_roles() == []
    assert len(as_admin.list_all_roles()) == len(listed)


def executors(authorization: Any) -> list[str]:
    """The subjects holding EXECUTE on the greeting task (other tests' too: one server)."""
    granted = authorization.get_permissions(TargetRef(TargetType.TASK_DEF, GREET_TASK))
    return [subject.id for subject in granted.get("EXECUTE", [])]


def test_an_unknown_role_creates_nothing_and_prints_no_secret(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'apps.db'}"
    done = podium_cli("apps", "create", "x", "--role", "SUPERUSER", "--db", db)
    assert done.returncode == 2
    assert "SUPERUSER" in done.stderr
    assert done.stdout == ""


def test_a_network_address_without_authentication_is_refused_unless_insecure(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'bind.db'}"
    port = str(free_port())
    refused = podium_cli("server", "--host", "0.0.0.0", "--port", port, "--db", db)
    assert refused.returncode != 0
    assert "--auth" in refused.stderr
    assert "--insecure" in refused.stderr
    for flags in (("--auth",), ("--insecure",)):
        server = PodiumProcess(tmp_path, "--host", "0.0.0.0", *flags, db=db)
        server.start()
        server.stop()
