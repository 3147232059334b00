from tests.toy_provider.harness import toy  # noqa: F401  (the fixture, for every toy test)
