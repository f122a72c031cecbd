"""The `wootwatch` command line: parse arguments, run a command, map failures to exit codes.

Exit codes: 0 ok, 2 bad usage or bad config, 1 anything else, 141 (as for
SIGPIPE) when the reader of the output went away. A user error
prints one line per problem on stderr and never a traceback; an unexpected
error prints one line and leaves the traceback in the log file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collectors.alert_book import AlertBook, AlertBookError
from collectors.alerts import AlertEngine
from collectors.base import Collector, SourceConfig, SourceState, format_duration
from collectors.demo_stack import DemoStack
from collectors.inert import inert
from collectors.notify import BellWatcher, Terminal
from collectors.scheduler import FLUSH_TIMEOUT, Scheduler
from collectors.store import Store, StoreError
from tui.alert_commands import COMMANDS as ALERT_COMMANDS
from tui.alert_commands import AlertUsageError, add_alert_commands, run_alert_command
from tui.config import ConfigError, WootwatchConfig, default_config_paths, find_config, load_config
from tui.export import FORMATS, ExportError, build_export, current_host, write_atomically
from tui.live_view import LiveView, ViewCrashed, can_run_tui
from tui.reader import current_user
from tui.redact import config_secrets

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

log = logging.getLogger("wootwatch")


class UsageError(Exception):
    """A mistake on the command line or in the config: exit 2."""


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "wootwatch"


def _crash_report() -> Path:
    return _state_dir() / "crash.log"


def _log_to_file() -> Path:
    """Send logs to a file: the screen belongs to the live view."""
    path = _state_dir() / "wootwatch.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    return path


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("wootwatch: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: $WOOTWATCH_CONFIG, ./wootwatch.yaml, "
        "~/.config/wootwatch/config.yaml)",
    )


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="FILE", default=argparse.SUPPRESS, help="database (default: the config's)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="wootwatch",
        description="Live terminal monitor for a Chatwoot support stack.",
    )
    _config_option(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--demo",
        action="store_true",
        help="run on a built-in simulated stack: no network, no credentials, temporary database",
    )
    mode.add_argument(
        "--attach",
        metavar="DB",
        help="read a database that a separate `wootwatch collect` fills (no collectors here)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    collect = commands.add_parser("collect", help="run the collectors headless")
    _config_option(collect)
    _db_option(collect)
    collect.add_argument(
        "--once", action="store_true", help="poll every source once, write, and exit"
    )
    check = commands.add_parser("check-config", help="validate the config file")
    _config_option(check)
    _add_logs_command(commands)
    _add_export_command(commands)
    add_alert_commands(commands)
    return parser


# ----------------------------------------------------------------- wootwatch logs


def _add_logs_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    logs = commands.add_parser("logs", help="search cached log lines (plain, inert text)")
    _config_option(logs)
    _db_option(logs)
    logs.add_argument(
        "query", metavar="QUERY", help='FTS5 query: words, "phrases", prefix*, OR, NOT'
    )
    logs.add_argument(
        "--since", default="1h", metavar="DURATION", help="how far back to search (default 1h)"
    )
    logs.add_argument(
        "--limit", type=int, default=200, metavar="N", help="most lines (default 200)"
    )


def _logs(args: argparse.Namespace) -> int:
    from collectors.base import parse_duration
    from collectors.log_search import LogQueryError, format_line, open_readonly, search

    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    db = getattr(args, "db", None)
    if db is None:
        db = _load(args)[1].database
    try:
        conn = open_readonly(db)
    except LogQueryError as exc:
        print(f"wootwatch: {inert(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        matches = search(conn, args.query, start=time.time() - since, limit=args.limit)
    except LogQueryError as exc:
        raise UsageError(str(exc)) from None
    finally:
        conn.close()
    for match in matches:  # newest first
        print(format_line(match))
    if not matches:
        print(f"wootwatch: no cached line matches in the last {args.since}", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------- wootwatch export


def _add_export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export", help="a markdown (or JSON) snapshot for the incident")
    _config_option(export)
    _db_option(export)
    export.add_argument(
        "--since",
        default="1h",
        metavar="DURATION",
        help="the window, back from now, when no incident start is pinned (default 1h)",
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (whole or not at all); - is stdout"
    )
    export.add_argument(
        "--format", choices=FORMATS, default="markdown", help="markdown (default) or json"
    )


def _export(args: argparse.Namespace) -> int:
    from collectors.base import parse_duration

    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    if since <= 0:
        raise UsageError("--since must be longer than 0s")
    db = getattr(args, "db", None)
    secrets: list[str] = []
    if db is None or getattr(args, "config", None) is not None:
        config = _load(args)[1]
        db = db or config.database
        secrets = config_secrets(config)
    try:
        text = asyncio.run(
            build_export(
                db,
                now=time.time(),
                since=since,
                user=current_user(),
                host=current_host(),
                fmt=args.format,
                secrets=secrets,
            )
        )
        if args.output in (None, "-"):
            sys.stdout.write(text)
            return EXIT_OK
        written = write_atomically(args.output, text)
    except ExportError as exc:
        print(f"wootwatch: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wootwatch: wrote {inert(str(written))}", file=sys.stderr)
    return EXIT_OK


def _load(args: argparse.Namespace) -> tuple[Path, WootwatchConfig]:
    path = find_config(getattr(args, "config", None))
    if path is None:
        looked = ", ".join(str(p) for p in default_config_paths())
        raise UsageError(
            f"no config file found (looked for {looked}); pass --config FILE, "
            "or try `wootwatch --demo`"
        )
    return path, load_config(path)


def _check_config(args: argparse.Namespace) -> int:
    path, config = _load(args)
    names = ", ".join(f"{s.name} ({s.type})" for s in config.sources) or "none"
    print(f"{path}: ok; database {config.database}; sources: {names}")
    return EXIT_OK


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, kill, and a dropped SSH session: each stops the command after a flush."""


class _Shutdown:
    """SIGINT, SIGTERM and SIGHUP for the whole life of a command.

    The first signal asks to stop. Handlers stay installed while pending writes
    are flushed, so a second Ctrl-C says to wait instead of cutting the flush.
    """

    def __init__(self) -> None:
        self._requested = asyncio.Event()

    def __enter__(self) -> _Shutdown:
        loop = asyncio.get_running_loop()
        for sig in _STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    def flushing(self) -> None:
        """From now on every signal is a second one: it is told to wait for the flush."""
        self._requested.set()

    def _on_signal(self) -> None:
        if self._requested.is_set():
            print(
                "wootwatch: still flushing pending writes (at most "
                f"{format_duration(FLUSH_TIMEOUT)}); a moment…",
                file=sys.stderr,
            )
        self._requested.set()

    async def wait(self, *tasks: asyncio.Task[Any]) -> None:
        """Return on a signal, or when a task ends on its own (re-raising its error)."""
        waiter = asyncio.create_task(self._requested.wait())
        try:
            await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def _collect(config: WootwatchConfig, db: Path, *, once: bool) -> int:
    sources = [s for s in config.sources if s.enabled]
    if not sources:
        raise UsageError("the config has no enabled sources: nothing to collect")
    async with (
        await Store.open(db, retention=config.retention) as store,
        contextlib.aclosing(await _alert_engine(config, store)) as engine,
    ):
        scheduler = Scheduler(sources, store, after_write=engine.after_write)
        if once:
            try:
                statuses = await scheduler.run_once()
            finally:
                await scheduler.aclose()
            failed = [s for s in statuses.values() if s.state is not SourceState.OK]
            for status in failed:
                print(
                    f"wootwatch: {status.source}: {inert(status.last_error or '')}", file=sys.stderr
                )
            if scheduler.write_error:
                print(f"wootwatch: {scheduler.write_error}", file=sys.stderr)
                return EXIT_FAILURE
            return EXIT_FAILURE if failed else EXIT_OK

        log.info("collecting %d sources into %s", len(sources), db)
        with _Shutdown() as shutdown:
            collecting = asyncio.create_task(scheduler.run())
            try:
                await shutdown.wait(collecting)
            finally:
                scheduler.stop()
                lost = await collecting
        if lost:
            log.error("stopped; %d records could not be written", lost)
            return EXIT_FAILURE
        log.info("stopped; pending writes flushed")
    return EXIT_OK


async def _alert_engine(config: WootwatchConfig, store: Store) -> AlertEngine:
    """The rules and notifications of the process that runs the collectors."""
    rules = config.effective_rules
    engine = await AlertEngine.open(rules, store, config.notify)
    log.info("checking %d alert rules after each write", len(rules))
    return engine


async def _ring_bell(config: WootwatchConfig, db: Path, terminal: Terminal) -> None:
    """Ring the terminal bell for new notifications, whoever runs the engine."""
    if not config.notify.bell.enabled or not sys.stdout.isatty():
        return
    async with await AlertBook.open(db, readonly=True) as book:
        bell = BellWatcher(book, terminal, min_severity=config.notify.bell.min_severity)
        await bell.run(config.refresh)


async def _monitor(
    config: WootwatchConfig,
    db: Path,
    *,
    attach: bool,
    make_collector: Callable[[SourceConfig], Collector] | None = None,
) -> int:
    """Collectors (unless attached) plus the live view, until it ends or a signal stops it."""
    lost = 0
    async with contextlib.AsyncExitStack() as stack:
        store = await stack.enter_async_context(
            await Store.open(db, retention=config.retention, readonly=attach)
        )
        engine = None
        if not attach:
            engine = await _alert_engine(config, store)
            stack.push_async_callback(engine.aclose)
        sources = [s for s in config.sources if s.enabled]
        scheduler = (
            None
            if engine is None
            else Scheduler(
                sources, store, after_write=engine.after_write, make_collector=make_collector
            )
        )
        with _Shutdown() as shutdown:
            collecting = [asyncio.create_task(scheduler.run())] if scheduler else []
            view = LiveView(
                store,
                refresh=config.refresh,
                theme=config.theme,
                crash_report=_crash_report(),
                secrets=config_secrets(config),
                sources=config.sources,
                rules=config.effective_rules,
            )
            showing = view.start()
            bell = asyncio.create_task(_ring_bell(config, store.path, view.terminal))
            try:
                await shutdown.wait(showing, *collecting)
                view.raise_for_failure()
            finally:
                await view.stop()  # on a signal, the TUI restores the terminal first
                shutdown.flushing()
                bell.cancel()
                await asyncio.gather(bell, return_exceptions=True)
                # Whatever ended the wait, the collectors flush before the store closes.
                if scheduler is not None:
                    scheduler.stop()
                    lost = sum(await asyncio.gather(*collecting))
    if lost:
        print(f"wootwatch: stopped; {lost} records could not be written", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


async def _demo(database: Path) -> int:
    """The live view on the demo stack: fakes and simulated parts in this process."""
    async with DemoStack() as stack:
        config = WootwatchConfig(database=database, sources=stack.sources)
        if not can_run_tui(sys.stdout):  # the TUI's top bar says it; no flash before it starts
            print(
                f"wootwatch demo: simulated stack, database {database}, "
                f"incident every {format_duration(300)}",
                flush=True,
            )
        return await _monitor(config, database, attach=False, make_collector=stack.make_collector)


def _run(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        return _check_config(args)
    if args.command == "logs":
        return _logs(args)
    if args.command == "export":
        return _export(args)
    if args.command in ALERT_COMMANDS:
        return run_alert_command(args, sys.stdout)
    if args.command == "collect":
        _log_to_stderr()
        _, config = _load(args)
        db = Path(getattr(args, "db", None) or config.database).expanduser()
        return asyncio.run(_collect(config, db, once=args.once))
    if args.demo:
        _log_to_file()
        with tempfile.TemporaryDirectory(prefix="wootwatch-demo-") as tmp:
            return asyncio.run(_demo(Path(tmp) / "demo.db"))
    if args.attach:
        _log_to_file()
        config = _load(args)[1] if getattr(args, "config", None) else WootwatchConfig()
        return asyncio.run(_monitor(config, Path(args.attach).expanduser(), attach=True))
    _log_to_file()
    _, config = _load(args)
    return asyncio.run(_monitor(config, config.database, attach=False))


def _quiet_broken_pipe() -> int:
    """Exit as a process killed by SIGPIPE would (141), without a word or a crash report.

    Python ignores SIGPIPE, so a write to a closed pipe raises instead; stdout
    is pointed at /dev/null so the flush at exit does not raise again.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, AlertUsageError) as exc:
        print(f"wootwatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, AlertBookError) as exc:
        print(f"wootwatch: {inert(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except ViewCrashed as exc:  # Textual's traceback is in the crash report already
        print(f"wootwatch: internal error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:  # before the signal handlers are in place, or during --once
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `wootwatch alerts | head -1`: the reader has had enough
        return _quiet_broken_pipe()
    except Exception as exc:  # the last line of defence: one line, traceback to a file
        report = _crash_report()
        with contextlib.suppress(OSError):
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        print(
            f"wootwatch: internal error: {type(exc).__name__}: {inert(str(exc))} "
            f"(traceback in {report})",
            file=sys.stderr,
        )
        return EXIT_FAILURE
