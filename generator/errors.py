"""The one error family: every problem a user can fix is a ZebenchError.

The CLI turns these into ``Error: <message>`` and exit code 1. Anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class ZebenchError(Exception):
    """Base class for user-fixable problems."""


class StoreError(ZebenchError):
    """The database file is missing, unreadable, corrupt or not writable."""


class ValidationError(ZebenchError):
    """An input record is malformed; the message names file, record and field."""


class ConflictError(ZebenchError):
    """A run id already holds different content."""


class NotFoundError(ZebenchError):
    """A run, batch, suite, scenario, evaluator or API path does not exist."""


class ParameterError(ZebenchError):
    """A query parameter or option value is out of range."""


class BuildError(ZebenchError):
    """The output folder cannot be written or replaced."""


class PagesError(ZebenchError):
    """The markdown pages folder is missing or a page cannot be read."""


class ServeError(ZebenchError):
    """There is no site and none can be built there, or the address is taken."""


class SizeError(ZebenchError):
    """The site or the results file is over a limit of GitHub (``--strict-size``)."""


class SpecError(ParameterError):
    """A side of a comparison is not a batch id, latest, previous or key=value filters."""


class NothingToCompare(ZebenchError):
    """The two sides share no cell, or one side has no runs."""
