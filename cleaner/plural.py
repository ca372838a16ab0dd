"""Counts in messages read as English: "1 file", "2 files", never "file(s)"."""

from __future__ import annotations


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The form of a noun that agrees with `count` (`plural` defaults to `singular` + "s")."""
    return singular if count == 1 else plural or f"{singular}s"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count`, with thousands separators, and the noun that agrees with it: "1 file", "1,024 files"."""
    return f"{count:,} {noun(count, singular, plural)}"
