"""Local servers that speak the upstreams' API shapes, with their quirks.

They serve `wootwatch --demo`, which runs the real collectors against them
in-process, and the tests (real sockets on 127.0.0.1, no mocks), so they ship
with the package. Each fake is one module and never imports Textual. Fakes
only the tests need (AWS on moto, Slack) live in `tests/fakes/`.
"""
