"""Google HTTP client: endpoints, pacing, error mapping."""
