"""What makes a silence acceptable, apart from who asks (pure: no I/O, no web framework).

- matchers in Alertmanager's own words (`name="value"`, `name=~"regex"`, `!=`, `!~`), at least one
  of them an exact label with a value: a silence of regexes and negations alone silences too much;
- a comment that says why (a ticket, a planned works notice);
- an end between one minute and thirty days from now.

A silence scoped from an alert takes its alertname and where it is (host, site, link): exactly
that alert, and the same alert again if it flaps while the silence lasts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.oncall.sources import Matcher

SHORTEST = timedelta(minutes=1)
LONGEST = timedelta(days=30)
MAX_MATCHERS = 20
MAX_VALUE = 500
MAX_COMMENT = 1000
SCOPE_LABELS = ("alertname", "host", "site", "link_id")  # what "this alert" means
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_OPERATORS = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}


class BadSilence(ValueError):
    """A silence the board refuses to ask for; the message is for the operator."""


@dataclass(frozen=True)
class Draft:
    matchers: tuple[Matcher, ...]
    comment: str
    ends_at: datetime


def matcher_text(m: Matcher) -> str:
    op = {v: k for k, v in _OPERATORS.items()}[(m.is_regex, m.is_equal)]
    value = m.value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{m.name}{op}"{value}"'


def matcher_lines(matchers: Iterable[Matcher]) -> str:
    """Matchers one per line, the text the form shows and `parse_matcher_lines` reads back."""
    return "\n".join(matcher_text(m) for m in matchers)


def parse_matcher_lines(text: str) -> list[Matcher]:
    """Matchers written one per line as Alertmanager prints them: `host="cpe-so-y-te"`."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise BadSilence(f'matcher line {n} is not name="value" (or =~, !=, !~): {line.strip()[:80]!r}')
        name, op, value = m.groups()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        is_regex, is_equal = _OPERATORS[op]
        out.append(Matcher(name, value, is_regex, is_equal))
    return out


def parse_matcher_json(items: Any) -> list[Matcher]:
    """Matchers of the JSON API: [{"name", "value", "isRegex", "isEqual"?}]."""
    if not isinstance(items, list):
        raise BadSilence("matchers must be a list of {name, value, isRegex}")
    out = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise BadSilence("each matcher needs a name and a value")
        value, is_regex, is_equal = item.get("value"), item.get("isRegex", False), item.get("isEqual", True)
        if not isinstance(value, str) or not isinstance(is_regex, bool) or not isinstance(is_equal, bool):
            raise BadSilence(
                f"matcher {item['name']!r}: value must be text, isRegex and isEqual true or false"
            )
        out.append(Matcher(item["name"], value, is_regex, is_equal))
    return out


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `1d`, `1d 12h`: how long a silence from the form lasts."""
    m = _DURATION.match(text or "")
    if not m or not any(m.groups()):
        raise BadSilence(f"duration {text.strip()[:40]!r} is not like 30m, 2h, 1d or 1d12h")
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def ends_at_from_json(body: Mapping[str, Any], now: datetime) -> datetime:
    """The end of a silence of the JSON API: `hours` from now, or `ends_at` (RFC 3339, with zone)."""
    hours, ends_at = body.get("hours"), body.get("ends_at")
    if (hours is None) == (ends_at is None):
        raise BadSilence("give either hours or ends_at")
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise BadSilence("hours must be a number")
        if not 0 < hours <= LONGEST / timedelta(hours=1):
            raise BadSilence("a silence lasts between 1 minute and 30 days")
        return now + timedelta(hours=hours)
    try:
        when = datetime.fromisoformat(str(ends_at).replace("Z", "+00:00"))
    except ValueError:
        raise BadSilence("ends_at must be a time like 2026-12-07T06:00:00Z") from None
    if when.tzinfo is None:
        raise BadSilence("ends_at needs a time zone (Z or +07:00)")
    return when.astimezone(UTC)


def check_silence(matchers: list[Matcher], comment: str, ends_at: datetime, now: datetime) -> Draft:
    """The silence as Alertmanager will get it, or `BadSilence` saying what is wrong."""
    if not matchers:
        raise BadSilence("a silence needs at least one matcher")
    if len(matchers) > MAX_MATCHERS:
        raise BadSilence(f"at most {MAX_MATCHERS} matchers")
    for m in matchers:
        if not LABEL_NAME.match(m.name):
            raise BadSilence(f"{m.name[:40]!r} is not a label name")
        if len(m.value) > MAX_VALUE:
            raise BadSilence(f"the value of {m.name} is longer than {MAX_VALUE} characters")
        if m.is_regex:
            try:
                re.compile(m.value)
            except re.error as exc:
                raise BadSilence(f"the regex of {m.name} does not compile: {exc}") from None
    if not any(m.is_equal and not m.is_regex and m.value for m in matchers):
        raise BadSilence(
            'a silence needs at least one exact label (e.g. alertname="InfraWanLinkDown"): '
            "regexes and negations alone would silence too much"
        )
    comment = comment.strip()
    if not comment:
        raise BadSilence("say why in the comment (a ticket, planned works)")
    if len(comment) > MAX_COMMENT:
        raise BadSilence(f"the comment is longer than {MAX_COMMENT} characters")
    if not SHORTEST <= ends_at - now <= LONGEST + timedelta(seconds=1):
        raise BadSilence("a silence lasts between 1 minute and 30 days")
    return Draft(tuple(matchers), comment, ends_at)


def scope_of(labels: Mapping[str, str]) -> list[Matcher]:
    """Matchers that silence this alert: its name and where it is (host, site, link)."""
    return [Matcher(name, labels[name]) for name in SCOPE_LABELS if labels.get(name)]
