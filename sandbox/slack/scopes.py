"""The bot scopes the sandbox checks, and which scope each kind of conversation needs.

Slack names one scope per conversation type for each capability: reading a public channel's
messages needs ``channels:history``, a private channel's ``groups:history``; listing them
``channels:read`` / ``groups:read``. A call without the scope answers ``missing_scope`` with
``needed`` and ``provided``.
"""

from __future__ import annotations

CHANNELS_READ = "channels:read"
CHANNELS_HISTORY = "channels:history"
CHANNELS_JOIN = "channels:join"
GROUPS_READ = "groups:read"
GROUPS_HISTORY = "groups:history"
USERS_READ = "users:read"
USERS_READ_EMAIL = "users:read.email"
CHAT_WRITE = "chat:write"
CHAT_WRITE_PUBLIC = "chat:write.public"

ALL = frozenset({CHANNELS_READ, CHANNELS_HISTORY, CHANNELS_JOIN, GROUPS_READ, GROUPS_HISTORY, USERS_READ,
                 USERS_READ_EMAIL, CHAT_WRITE, CHAT_WRITE_PUBLIC})

# conversations.list ``types`` -> the scope listing that type needs
LIST_TYPES = {"public_channel": CHANNELS_READ, "private_channel": GROUPS_READ, "im": "im:read", "mpim": "mpim:read"}


def read_scope(is_private: bool) -> str:
    return GROUPS_READ if is_private else CHANNELS_READ


def history_scope(is_private: bool) -> str:
    return GROUPS_HISTORY if is_private else CHANNELS_HISTORY


def split(raw) -> set[str]:
    """``"a,b c"`` or a list -> a set of scope names (Slack separates them with commas)."""
    if raw is None:
        return set()
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    return {s.strip() for s in raw if s and s.strip()}
