"""Errors the CLI maps to exit codes: bad input is the user's to fix (2), the rest failed (1)."""


class IntegrationsError(Exception):
    """A failure with a message meant for the operator."""

    exit_code = 1


class BadInput(IntegrationsError):
    """The request itself is wrong: unknown names, invalid settings, duplicates."""

    exit_code = 2


class NotFound(BadInput):
    """The thing named does not exist."""


class KeyConflict(BadInput):
    """An idempotency key already names another request of the same action (HTTP's 409 Conflict):
    refused, so a reused key is never answered with the first request's outcome."""

    http_status = 409


class SchemaMissing(IntegrationsError):
    def __init__(self) -> None:
        super().__init__("the database has no integrations schema yet: run `integrations db migrate`")


class DatabaseUnavailable(IntegrationsError):
    exit_code = 2

    """The database did not answer; the message names host and port, never the password."""
