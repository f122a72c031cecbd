"""The store: one SQLite database per deployment, written by one collector, read by many.

`database` (`Store`, the one handle), `model` (the values it takes and answers in),
`schema` (tables and migrations), `db_file` (the one gate every connection opens through),
`lock` (one writer per database), `write` (the write path), `rollup` (the writer's caches),
`revisions` (late datapoints), `retention` (the ring bound), `read` (series, points, window
statistics), `query` (one-trip queries), `views` (read-back queries the screens ask of a
source's data) and `log_search` (the cached log lines).
"""
