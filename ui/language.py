"""The shopper's language: chosen on the welcome screen, kept for that customer's sale
(pure; no pygame). The UI's own state, like ui.staff_input: the core never needs it, and
the receipt prints in the kiosk's language (config kiosk.locale).

    welcome, touch "Polski"        the screens speak Polish from the next frame
    the sale goes on               Polish on every shopper's screen (staff screens keep
                                   the kiosk's language: staff work in the store's)
    back on the welcome screen     the kiosk's language again: the sale ended (paid,
                                   cancelled, suspended) or the lane closed and opened
    no touch on the welcome for    the kiosk's language again: whoever chose has gone
    WELCOME_TIMEOUT_S
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ui.i18n import LANGUAGES

# how long a choice waits on the welcome screen for a scan or a touch
WELCOME_TIMEOUT_S = 60.0
# the screens staff read: in the kiosk's language whatever the shopper chose
STAFF_SCREENS = frozenset({"staff", "refund", "report"})


@dataclass(frozen=True, slots=True)
class Choice:
    """language: the chosen one, "" for the kiosk's. touched_at: the last touch (monotonic
    seconds). left_welcome: the core has left the welcome screen since the choice."""

    language: str = ""
    touched_at: float = 0.0
    left_welcome: bool = False


def choose(language: str, at: float) -> Choice:
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for language {language!r}")
    return Choice(language, at)


def touched(choice: Choice, at: float) -> Choice:
    """Any touch keeps a choice made on the welcome screen alive (a shopper browsing the
    lookup before the first item)."""
    return replace(choice, touched_at=at) if choice.language else choice


def follow(choice: Choice, *, on_welcome: bool, at: float) -> Choice:
    """The choice that still holds now that the core is (or is not) on the welcome screen."""
    if not choice.language:
        return choice
    if not on_welcome:
        return choice if choice.left_welcome else replace(choice, left_welcome=True)
    if choice.left_welcome or at - choice.touched_at >= WELCOME_TIMEOUT_S:
        return Choice()
    return choice


def shown(choice: Choice, kiosk_language: str, screen: str) -> str:
    """The language a screen is drawn in."""
    if not choice.language or screen in STAFF_SCREENS:
        return kiosk_language
    return choice.language
