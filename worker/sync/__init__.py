"""Provider-independent parts of running a capability: bookkeeping, scheduling."""
