"""Alert rules: what a rule watches, when it breaches, how long it must hold, the default pack.

Contract:

* A `Rule` names one series (and optionally a label subset of it), a
  `condition`, how long the condition must hold (`for`), what a check
  without data counts as (`missing_data`), a severity, optional escalations
  to higher severities, a one-line `summary` and a `runbook` link.
* Conditions (the `type` key of `condition`):
  - `threshold`: the latest value (`reduce: latest`, the default; several
    series are combined by `across`), or the mean, min, max, sum or count
    over a `window`, compared with `value`;
  - `percentile`: p50, p90, p95 or p99 over a `window` (a merge of minute
    sketches, never a sort);
  - `ratio`: a rate or ratio over a `window`, the rule's series divided by
    a `denominator` series (an error rate is failed / processed);
  - `baseline`: the value over a `window` divided by the median of the
    same window at the same time of day on the previous `days` days;
  - `absent`: no new sample for `after`, or the source writing the series
    is down (never missing: absence is what it watches).
* `for` is `N checks` (consecutive), `M of N` (checks) or a duration such as
  `5m` (breaching continuously for that long). A check is one poll of the
  source that writes the series. Without `for`, one breaching check fires.
* `missing_data` follows CloudWatch: `missing` (a check without data is
  skipped; when every check of the `for` span is missing the alert ends for
  lack of data), `ok` (counts as not breaching), `breaching`, `keep` (the
  state stays as it is, however long the data is missing).
* `group_by` (default `[source]`) splits a rule into one alert per value of
  those labels (`source` is the source's name); everything else that
  matches `series` and `labels` is combined.
* The config's `rules:` adds rules or overrides default rules by `name`: an
  override is merged onto the default (keys given replace the default's;
  `condition` keys are merged when the `type` stays), so
  `{name: queue_depth_high, enabled: false}` switches one off and
  `{name: queue_depth_high, condition: {value: 80}}` moves its threshold.
* The default pack (`default_pack.yaml`, package data) is built from the seed documents:
  seed 000 (every critical, warning and info rule), seed 001 (critical and
  warning alerts), seed 003 (API latency and error rate), seed 004 (service
  down, pending backlog, SLA compliance, P90), plus `source_down` over the
  `source.up` every poll of every source writes. It only names series from
  the README's series table. Mappings that are not literal are noted beside the
  rule (for example worker memory is a percentage of the seed's 512 MB worker).

Sample config:

```yaml
rules:
  - name: queue_depth_high          # a default rule: only the keys given change
    condition: {value: 80}
  - name: conversation_volume_spike
    enabled: false
  - name: reports_endpoint_slow     # a new rule
    summary: Reports endpoint p99 above 8 s
    series: chatwoot.api.latency_ms
    labels: {endpoint: reports}
    condition: {type: percentile, q: 0.99, window: 10m, op: ">", value: 8000}
    for: 3 of 5
    severity: error
    runbook: https://wiki.example.com/runbooks/chatwoot-reports
```

Nothing here imports Textual.
"""

from __future__ import annotations

import copy
import math
from functools import cache
from importlib import resources
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from collectors.alerts.terms import Hold, MissingData, Severity, compare, parse_hold
from collectors.base import Duration
from collectors.sketch import QUANTILES

__all__ = [
    "CONDITION_TYPES",
    "DEFAULT_RULES_FILE",
    "AbsentCondition",
    "BaselineCondition",
    "Condition",
    "Escalation",
    "Hold",
    "MissingData",
    "PercentileCondition",
    "RatioCondition",
    "Rule",
    "RuleEntry",
    "SeriesRef",
    "Severity",
    "ThresholdCondition",
    "compare",
    "default_rules",
    "default_rules_yaml",
    "effective_rules",
    "parse_hold",
]

Op = Literal[">", ">=", "<", "<="]
"""How a value is compared with a threshold: the value is on the left."""

_NAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


def _hold_text(value: object) -> object:
    if isinstance(value, int | float):  # bool too
        raise ValueError(f"invalid 'for' {value!r}: write '{value} checks' or a duration like 5m")
    if isinstance(value, str):
        parse_hold(value)  # raises with a readable message
        return " ".join(value.strip().split())
    return value


# --------------------------------------------------------------------------- conditions


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeriesRef(_Model):
    """Another series a condition reads, e.g. the denominator of a ratio."""

    series: str | None = None
    """Series name; default: the rule's own series."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Label subset the series must have; `{}` takes every label value."""


WindowReduce = Literal["mean", "min", "max", "sum", "count"]
BaselineReduce = Literal["mean", "min", "max", "sum", "count", "p50", "p90", "p95", "p99"]


class ThresholdCondition(_Model):
    """The latest value, or a statistic over a window, compared with a threshold."""

    type: Literal["threshold"] = "threshold"
    reduce: Literal["latest", "mean", "min", "max", "sum", "count"] = "latest"
    """`latest` (the newest poll) or a statistic over `window`."""
    window: Duration | None = None
    """The span `reduce` looks back over; required unless `reduce` is `latest`."""
    across: Literal["max", "min", "sum", "mean"] = "max"
    """How the latest values of several series combine (`sum` for the jobs of every queue)."""
    op: Op = ">"
    """Comparison: the value is on the left, `value` on the right."""
    value: float = 0.0
    """The threshold."""

    @model_validator(mode="after")
    def _window_needed(self) -> ThresholdCondition:
        if self.reduce != "latest" and self.window is None:
            raise PydanticCustomError(
                "window_needed",
                "reduce '{reduce}' needs a window, like 5m",
                {"reduce": self.reduce, "at": "reduce"},
            )
        return self


class PercentileCondition(_Model):
    """A percentile over a window compared with a threshold."""

    type: Literal["percentile"] = "percentile"
    q: float = 0.95
    """Which percentile: 0.5, 0.9, 0.95 or 0.99 (what the store's sketches answer)."""
    window: Duration = 300.0
    """The span the percentile is taken over."""
    op: Op = ">"
    """Comparison: the percentile is on the left."""
    value: float = 0.0
    """The threshold, in the series' unit."""

    @field_validator("q")
    @classmethod
    def _known_quantile(cls, value: float) -> float:
        if value not in QUANTILES:
            raise ValueError(f"must be 0.5, 0.9, 0.95 or 0.99, not {value:g}")
        return value


class RatioCondition(_Model):
    """A rate or ratio over a window: this series divided by a denominator series."""

    type: Literal["ratio"] = "ratio"
    reduce: WindowReduce = "sum"
    """Statistic of numerator and denominator over `window` (`sum` of per-minute counts)."""
    window: Duration = 300.0
    """The span both sides are reduced over."""
    denominator: SeriesRef = Field(default_factory=SeriesRef)
    """The series divided by; a window without denominator data is missing data."""
    op: Op = ">"
    """Comparison: the ratio is on the left."""
    value: float = 0.0
    """The threshold as a fraction: 0.1 is 10 %."""


class BaselineCondition(_Model):
    """The value over a window against the same window on previous days."""

    type: Literal["baseline"] = "baseline"
    reduce: BaselineReduce = "mean"
    """Statistic taken over `window`, now and on each previous day."""
    window: Duration = 3600.0
    """The span compared: the last hour against the same hour on previous days."""
    days: int = Field(default=7, ge=1, le=30)
    """How many previous days make the baseline (their median)."""
    min_days: int = Field(default=1, ge=1, le=30)
    """Fewer previous days with data than this: missing data."""
    op: Op = ">"
    """Comparison: the ratio now / baseline is on the left."""
    value: float = 2.0
    """The ratio: 2.0 is twice the baseline, 0.8 is 20 % below it."""


class AbsentCondition(_Model):
    """No new data: the series has not been written for a while, or its source is down."""

    type: Literal["absent"] = "absent"
    after: Duration = 300.0
    """How old the newest sample may get before the data counts as absent."""


def _condition_type(value: Any) -> str:
    """The `type` of a condition; a mapping without one is a threshold."""
    if isinstance(value, dict):
        kind = value.get("type", "threshold")
        return kind if isinstance(kind, str) else ""
    return str(getattr(value, "type", ""))


Condition = Annotated[
    Annotated[ThresholdCondition, Tag("threshold")]
    | Annotated[PercentileCondition, Tag("percentile")]
    | Annotated[RatioCondition, Tag("ratio")]
    | Annotated[BaselineCondition, Tag("baseline")]
    | Annotated[AbsentCondition, Tag("absent")],
    Discriminator(_condition_type),
]
"""One of the condition types, chosen by `type` (default `threshold`)."""

CONDITION_TYPES = ("threshold", "percentile", "ratio", "baseline", "absent")
"""The values `condition.type` may take."""


class Escalation(_Model):
    """A higher severity an alert takes while its value is beyond a further threshold."""

    severity: Severity
    """The severity while `value` is crossed (higher than the rule's)."""
    value: float
    """The further threshold, compared with the rule condition's `op`."""


# --------------------------------------------------------------------------- rule


class Rule(_Model):
    """One alert rule; the default pack and the config's `rules:` are lists of these."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=80, pattern=_NAME_PATTERN)
    """Unique name; a config rule with a default rule's name overrides it."""
    series: str = Field(min_length=1, max_length=200)
    """The series watched, e.g. `chatwoot.api.latency_ms` (README lists them)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Only series with these label values, e.g. `{endpoint: health}`."""
    group_by: list[str] = Field(default_factory=lambda: ["source"])
    """One alert per value of these labels (`source` is the source name); `[]` combines all."""
    condition: Condition = Field(default_factory=ThresholdCondition)
    """When a check breaches."""
    for_: Annotated[str, BeforeValidator(_hold_text)] = Field(default="1 check", alias="for")
    """How long it must breach: `3 checks`, `3 of 5` or a duration like `5m`."""
    missing_data: MissingData = MissingData.MISSING
    """A check without data counts as: `missing`, `ok`, `breaching` or `keep`."""
    severity: Severity = Severity.WARNING
    """`info`, `warning`, `error` or `critical`."""
    escalate: list[Escalation] = Field(default_factory=list)
    """Higher severities at further thresholds, e.g. `[{severity: critical, value: 20}]`."""
    summary: str = Field(default="", max_length=200, pattern=_ONE_LINE)
    """One line saying what is wrong, shown with the alert."""
    runbook: str = Field(default="", max_length=500, pattern=_ONE_LINE)
    """Where the on-call engineer reads what to do: a URL or a path."""
    ack_timeout: Duration = 1800.0
    """An acknowledgement lapses after this if the alert still fires, and it notifies again."""
    enabled: bool = True
    """Set to false to switch the rule off (a default rule, for example)."""

    _hold: Hold = PrivateAttr(default_factory=Hold)

    @field_validator("group_by")
    @classmethod
    def _unique_group_labels(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a label twice")
        return value

    @model_validator(mode="after")
    def _check(self) -> Rule:
        self._hold = parse_hold(self.for_)
        condition = self.condition
        if isinstance(condition, AbsentCondition) and self.escalate:
            raise ValueError("an absent condition cannot escalate: it has no threshold")
        previous_rank, previous_value = self.severity.rank, getattr(condition, "value", 0.0)
        op = getattr(condition, "op", ">")
        for step in self.escalate:
            if step.severity.rank <= previous_rank:
                raise ValueError(
                    f"escalate: {step.severity} must be more severe than the one before it"
                )
            if step.value == previous_value or not compare(op, step.value, previous_value):
                raise ValueError(
                    f"escalate: {step.value:g} must lie beyond {previous_value:g} "
                    f"in the direction of '{op}'"
                )
            previous_rank, previous_value = step.severity.rank, step.value
        return self

    @property
    def hold(self) -> Hold:
        """The parsed `for`."""
        return self._hold

    def series_names(self) -> set[str]:
        """Every series this rule reads (its own and a ratio's denominator)."""
        names = {self.series}
        if isinstance(self.condition, RatioCondition):
            names.add(self.condition.denominator.series or self.series)
        return names

    def severity_for(self, value: float | None) -> Severity:
        """The severity of a breaching check with this value, escalations applied."""
        severity = self.severity
        op = getattr(self.condition, "op", ">")
        if value is None or math.isnan(value):
            return severity
        for step in self.escalate:
            if compare(op, value, step.value):
                severity = step.severity
        return severity


# --------------------------------------------------------------------------- default pack

DEFAULT_RULES_FILE: Final = "default_pack.yaml"
"""The default rule pack, package data beside this module, in the config's own `rules:`
form: a config's entries override it by name."""


def default_rules_yaml() -> str:
    """The text of the default rule pack as shipped."""
    return (resources.files("collectors.alerts") / DEFAULT_RULES_FILE).read_text(encoding="utf-8")


@cache
def _default_entries() -> dict[str, dict[str, Any]]:
    # libyaml's parser where PyYAML was built with it: ten times quicker at every start.
    entries = yaml.load(default_rules_yaml(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {entry["name"]: entry for entry in entries}


@cache
def default_rules() -> tuple[Rule, ...]:
    """The default rule pack, validated."""
    return tuple(Rule.model_validate(entry) for entry in _default_entries().values())


def _merge_with_default(value: Any) -> Any:
    """Merge a config entry onto the default rule of the same name, if there is one."""
    if not isinstance(value, dict):
        return value
    if "name" not in value:
        raise PydanticCustomError("missing_key", "missing required key '{key}'", {"key": "name"})
    name = value["name"]
    if not isinstance(name, str) or not name.strip():
        raise PydanticCustomError("rule_name", "must be non-empty text", {"at": "name"})
    default = _default_entries().get(name)
    if default is None:
        return value
    merged = copy.deepcopy(default)
    for key, given in value.items():
        old = merged.get(key)
        if (
            key == "condition"
            and isinstance(old, dict)
            and isinstance(given, dict)
            and given.get("type", old["type"]) == old["type"]
        ):
            merged[key] = {**old, **given}
        else:
            merged[key] = given
    return merged


RuleEntry = Annotated[Rule, BeforeValidator(_merge_with_default)]
"""One entry of the config's `rules:`: a new rule, or an override merged onto a default."""


def effective_rules(configured: list[Rule] | tuple[Rule, ...] = ()) -> list[Rule]:
    """The default pack with the config's rules applied: overrides by name, additions after.

    Disabled rules are left out.
    """
    by_name = {rule.name: rule for rule in default_rules()}
    for rule in configured:
        by_name[rule.name] = rule
    return [rule for rule in by_name.values() if rule.enabled]
