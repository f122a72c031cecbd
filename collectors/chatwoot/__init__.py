"""The Chatwoot source: health, API latency, conversations and the first-response SLA.

`config` (the config model), `client` (HTTP: requests, failures, per-endpoint waits),
`collector` (the poll: groups of requests and the window's conversations), `parse`
(Chatwoot's response shapes into values) and `sla` (the first-response SLA and the
figures derived from the window). What screens read back lives in `collectors.store.views`.
"""
