"""Local servers that speak the upstreams' API shapes, with their quirks.

They serve the tests (real sockets on 127.0.0.1, no mocks) and `wootwatch
--demo`, which runs the real collectors against them in-process, so they ship
with the package. Each fake is one module and never imports Textual.
"""
