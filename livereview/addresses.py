"""The one rule for e-mail addresses the product sends to or from: the protocol's digest recipients,
``LIVEREVIEW_DIGEST_TO``, ``LIVEREVIEW_DIGEST_FROM`` and ``LIVEREVIEW_MAINTAINER_EMAIL`` are all checked here.

An address is one ``local@domain`` without whitespace (so no CR or LF to inject a header) and without the
characters that separate or quote addresses in a header (``,;<>"()``); a sender may carry a display name
(``Name <a@b>``). A digest goes to a team, not a population: more than :data:`MAX_RECIPIENTS` belong on a
mailing list address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ADDRESS_RE = re.compile(r"^[^@\s,;<>\"()]+@[^@\s,;<>\"()]+$")
MAX_RECIPIENTS = 100


def is_address(value: str) -> bool:
    """One bare address (``a@b``)."""
    return bool(_ADDRESS_RE.match(value))


def check_sender(value: str) -> str:
    """One address, with or without a display name (``Name <a@b>``); ValueError saying what is wrong."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("contains a line break or control character; give one e-mail address")
    addr = value.rsplit("<", 1)[1].removesuffix(">") if value.rstrip().endswith(">") and "<" in value else value
    if not is_address(addr.strip()):
        raise ValueError(f"{value!r} is not one e-mail address")
    return value


def check_recipients(addresses: Iterable[str]) -> list[str]:
    """The recipients, each a bare address, at most :data:`MAX_RECIPIENTS`, duplicates dropped in order;
    ValueError naming the first that is not an address."""
    addrs = list(addresses)
    if len(addrs) > MAX_RECIPIENTS:
        raise ValueError(f"{len(addrs)} recipients; at most {MAX_RECIPIENTS} (send to a mailing list address for a "
                         "larger group)")
    for addr in addrs:
        if not is_address(addr):
            raise ValueError(f"{addr!r} is not an e-mail address")
    return list(dict.fromkeys(addrs))
