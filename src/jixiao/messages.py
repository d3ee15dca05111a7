"""Texts that people read, written in English and marked for translation.

English is the source language. The record, the CLI and the exports keep a
message's English (``str(message)``); the review pages show it in the
reader's language (`jixiao.review.i18n`), from the same words and values:

- ``N_("…")`` marks a fixed text (it returns the text itself);
- ``M_("… %(name)s …", name=…)`` a `Message`: the words, with its values apart,
  put in after translation. A value that is a `Message` itself (a label) is
  translated too; any other is put in as it is. So a figure goes in as the
  text it was written as (``"1,234.50万元"``, ``"87.60%"``), never as a number a
  translation could write differently, and text from a document as the text.

``make i18n`` extracts what N_() and M_() mark anywhere in the package
(``babel.cfg``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def N_(text: str) -> str:
    """Marks `text` for the catalog; it is translated where it is shown."""
    return text


class Message(BaseModel):
    """A text with values: the English message id, and what goes into it."""

    model_config = ConfigDict(frozen=True)

    text: str
    params: dict[str, str | int | float | Message | None] = Field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % self.params


# What goes into a message. An int stays an int (a count), not a float: pydantic
# keeps the type of the value given where the union allows it.
Value = str | int | float | Message | None


def M_(text: str, **params: Value) -> Message:
    """Marks `text` for the catalog, with the values put into its translation."""
    return Message(text=text, params=params)
