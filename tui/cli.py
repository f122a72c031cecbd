"""The `wootwatch` command line: parse arguments, run a command, map failures to exit codes.

Exit codes: 0 ok, 2 bad usage or bad config, 1 anything else, 141 (as for
SIGPIPE) when the reader of the output went away. A user error
prints one line per problem on stderr and never a traceback; an unexpected
error prints one line and leaves the traceback in the crash report.

This module is argument parsing only: each command lives in its own module
(`tui.commands.*`, or `tui.monitor` for the live view), imported when that
command runs, so `wootwatch alerts` or `--help` never import Textual, boto3
or the demo stack.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import re
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeAlias

from collectors.errors import ActionableError
from collectors.inert import inert
from tui.commands.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    crash_report,
)
from tui.config.errors import ConfigError

__all__ = ["build_parser", "main"]

EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

_COMMAND_MODULES = {
    "collect": "tui.commands.collect",
    "check-config": "tui.commands.check_config",
    "logs": "tui.commands.logs",
    "export": "tui.commands.export",
    "alerts": "tui.commands.alerts",
    "ack": "tui.commands.alerts",
    "silence": "tui.commands.alerts",
    "rules": "tui.commands.alerts",
    "annotate": "tui.commands.annotate",
}
"""The module whose `run(args)` carries out each command; no command: `tui.monitor`."""


def _version() -> str:
    from collectors.version import VERSION

    return f"wootwatch {VERSION}"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit 2, like every other error.

    A value like `-25m` (`--at -25m`: 25 minutes ago) is a value, as a
    negative number is, not an unknown option.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\d+(\.\d+)?([a-z]+\d*)*$")

    def error(self, message: str) -> NoReturn:
        """Print `PROG: MESSAGE (see PROG --help)` on stderr and exit 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[_Parser]


class _VersionAction(argparse.Action):
    """`--version`, reading the package metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_version())
        parser.exit()


# ------------------------------------------------------------------ argument types

_TIMES: Final = "03:12, 03:12:30, -25m, 2026-12-03 03:12, ISO 8601, or pin (the pinned start)"
"""What `--at` takes (`tui.data.moment`; read by the command, which knows the pin)."""


def _alert_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an alert id: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not an alert id: {text!r}")
    return value


def _duration(text: str) -> float:
    from collectors.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be longer than 0s, not {text!r}")
    return seconds


def _listen(text: str) -> str:
    from collectors.listen import parse_listen

    try:
        parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _matcher(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"use LABEL=VALUE, not {text!r}")
    return key.strip(), value


# ------------------------------------------------------------------ options


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


def _command(commands: Subcommands, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand that takes `--config` and `--db`."""
    parser = commands.add_parser(name, help=help_text)
    _config_option(parser)
    _db_option(parser)
    return parser


# ------------------------------------------------------------------ commands


def _add_collect(commands: Subcommands) -> None:
    collect = _command(commands, "collect", "run the collectors headless")
    collect.add_argument(
        "--once", action="store_true", help="poll every source once, write, and exit"
    )
    collect.add_argument(
        "--metrics-listen",
        type=_listen,
        metavar="HOST:PORT",
        help="serve Prometheus /metrics there, like 127.0.0.1:9817 (default: the config's "
        "metrics_listen, else none)",
    )


def _add_check_config(commands: Subcommands) -> None:
    check = commands.add_parser("check-config", help="validate the config file")
    _config_option(check)


def _add_logs(commands: Subcommands) -> None:
    logs = _command(commands, "logs", "search cached log lines (plain, inert text)")
    logs.add_argument(
        "query", metavar="QUERY", help='FTS5 query: words, "phrases", prefix*, OR, NOT'
    )
    logs.add_argument(
        "--since",
        type=_duration,
        default="1h",
        metavar="DURATION",
        help="how far back to search (default 1h)",
    )
    logs.add_argument(
        "--limit", type=int, default=200, metavar="N", help="most lines (default 200)"
    )


def _add_export(commands: Subcommands) -> None:
    export = _command(commands, "export", "a markdown (or JSON) snapshot for the incident")
    export.add_argument(
        "--since",
        type=_duration,
        default="1h",
        metavar="DURATION",
        help="the window, back from now, when no incident start is pinned (default 1h)",
    )
    export.add_argument(
        "--at",
        metavar="TIME",
        help=f"the export as if taken at TIME (its window ends there): {_TIMES}",
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (whole or not at all); - is stdout"
    )
    export.add_argument(
        "--format", default="markdown", metavar="FORMAT", help="markdown (default), json or brief"
    )
    export.add_argument(
        "--brief",
        dest="format",
        action="store_const",
        const="brief",
        help="a brief for a chat channel: under 40 lines, no tables (same as --format brief)",
    )


def _add_alert_commands(commands: Subcommands) -> None:
    alerts = _command(commands, "alerts", "list the alerts and silences")
    alerts.add_argument("--json", action="store_true", help="print a JSON array for scripts")
    alerts.add_argument("--at", metavar="TIME", help=f"as they stood at TIME: {_TIMES}")

    ack = _command(commands, "ack", "acknowledge a firing alert")
    ack.add_argument("id", type=_alert_id, metavar="ID", help="the alert's id (see `alerts`)")
    ack.add_argument("--note", metavar="TEXT", help="what you are doing about it")
    ack.add_argument("--user", metavar="NAME", help="who acknowledges (default: $USER)")

    silence = _command(commands, "silence", "mute a rule's notifications for a while")
    silence.add_argument("rule", nargs="?", metavar="RULE", help="rule name, or '*' for every rule")
    silence.add_argument(
        "--for", dest="duration", type=_duration, metavar="DURATION", help="how long, like 1h"
    )
    silence.add_argument("--comment", metavar="TEXT", help="why (required)")
    silence.add_argument(
        "--match",
        type=_matcher,
        action="append",
        default=[],
        metavar="LABEL=VALUE",
        help="only alerts with this label value (repeatable), e.g. source=chatwoot",
    )
    silence.add_argument("--start", metavar="TIME", help="ISO 8601 start (default: now)")
    silence.add_argument("--user", metavar="NAME", help="who silences (default: $USER)")
    silence.add_argument("--list", action="store_true", help="list the silences instead")
    silence.add_argument("--end", type=_alert_id, metavar="ID", help="end a silence now")
    silence.add_argument(
        "--alertmanager",
        nargs="?",
        const="",
        metavar="URL",
        help="also create it in this Alertmanager (default: the config's notify.alertmanager)",
    )

    rules = commands.add_parser("rules", help="list the rules, or replay history through them")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    test = _command(actions, "test", "how often each rule would have fired")
    test.add_argument(
        "--since", type=_duration, default=86400.0, metavar="DURATION", help="default 24h"
    )
    _command(actions, "list", "the effective rules")
    export = _command(actions, "export", "the effective rules for another alerting engine")
    export.add_argument(
        "--format", required=True, choices=["prometheus"], help="prometheus: an alerting-rules file"
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (whole or not at all); - is stdout"
    )


def _add_annotate(commands: Subcommands) -> None:
    annotate = _command(
        commands, "annotate", "put a note on the incident timeline (a deploy, a finding)"
    )
    annotate.add_argument(
        "text", metavar="TEXT", help="the note, stored as given (at most 500 characters, 5 lines)"
    )
    annotate.add_argument(
        "--at",
        metavar="TIME",
        help="when it happened: 03:12, --at=-25m, 2026-12-03 03:12 or pin (default: now)",
    )
    annotate.add_argument("--source", metavar="NAME", help="the source it is about")
    annotate.epilog = (
        "The author is $USER. Without --db the database is $WOOTWATCH_DB (set for notify "
        "command hooks), else the config's."
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(
        prog="wootwatch",
        description="Live terminal monitor for a Chatwoot support stack.",
    )
    parser.add_argument("--version", action=_VersionAction)
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
    _add_collect(commands)
    _add_check_config(commands)
    _add_logs(commands)
    _add_export(commands)
    _add_alert_commands(commands)
    _add_annotate(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    command = _COMMAND_MODULES.get(args.command)
    if command is not None:
        exit_code: int = importlib.import_module(command).run(args)
        return exit_code
    # The live view's imports and first frame make objects that live as long as it does;
    # collection passes over them cost about 0.1 s of CPU before the first frame. It is
    # turned on once the view is drawn (`tui.monitor`), or here when it ends before.
    gc.disable()
    try:
        exit_code = importlib.import_module("tui.monitor").run(args)
    finally:
        gc.enable()
    return exit_code


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
    except UsageError as exc:
        print(f"wootwatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ActionableError as exc:
        print(f"wootwatch: {inert(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:  # before the signal handlers are in place, or during --once
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `wootwatch alerts | head -1`: the reader has had enough
        return _quiet_broken_pipe()
    except Exception as exc:  # the last line of defence: one line, traceback to a file
        report = crash_report()
        with contextlib.suppress(OSError):
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        print(
            f"wootwatch: internal error: {type(exc).__name__}: {inert(str(exc))} "
            f"(traceback in {report})",
            file=sys.stderr,
        )
        return EXIT_FAILURE
