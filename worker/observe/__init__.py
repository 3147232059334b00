"""What an operator watches: Prometheus metrics, structured logs, and the health facts both share.

`context` carries the job's connection, capability, provider and id into logs and metrics;
`metrics` holds the in-process counters (events where they happen); `database` computes the
state-like families from the database at scrape time, so any process (`serve`, a worker) reports
them; `labels` keeps personal data and unbounded values out of label values.
"""
