"""Everything that runs without a screen: sources, scheduler, store, sketch and rules."""

import logging as _logging
import sys as _sys

# `import httpx` also imports its optional command-line client (`httpx._main`),
# which loads rich, click and pygments when they are installed (textual brings
# rich): about 35 ms and a screen library in a process that never draws. No
# collector uses that client, so it is marked as absent before any source can
# import httpx; httpx then falls back to a stub `httpx.main`.
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

# httpx logs every request at INFO ("HTTP Request: GET ... 200 OK"): several
# lines per poll per source in `wootwatch collect`'s log. Sources report what
# matters (failures, state changes) themselves; httpx's warnings still show.
_logging.getLogger("httpx").setLevel(_logging.WARNING)
