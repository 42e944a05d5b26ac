"""Who may do what: the roles, the permissions and the one matrix every endpoint consults.

Need-to-know, as the matrix encodes it:

- intake staff register concerns that arrive by phone, e-mail, letter or in person (a partner authority's
  report among them), and read back only the ones they registered;
- a partner authority (police, another municipality, the region, Kriminalforsorgen) submits its own reports
  through the partner channel with its own credentials, and reads nothing back;
- the municipal and the police tovholder read and move infohus cases; each triages their own side;
- StraXen caseworkers read and assess underretninger (child welfare), not infohus cases;
- tovholdere and StraXen record the disclosures they make; only the municipal tovholder decides a
  disclosure to the police (the police tovholder is its recipient), and only tovholdere forward an infohus
  case to another municipality (StraXen does not handle infohus cases);
- auditors read the disclosure log and the read-access log, never a case narrative;
- administrators manage configuration, may check the integrity of the audit chain (which
  reveals no personal data) and re-drive dead-lettered notifications (delivery state, no case data),
  but cannot read cases, underretninger or either log; the one exception is a data subject's access
  request (GDPR art. 15): an administrator exports what Infohus holds about one person, with a reason,
  and every service logs the export;
- services act as service principals, never as staff: notify's delivery watchdog (``service_notify``) lists
  what routing asked to be mailed, and nothing else.

``Permission.PUBLIC`` marks what anyone may reach, signed in or not (the citizen's web form, health).
Change who may do what here and nowhere else; the table-driven tests derive their expectations from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    INTAKE = "intake"
    """Intake staff taking concerns over the phone."""
    TOVHOLDER_MUNICIPAL = "tovholder_municipal"
    """The municipality's tovholder for the infohus."""
    TOVHOLDER_POLICE = "tovholder_police"
    """The police's tovholder for the infohus."""
    STRAXEN = "straxen"
    """StraXen caseworker: receives and assesses underretninger (child welfare)."""
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    PARTNER = "partner"
    """An employee of a partner authority (police, another municipality, the region, Kriminalforsorgen)
    submitting a concern through the partner channel (channel PARTNER)."""
    SERVICE_NOTIFY = "service_notify"
    """Notify's delivery watchdog (a service principal: OIDC client credentials, a service token locally)."""


class Permission(StrEnum):
    PUBLIC = "public"
    CONCERN_CREATE_PHONE = "concern:create-phone"
    CONCERN_CREATE_PARTNER = "concern:create-partner"
    """Submit a concern through the partner channel (channel PARTNER): partner authorities only."""
    CASE_READ = "case:read"
    CASE_TRANSITION = "case:transition"
    CASE_TRIAGE_MUNICIPAL = "case:triage-municipal"
    CASE_TRIAGE_POLICE = "case:triage-police"
    UNDERRETNING_READ = "underretning:read"
    UNDERRETNING_ASSESS = "underretning:assess"
    DISCLOSURE_RECORD = "disclosure:record"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    CONFIG_MANAGE = "config:manage"
    READ_LOG_READ = "read-log:read"
    NOTIFICATION_REDRIVE = "notification:redrive"
    CASE_DISCLOSURE_DECIDE = "case:disclosure-decide"
    """Decide an infohus case's proposed disclosure to the police (its DISCLOSURE_PROPOSED task)."""
    CASE_FORWARD = "case:forward"
    """Forward an infohus case to the competent municipality (its JURISDICTION_REVIEW task)."""
    NOTIFICATIONS_REQUESTED_READ = "notifications-requested:read"
    """List what routing asked to be mailed (notify's delivery watchdog; internal)."""
    SUBJECT_ACCESS = "subject-access:export"
    """Export everything held about one person for their access request (GDPR art. 15), logged with a reason."""
    RETENTION_MANAGE = "retention:manage"
    """Set and lift legal holds, and see what the next retention run deletes (ids and counts, no case data)."""


_TOVHOLDERE = frozenset({Role.TOVHOLDER_MUNICIPAL, Role.TOVHOLDER_POLICE})

MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.PUBLIC: frozenset(Role),
    Permission.CONCERN_CREATE_PHONE: frozenset({Role.INTAKE}),
    Permission.CONCERN_CREATE_PARTNER: frozenset({Role.PARTNER}),
    Permission.CASE_READ: _TOVHOLDERE,
    Permission.CASE_TRANSITION: _TOVHOLDERE,
    Permission.CASE_TRIAGE_MUNICIPAL: frozenset({Role.TOVHOLDER_MUNICIPAL}),
    Permission.CASE_TRIAGE_POLICE: frozenset({Role.TOVHOLDER_POLICE}),
    Permission.UNDERRETNING_READ: frozenset({Role.STRAXEN}),
    Permission.UNDERRETNING_ASSESS: frozenset({Role.STRAXEN}),
    Permission.DISCLOSURE_RECORD: _TOVHOLDERE | {Role.STRAXEN},
    Permission.AUDIT_READ: frozenset({Role.AUDITOR}),
    Permission.AUDIT_VERIFY: frozenset({Role.AUDITOR, Role.ADMINISTRATOR}),
    Permission.CONFIG_MANAGE: frozenset({Role.ADMINISTRATOR}),
    Permission.READ_LOG_READ: frozenset({Role.AUDITOR}),
    Permission.NOTIFICATION_REDRIVE: frozenset({Role.ADMINISTRATOR}),  # operations: delivery state, no case data
    Permission.CASE_DISCLOSURE_DECIDE: frozenset({Role.TOVHOLDER_MUNICIPAL}),
    Permission.CASE_FORWARD: _TOVHOLDERE,
    Permission.NOTIFICATIONS_REQUESTED_READ: frozenset({Role.SERVICE_NOTIFY}),
    Permission.SUBJECT_ACCESS: frozenset({Role.ADMINISTRATOR}),
    Permission.RETENTION_MANAGE: frozenset({Role.ADMINISTRATOR}),
}
"""The one place that says which roles hold which permission."""

PERSONAL_DATA_PERMISSIONS: frozenset[Permission] = frozenset({
    Permission.CASE_READ, Permission.CASE_TRANSITION, Permission.CASE_TRIAGE_MUNICIPAL,
    Permission.CASE_TRIAGE_POLICE, Permission.UNDERRETNING_READ, Permission.UNDERRETNING_ASSESS,
    Permission.CASE_DISCLOSURE_DECIDE, Permission.CASE_FORWARD,
})
"""Permissions that open a case's personal data; a read under them is written to the read-access log."""


class CaseKind(StrEnum):
    """What routing opens: an infohus case per subject, an underretning per possible minor."""

    INFOHUS_CASE = "infohus_case"
    UNDERRETNING = "underretning"
    CONCERN = "concern"
    """A concern as intake received it (what was said, the persons, the reporter)."""


CASE_READ_PERMISSION: dict[CaseKind, Permission] = {
    CaseKind.INFOHUS_CASE: Permission.CASE_READ,
    CaseKind.UNDERRETNING: Permission.UNDERRETNING_READ,
    CaseKind.CONCERN: Permission.CASE_READ,
}
"""Which permission reading a case of each kind needs (for endpoints that serve both kinds)."""


def roles_for(*permissions: Permission) -> frozenset[Role]:
    """The roles holding at least one of ``permissions``."""
    out: frozenset[Role] = frozenset()
    for permission in permissions:
        out |= MATRIX[permission]
    return out


def permits(roles: Iterable[Role], permission: Permission) -> bool:
    return not MATRIX[permission].isdisjoint(roles)


def permissions_of(role: Role) -> frozenset[Permission]:
    return frozenset(p for p, holders in MATRIX.items() if role in holders)


def _check_matrix() -> None:
    missing = set(Permission) - set(MATRIX)
    if missing:
        raise RuntimeError(f"permissions without a rule in MATRIX: {sorted(missing)}")
    for kind in CaseKind:
        if kind not in CASE_READ_PERMISSION:
            raise RuntimeError(f"case kind without a read permission: {kind}")


_check_matrix()
