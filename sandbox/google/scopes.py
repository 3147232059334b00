"""Google's OAuth scope URLs by the short names DESIGN.md uses."""

PREFIX = "https://www.googleapis.com/auth/"
MAIL = "https://mail.google.com/"
GMAIL_READONLY = PREFIX + "gmail.readonly"
GMAIL_METADATA = PREFIX + "gmail.metadata"
GMAIL_SEND = PREFIX + "gmail.send"
GMAIL_COMPOSE = PREFIX + "gmail.compose"
GMAIL_MODIFY = PREFIX + "gmail.modify"
GMAIL_LABELS = PREFIX + "gmail.labels"
CALENDAR = PREFIX + "calendar"
CALENDAR_READONLY = PREFIX + "calendar.readonly"
CALENDAR_EVENTS = PREFIX + "calendar.events"
CALENDAR_EVENTS_READONLY = PREFIX + "calendar.events.readonly"

ALL = [MAIL, GMAIL_READONLY, GMAIL_SEND, GMAIL_COMPOSE, GMAIL_MODIFY, CALENDAR, CALENDAR_READONLY,
       CALENDAR_EVENTS]
