"""Why a command on a case, underretning or task was refused. Messages carry no personal data."""

from __future__ import annotations


class DomainError(Exception):
    """A command that the rules refuse; the HTTP layer answers 409 unless a subclass says otherwise."""


class NotFound(DomainError):
    pass


class NotPermitted(DomainError):
    """The actor's role may not do this (403)."""


class InvalidCommand(DomainError):
    """The command is malformed for this case or task (422)."""


class TransitionNotAllowed(DomainError):
    """The case or task is not in a state that allows this (409)."""


class ConcurrentModification(DomainError):
    """Someone else changed the record since it was read (409); read it again and retry."""
