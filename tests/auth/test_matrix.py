"""The permission matrix says what the issue says about need-to-know (written out here by hand, so a
change to the matrix that breaks need-to-know fails)."""

from __future__ import annotations

import pytest

from infohus.kit.auth import ANONYMOUS, MATRIX, CaseKind, Permission, Principal, Role, permissions_of

P = Permission
R = Role

EXPECTED: dict[Role, set[Permission]] = {
    R.INTAKE: {P.PUBLIC, P.CONCERN_CREATE_PHONE},
    R.TOVHOLDER_MUNICIPAL: {P.PUBLIC, P.CASE_READ, P.CASE_TRANSITION, P.CASE_TRIAGE_MUNICIPAL,
                            P.DISCLOSURE_RECORD, P.CASE_DISCLOSURE_DECIDE, P.CASE_FORWARD},
    R.TOVHOLDER_POLICE: {P.PUBLIC, P.CASE_READ, P.CASE_TRANSITION, P.CASE_TRIAGE_POLICE, P.DISCLOSURE_RECORD,
                         P.CASE_FORWARD},
    R.STRAXEN: {P.PUBLIC, P.UNDERRETNING_READ, P.UNDERRETNING_ASSESS, P.DISCLOSURE_RECORD},
    R.AUDITOR: {P.PUBLIC, P.AUDIT_READ, P.AUDIT_VERIFY, P.READ_LOG_READ},
    R.ADMINISTRATOR: {P.PUBLIC, P.CONFIG_MANAGE, P.AUDIT_VERIFY, P.NOTIFICATION_REDRIVE, P.SUBJECT_ACCESS,
                      P.RETENTION_MANAGE},
    R.SERVICE_NOTIFY: {P.PUBLIC, P.NOTIFICATIONS_REQUESTED_READ},
    # A partner authority submits through its own channel and reads nothing back (not even its own reports).
    R.PARTNER: {P.PUBLIC, P.CONCERN_CREATE_PARTNER},
}


def test_every_permission_has_a_rule() -> None:
    assert set(MATRIX) == set(Permission)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_its_permissions(role: Role) -> None:
    assert permissions_of(role) == EXPECTED[role]


CASE_DATA = {P.CASE_READ, P.CASE_TRANSITION, P.CASE_TRIAGE_MUNICIPAL, P.CASE_TRIAGE_POLICE,
             P.UNDERRETNING_READ, P.UNDERRETNING_ASSESS, P.CASE_DISCLOSURE_DECIDE, P.CASE_FORWARD}


@pytest.mark.parametrize("role", [R.AUDITOR, R.ADMINISTRATOR, R.INTAKE, R.SERVICE_NOTIFY])
def test_auditors_administrators_and_intake_read_no_case(role: Role) -> None:
    assert not permissions_of(role) & CASE_DATA


def test_tovholdere_see_cases_and_straxen_sees_underretninger_only() -> None:
    def principal(role: Role) -> Principal:
        return Principal(user_id=role.value, roles=frozenset({role}), display_name=role.value)

    for role in (R.TOVHOLDER_MUNICIPAL, R.TOVHOLDER_POLICE):
        assert principal(role).can_read(CaseKind.INFOHUS_CASE)
        assert not principal(role).can_read(CaseKind.UNDERRETNING)
    assert principal(R.STRAXEN).can_read(CaseKind.UNDERRETNING)
    assert not principal(R.STRAXEN).can_read(CaseKind.INFOHUS_CASE)
    for role in (R.AUDITOR, R.ADMINISTRATOR, R.INTAKE, R.SERVICE_NOTIFY):
        assert not any(principal(role).can_read(kind) for kind in CaseKind)


def test_anonymous_holds_only_public() -> None:
    assert ANONYMOUS.can(P.PUBLIC)
    assert not any(ANONYMOUS.can(p) for p in Permission if p is not P.PUBLIC)
    everything = Principal(user_id="x", roles=frozenset(Role), display_name="x", method="anonymous")
    assert not everything.can(P.CASE_READ), "roles of an unauthenticated principal must not count"
