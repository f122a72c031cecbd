"""The Chatwoot source: health, API latency, conversations and the first-response SLA.

`collector` (config, client and poll) and `parse` (Chatwoot's response shapes into samples).
"""
