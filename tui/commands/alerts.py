"""The alert commands: `alerts`, `ack`, `silence` and `rules`, for scripts and people.

Contract:

* `wootwatch alerts [--db F] [--json] [--at TIME]`: the visible alerts (pending,
  firing, resolved in the last 15 minutes) and the silences that have not
  ended; with `--at` (`03:12`, `-25m`, a date, `pin`), as they stood then
  (from the recorded transitions; an ack made later is not shown; each
  value checked again by its rule over the store as of then, so `--at`
  reads the rule pack, `--json` too). A bad TIME is one line, exit 2.
  `--json` prints an array of objects with exactly `id`, `rule`,
  `severity`, `state`, `value`, `since`, `changed`, `acknowledged_by`,
  `acknowledged_at`, `note`, `silenced_until` (times as ISO 8601 UTC;
  `since` is when the alert's episode first started, as everywhere,
  `changed` its last state change). The table writes each value with its
  unit and the rule's statistic and window (`2.6s p95 5m`), from the rules
  in force; `--json` reads no rule pack (cron jobs call it: no pydantic),
  so its `value` is the raw number the rule judged.
* `wootwatch ack ID [--note TEXT] [--user NAME]`: acknowledges a firing
  alert as `--user`, else `$USER`. It prints success only once the ack is
  committed to disk. An unknown ID, or an alert that is not firing, is a
  one-line error and exit 1 (the command was well formed; the alert was not
  in a state to take it); a malformed ID is a usage error, exit 2.
* `wootwatch silence RULE --for 1h --comment TEXT [--match LABEL=VALUE]...
  [--start TIME]`: mutes the notifications of a rule (`'*'` for every rule)
  and optionally only of matching labels, from now (or `--start`) for
  `--for`. `--list` shows silences, `--end ID` ends one now. With
  `--alertmanager [URL]` (default URL: the config's `notify.alertmanager`)
  the same silence is also created in Alertmanager (matchers `alertname`
  and the `--match` labels) and its id printed; when Alertmanager cannot be
  reached or refuses it, that is one line and exit 1, the local silence kept.
* `wootwatch rules test [--since 24h]`: replays the stored history through
  the rules and prints how often each would have fired; `rules list` shows
  the effective rules.
* Every command takes `--db F` (default: the config's `database`) and
  `--config F`; with `--db`, `alerts`, `ack` and `silence` do not read the
  config at all. Text from upstreams and people (labels, notes, names) is
  printed through `inert`; JSON escapes control characters itself.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from collectors.alerts.book import AlertBook, AlertRow, Silence
from collectors.durations import format_duration
from collectors.inert import inert
from collectors.store.lock import writer_health
from tui.commands.common import UsageError, book_moment, config_or_default, database
from tui.data.alert_values import alert_value, measure, since
from widgets.vocab import ago, alert_state_label, flag_label, severity_label

if TYPE_CHECKING:
    from collectors.alerts.rules import Rule
    from tui.config.models import WootwatchConfig

__all__ = ["run"]


# --------------------------------------------------------------------------- helpers


def _user(given: str | None) -> str:
    name = given if given is not None else os.environ.get("USER") or ""
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = "unknown"
    name = " ".join(name.split())
    if not name:
        raise UsageError("--user must not be empty")
    return name


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(ts: float, now: float) -> str:
    return ago(max(0.0, now - ts))


def _shown(alert: AlertRow, rules: Mapping[str, Rule]) -> str:
    """`2.6s p95 5m`: the value with its unit and the rule's statistic and window."""
    rule = rules.get(alert.rule)
    value = alert_value(alert, rules)
    return value if rule is None else f"{value} {measure(rule)}"


def _silenced_until(alert: AlertRow, silences: Sequence[Silence], now: float) -> float | None:
    ends = [s.ends_at for s in silences if s.active_at(now) and s.matches(alert.rule, alert.labels)]
    return max(ends) if ends else None


# --------------------------------------------------------------------------- commands


async def _alerts(
    db: Path,
    as_json: bool,
    out: TextIO,
    now: float,
    rules: Callable[[], Mapping[str, Rule]],
    at: str | None = None,
) -> int:
    trouble = writer_health(db).describe(now)
    async with await AlertBook.open(db, readonly=True) as book:
        if at is None:
            alerts = await book.visible(now)
        else:
            now = await book_moment(book, at, now=now)
            alerts = await _alerts_at(book, db, now, rules())
        silences = await book.silences(now)
    if trouble is not None:  # on stderr: the table and the JSON keep their shape
        print(f"wootwatch: {inert(trouble)}", file=sys.stderr)
    if as_json:
        rows = [
            {
                "id": a.id,
                "rule": a.rule,
                "severity": a.severity.value,
                "state": a.state.value,
                "value": a.value,
                "since": _iso(since(a)),
                "changed": _iso(a.updated_at),
                "acknowledged_by": a.acknowledged_by,
                "acknowledged_at": _iso(a.acknowledged_at),
                "note": a.ack_note,
                "silenced_until": _iso(_silenced_until(a, silences, now)),
            }
            for a in alerts
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    in_force = rules()
    if not alerts:
        out.write("no alerts\n")
    else:
        out.write(f"{'ID':>5}  {'SEVERITY':10}  {'STATE':10}  {'SINCE':20}  {'VALUE':>16}  RULE\n")
    for a in alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        flags = []
        if a.flapping:
            flags.append(flag_label("flapping"))
        if a.acknowledged_by is not None and a.acknowledged_at is not None:
            ack = f"{flag_label('acked')} by {a.acknowledged_by} {_ago(a.acknowledged_at, now)}"
            flags.append(ack + (f": {a.ack_note}" if a.ack_note else ""))
        until = _silenced_until(a, silences, now)
        if until is not None:
            flags.append(f"{flag_label('silenced')} until {_iso(until)}")
        line = (
            f"{a.id:>5}  {severity_label(a.severity):10}  {alert_state_label(a.state):10}  "
            f"{_iso(since(a)):20}  "
            f"{_shown(a, in_force):>16}  {a.rule}" + (f" ({labels})" if labels else "")
        )
        if a.summary:
            line += f"  {a.summary}"
        if flags:
            line += "  [" + "; ".join(flags) + "]"
        out.write(inert(line) + "\n")
    active = [s for s in silences if s.ends_at > now]
    if active:
        out.write("\nsilences:\n")
        for silence in active:
            out.write(_silence_line(silence, now) + "\n")
    return 0


async def _alerts_at(
    book: AlertBook, db: Path, moment: float, rules: Mapping[str, Rule]
) -> list[AlertRow]:
    """The visible alerts as they stood at `moment`, with the values their rules gave then."""
    from collectors.alerts.recheck import recheck
    from collectors.store.database import Store

    book.as_of = moment
    async with await Store.open(db, readonly=True) as store:
        store.as_of = moment
        book.rechecker = partial(recheck, rules=rules, store=store)
        return await book.visible(moment)


def _silence_line(silence: Silence, now: float, prefix: str = "") -> str:
    matchers = ", ".join(f"{k}={v}" for k, v in sorted(silence.matchers.items())) or "everything"
    when = (
        f"until {_iso(silence.ends_at)}"
        if silence.starts_at <= now
        else f"from {_iso(silence.starts_at)} until {_iso(silence.ends_at)}"
    )
    head = prefix or f"{silence.id:>5} "
    return inert(f"{head} {matchers} {when}, by {silence.created_by}: {silence.comment}")


async def _ack(
    db: Path, alert_id: int, note: str | None, user: str, out: TextIO, now: float
) -> int:
    async with await AlertBook.open(db) as book:
        alert = await book.acknowledge(alert_id, user, note, now)
    out.write(inert(f"acknowledged alert {alert.id} ({alert.rule}) as {user}") + "\n")
    return 0


def _start_time(text: str | None, now: float) -> float:
    if text is None:
        return now
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--start {text!r}: use ISO 8601, like 2025-01-31T22:00 or 2025-01-31T22:00Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # local time, as a person means it
    return parsed.timestamp()


async def _silence(
    args: argparse.Namespace, db: Path, config: WootwatchConfig | None, out: TextIO, now: float
) -> int:
    if args.list:
        async with await AlertBook.open(db, readonly=True) as book:
            silences = await book.silences(now)
        for silence in silences:
            out.write(_silence_line(silence, now) + "\n")
        if not silences:
            out.write("no silences\n")
        return 0
    if args.end is not None:
        async with await AlertBook.open(db) as book:
            ended = await book.end_silence(args.end, now, by=_user(args.user))
        out.write(f"ended silence {ended.id}\n")
        return 0
    if not args.rule:
        raise UsageError("silence: give a RULE ('*' for every rule), or --list, or --end ID")
    if args.duration is None:
        raise UsageError("silence: --for is required, like --for 1h")
    if not (args.comment or "").strip():
        raise UsageError("silence: --comment is required: say why")
    matchers = dict(args.match)
    start = _start_time(args.start, now)
    alertmanager = None
    if args.alertmanager is not None:
        alertmanager = args.alertmanager or _configured_alertmanager(config)
    async with await AlertBook.open(db) as book:
        if args.rule != "*":
            known = {rule.name for rule in _rules_in_force(config)}
            known |= {alert.rule for alert in await book.history(0.0)}
            if args.rule not in known:
                hint = difflib.get_close_matches(args.rule, sorted(known), n=1)
                raise UsageError(
                    f"silence: no rule {args.rule!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + " (see `wootwatch rules list`)"
                )
            matchers["rule"] = args.rule
        silence = await book.add_silence(
            matchers,
            starts_at=start,
            ends_at=start + args.duration,
            created_by=_user(args.user),
            comment=args.comment,
            now=now,
        )
    out.write(_silence_line(silence, now, prefix=f"silence {silence.id}:") + "\n")
    if alertmanager is None:
        return 0
    return await _alertmanager_silence(alertmanager, args, silence, out)


async def _alertmanager_silence(
    url: str, args: argparse.Namespace, silence: Silence, out: TextIO
) -> int:
    from collectors.alerts.alertmanager import AlertmanagerError, create_silence

    matchers = {"alertname": args.rule, **dict(args.match)}
    try:
        silence_id = await create_silence(
            url,
            matchers,
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            created_by=silence.created_by,
            comment=silence.comment,
        )
    except AlertmanagerError as exc:
        sys.stderr.write(f"wootwatch: {exc}; the local silence {silence.id} is kept\n")
        return 1
    out.write(f"alertmanager silence {silence_id}\n")
    return 0


def _configured_alertmanager(config: WootwatchConfig | None) -> str:
    target = config.notify.alertmanager if config is not None else None
    if target is None:
        raise UsageError(
            "silence: --alertmanager needs a URL, or notify.alertmanager.url in the config"
        )
    return target.url


async def _rules_test(
    config: WootwatchConfig, db: Path, since: float, out: TextIO, now: float
) -> int:
    from collectors.alerts.replay import replay
    from collectors.store.database import Store

    rules = config.effective_rules
    intervals = {source.name: source.interval for source in config.sources}
    started = time.monotonic()
    async with await Store.open(db, readonly=True) as store:
        results = await replay(
            rules,
            store,
            start=now - since,
            end=now,
            intervals=intervals,
            raw_max_age=config.retention.raw_max_age,
        )
    took = time.monotonic() - started
    width = max((len(r.rule.name) for r in results), default=4)
    out.write(f"{'RULE':{width}}  {'SEVERITY':10}  {'FIRED':>5}  {'CHECKS':>7}  {'NO DATA':>7}\n")
    for result in results:
        note = "" if result.checks else "  (no data for its series)"
        out.write(
            inert(
                f"{result.rule.name:{width}}  {severity_label(result.rule.severity):10}  "
                f"{result.fired:>5}  {result.checks:>7}  {result.missing:>7}{note}"
            )
            + "\n"
        )
    total = sum(r.fired for r in results)
    firing_rules = sum(1 for r in results if r.fired)
    out.write(
        f"\nreplayed {format_duration(since)} of history ({_iso(now - since)} to {_iso(now)}) "
        f"through {len(results)} rules in {took:.1f}s: {firing_rules} would have fired, "
        f"{total} times in all\n"
    )
    return 0


def _rules_list(config: WootwatchConfig, out: TextIO) -> int:
    rules = config.effective_rules
    for rule in rules:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(rule.labels.items()))
        series = rule.series + (f"{{{labels}}}" if labels else "")
        out.write(
            inert(
                f"{rule.name}  {severity_label(rule.severity)}  {series}  {rule.condition.type}  "
                f"for {rule.hold}: {rule.summary}"
            )
            + "\n"
        )
    return 0


def _rules_export(config: WootwatchConfig, output: str | None, out: TextIO) -> int:
    from collectors.alerts.prometheus import prometheus_rules
    from collectors.base import SourceConfig
    from tui.export.write import write_atomically

    sources = config.enabled_sources

    def interval_of(series: str) -> float:
        """The slowest poll of the sources that write `series` (a source's default without)."""
        intervals = [s.interval for s in sources if s.writes(series)]
        return max(intervals, default=SourceConfig.model_fields["interval"].default)

    text = prometheus_rules(config.effective_rules, interval_of)
    if output in (None, "-"):
        out.write(text)
    else:
        written = write_atomically(output, text)
        print(f"wootwatch: wrote {inert(str(written))}", file=sys.stderr)
    return 0


def _rules_by_name(config: WootwatchConfig | None) -> dict[str, Rule]:
    """The rules in force by name, read only when a table needs their units."""
    from collectors.alerts.rules import default_rules

    in_force = config.effective_rules if config is not None else default_rules()
    return {rule.name: rule for rule in in_force}


def _rules_in_force(config: WootwatchConfig | None) -> list[Rule]:
    """The config's effective rules, or the default pack's when no config was read."""
    from tui.config.models import WootwatchConfig

    return (config or WootwatchConfig()).effective_rules


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run `alerts`, `ack`, `silence` or `rules`; return the exit code.

    Raises:
        UsageError: a usage mistake (exit 2).
        ConfigError, AlertBookError, StoreError: for the caller to report.
    """
    out = out or sys.stdout
    # With --db, alerts, ack and silence read no config (nor import its models):
    # an ack must work, and fast, even while someone is halfway through
    # editing a broken config.
    needs_config = args.command == "rules" or getattr(args, "db", None) is None
    needs_config |= getattr(args, "alertmanager", None) == ""  # its URL is in the config
    config = config_or_default(args) if needs_config else None
    db = database(args, config)
    now = clock()
    if args.command == "alerts":
        rules = partial(_rules_by_name, config)
        return asyncio.run(_alerts(db, args.json, out, now, rules, getattr(args, "at", None)))
    if args.command == "ack":
        return asyncio.run(_ack(db, args.id, args.note, _user(args.user), out, now))
    if args.command == "silence":
        return asyncio.run(_silence(args, db, config, out, now))
    assert config is not None  # `rules` always reads the config
    if args.rules_command == "test":
        return asyncio.run(_rules_test(config, db, args.since, out, now))
    if args.rules_command == "export":
        return _rules_export(config, args.output, out)
    return _rules_list(config, out)
