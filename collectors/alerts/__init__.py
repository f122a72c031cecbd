"""Alerting: rules (with the default pack as package data), their evaluation, state and book.

`terms` (the words a rule is made of), `rules` (the pack and the config's overrides),
`evaluate` (one rule over stored series), `state` (one alert's lifecycle), `engine` (every
rule each round), `book` (alerts, acks and silences as rows), `notify` (sinks) and `replay`
(stored history through the rules).
"""
