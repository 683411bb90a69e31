"""Evidence never carries a secret: passwords, keys and communities in quoted lines are masked.

The well-known default communities (`public`, `private`) stay visible: they are the finding.
"""

from __future__ import annotations

import re

MASK = "<redacted>"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # password 7 XXX / secret 9 $9$... / password cisco / key-string XXX / pre-shared-key XXX
    (
        re.compile(
            r"(?i)\b(password|secret|key-string|pre-shared-key|psk|passphrase)"
            r"(\s+(?:\d{1,2}|cipher|irreversible-cipher|simple))?\s+(?!<redacted>)\S+"
        ),
        rf"\1\2 {MASK}",
    ),
    # key 7 XXX / key XXX (tacacs, radius, ntp), not trusted-key / authentication-key ids
    (re.compile(r"(?i)(?<![-\w])key(\s+[07])?\s+(?!<redacted>)(?!\d+$)\S+"), rf"key\1 {MASK}"),
    # md5/sha keys: ntp authentication-key 1 md5 XXX, ip ospf message-digest-key 1 md5 7 XXX, auth sha XXX
    (
        re.compile(
            r"(?i)\b(md5|sha|sha1|sha256|hmac-sha2-256|hmac-sha256|cmac-aes-128)(\s+[07]|\s+\d+\s+cipher)?\s+"
            r"(?!<redacted>)\S+"
        ),
        rf"\1\2 {MASK}",
    ),
    (re.compile(r"(?i)\bpriv\s+(aes(\s+\d+)?|3des|des)\s+(?!<redacted>)\S+"), rf"priv \1 {MASK}"),
    # Huawei VRP: cipher %^%#...%^%#, irreversible-cipher $1a$..., simple XXX
    (re.compile(r"(?i)\b(irreversible-cipher|simple)\s+(?!<redacted>)\S+"), rf"\1 {MASK}"),
    (re.compile(r"(?i)\b(cipher)\s+(?!<redacted>)(?![a-z0-9_]+(\s|$))\S+"), rf"\1 {MASK}"),
    # SNMP communities other than the well-known defaults
    (
        re.compile(
            r"(?i)\b(snmp-server community|snmp-agent community (?:read|write)(?: cipher)?)\s+"
            r"(?!public\b|private\b|<redacted>)\S+"
        ),
        rf"\1 {MASK}",
    ),
    # codecs: xConfiguration ... Password: XXX
    (re.compile(r"(?i)((?:password|passphrase|secret|key)[^:]*:\s*)\"?[^\"\s]+\"?\s*$"), rf"\1{MASK}"),
)
_NOT_SECRETS = re.compile(r"(?i)^\s*(ip ssh|ssh (server|client)|service password-encryption)")


def redact(line: str) -> str:
    if _NOT_SECRETS.match(line):
        return line
    for pattern, repl in _RULES:
        line = pattern.sub(repl, line)
    return line
