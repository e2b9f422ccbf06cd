"""Who may write and who may read: the original Worker's Bearer keys.

A POST needs ``Authorization: Bearer <key>``: no header is 401, a wrong key 403
(the Worker's answers). With no key configured the server takes no writes at
all (403, saying how to set one), unless keyless writes were allowed, which is
possible on a loopback address only. GETs are public unless a read key is set;
then a browser may give it as the password of HTTP Basic authentication.
Keys are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ParameterError

KEY_VARIABLE = "ZE_BENCHMARKS_API_KEY"
NO_KEY = (
    "this server takes no results: no API key is set. Start it with "
    f"{KEY_VARIABLE}=<key> or --api-key-file FILE (or, on 127.0.0.1 only, "
    "--allow-unauthenticated-writes) and send 'Authorization: Bearer <key>'"
)


@dataclass(frozen=True)
class Refusal:
    """Why a request may not go on: its HTTP status and message."""

    status: int
    message: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Keys:
    """The keys a server checks; None where none is set."""

    write: str | None = None
    read: str | None = None
    keyless_writes: bool = False

    def check_write(self, authorization: str | None) -> Refusal | None:
        """None when a POST with this Authorization header may write."""
        if self.keyless_writes and (self.write is None or authorization is None):
            return None
        if self.write is None:
            return Refusal(403, NO_KEY)
        token = _bearer(authorization)
        if token is None:
            return Refusal(401, "Unauthorized: send 'Authorization: Bearer <key>'")
        if not _same(token, self.write):
            return Refusal(403, "Invalid API key")
        return None

    def check_read(self, authorization: str | None) -> Refusal | None:
        """None when a GET with this Authorization header may read."""
        if self.read is None:
            return None
        token = _bearer(authorization) or _basic_password(authorization)
        if token is None:
            return Refusal(
                401,
                "Unauthorized: this server needs its read key "
                "('Authorization: Bearer <key>', or as the password in a browser)",
                {"WWW-Authenticate": 'Basic realm="zebench", charset="UTF-8"'},
            )
        # The write key reads too: a harness holding it needs no second one.
        if _same(token, self.read) or (self.write is not None and _same(token, self.write)):
            return None
        return Refusal(403, "Invalid API key")


def _bearer(authorization: str | None) -> str | None:
    if authorization is None or not authorization.startswith("Bearer "):
        return None
    return authorization[len("Bearer ") :].strip() or None


def _basic_password(authorization: str | None) -> str | None:
    if authorization is None or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[len("Basic ") :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def _same(given: str, expected: str) -> bool:
    # Bytes: compare_digest refuses str with characters outside ASCII.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def load(
    key_file: str | os.PathLike[str] | None,
    read_key_file: str | os.PathLike[str] | None,
    keyless_writes: bool,
    host: str,
) -> Keys:
    """The keys from ``--api-key-file`` (else $ZE_BENCHMARKS_API_KEY) and
    ``--read-key-file``."""
    write = _read_key(key_file, "--api-key-file") if key_file else None
    if write is None:
        write = os.environ.get(KEY_VARIABLE, "").strip() or None
    read = _read_key(read_key_file, "--read-key-file") if read_key_file else None
    if keyless_writes and not is_loopback(host):
        raise ParameterError(
            f"--allow-unauthenticated-writes works on a loopback address only, not {host!r}: "
            f"anyone who can reach {host} could write; set a key instead"
        )
    return Keys(write=write, read=read, keyless_writes=keyless_writes)


def _read_key(path: str | os.PathLike[str], option: str) -> str:
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{option} {path}: cannot read it ({exc})") from None
    if not key or any(char.isspace() for char in key):
        raise ParameterError(f"{option} {path}: the file must hold one key, without spaces")
    return key


def is_loopback(host: str) -> bool:
    """True for localhost and the 127.0.0.0/8 and ::1 addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
