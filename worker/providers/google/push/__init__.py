"""Google push: Gmail watches through Pub/Sub and Calendar watch channels, their endpoints and renewal."""
