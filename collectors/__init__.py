"""Everything that runs without a screen: sources, scheduler, store, sketch and rules."""

import sys as _sys

# `import httpx` also imports its optional command-line client (`httpx._main`),
# which loads rich, click and pygments when they are installed (textual brings
# rich): about 35 ms and a screen library in a process that never draws. No
# collector uses that client, so it is marked as absent before any source can
# import httpx; httpx then falls back to a stub `httpx.main`.
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
