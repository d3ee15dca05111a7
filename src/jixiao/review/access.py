"""Who may reach the review pages: what `jixiao review` checks before it loads
the server, so that a refused address or token is refused at once."""

from __future__ import annotations

import ipaddress

# A token shorter than this is guessed too easily.
MIN_TOKEN = 12


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine's own address, which no other machine reaches."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
