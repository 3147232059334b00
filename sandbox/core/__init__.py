"""The HTTP core every provider sandbox runs on; nothing in it knows a provider.

Seams (each documented in its module):

- ``sandbox.BaseSandbox``: subclass it; implement ``new_world``, ``new_tokens``, ``new_app``,
  ``admin_routes`` and ``env``;
- ``app.App``: subclass it; implement ``dispatch`` (use ``routing.Router``, ``tokens.TokenStore``,
  ``Quota.slot``/``charge`` and ``Exchange.pause``), ``fault_error`` and ``provider_error``;
- ``quota.Quota``: subclass it for the provider's limits and over-limit errors;
- ``admin.AdminApi``: extra endpoints come from ``BaseSandbox.admin_routes``;
- ``errors.HttpError``: the provider's error classes subclass it;
- ``cli.serve_in_foreground``: the end of each provider's ``serve`` command.
"""

from .app import App, Exchange
from .errors import HttpError, OAuthError
from .faults import FaultRule
from .sandbox import BaseSandbox

__all__ = ["App", "BaseSandbox", "Exchange", "FaultRule", "HttpError", "OAuthError"]
