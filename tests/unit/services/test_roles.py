"""Roles are described from `ROLE_PERMISSIONS`, and every permission has its description."""

from __future__ import annotations

import pytest

from podium.auth.policy import DESCRIPTIONS, ROLE_PERMISSIONS, Permission
from podium.auth.principals import ROLES
from podium.errors import BadRequest, NotFound
from podium.services import roles


def test_every_permission_is_described() -> None:
    assert DESCRIPTIONS.keys() == set(Permission)
    assert all(text.endswith(".") for text in DESCRIPTIONS.values())


def test_the_system_roles_are_the_roles_a_principal_may_hold() -> None:
    assert set(roles.SYSTEM_ROLES) == ROLES == ROLE_PERMISSIONS.keys()


def test_a_role_follows_its_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = {**ROLE_PERMISSIONS, "WORKER": frozenset({Permission.TASK_WORK, Permission.ANY})}
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", changed)
    assert roles.get_role("WORKER") == {"name": "WORKER", "permissions": [{"name": "task:work"}]}


@pytest.mark.parametrize("body", [None, [], {"name": 3}, {"name": "deployer"}])
def test_creating_a_role_is_refused_whatever_the_body(body: object) -> None:
    with pytest.raises(BadRequest, match="does not support custom roles"):
        roles.create_role(body)


def test_an_unknown_role_is_not_found() -> None:
    with pytest.raises(NotFound):
        roles.get_role("BOSS")
