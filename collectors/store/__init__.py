"""The store: one SQLite database per deployment, written by one collector, read by many.

`schema` (tables and migrations), `db_file` (the one gate every connection opens through),
`lock` (one writer per database), `database` (the write path, revisions and reads),
`retention` (the ring bound) and `log_search` (the cached log lines).
"""
