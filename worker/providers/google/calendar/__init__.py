"""Google Calendar v3: live sync (syncToken), once sync (time window), CRM → Google meeting actions."""
