"""One folder per provider: its HTTP client, auth, and the capabilities it offers."""
