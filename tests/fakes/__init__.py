"""Test-only fakes and recordings: what the tests and bench/ need and `wootwatch` never does.

The AWS fake (moto's server, a test extra), the Slack webhook fake and the
demo history recorded on a stopped clock. The local upstreams that `wootwatch
--demo` runs live in `collectors/fakes/` and ship with the package; nothing
under `collectors/`, `tui/` or `widgets/` imports this package. Tests import
it as `fakes` (pytest's `pythonpath` holds `tests/`); a benchmark adds
`tests/` to `sys.path` itself.
"""
