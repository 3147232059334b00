"""Microsoft push: Graph change-notification subscriptions, their endpoint and their renewal."""
