"""The screen's languages: gettext catalogues, one per language, and the words of one frame.

Every word the UI shows is English in the code, marked for extraction (`N_()` for the UI's
own, `Text(...)` for what the core says: appliance/core/text.py), and translated only when
a view model is made (ui.view, ui.staff_input, ui.lookup_input) or a frame is drawn (the
renderer's own words). The catalogues are ui/locale/<lang>/LC_MESSAGES/kiosk.po, compiled to
kiosk.mo by `make i18n` (ui/i18n_build.py); a language without its .mo is an error, not
English in disguise. Product names and group names are catalog data: never translated.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from appliance.core.text import Text

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# the language buttons, in this order, each written in its own language
LANGUAGES = {"en": "English", "pl": "Polski", "de": "Deutsch"}
# the language buttons' id: the UI's own (ui.app), it never reaches the core
LANGUAGE_BUTTON = "ui.language"  # arg: the language code


def N_(msgid: str) -> str:
    """Marks `msgid` for the catalogues; it is translated where it is shown."""
    return msgid


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with plural forms; `Words.plural(*marked, n)` picks the form."""
    return singular, plural


# device and terminal reasons that arrive inside a message ("Payment declined: {reason}"):
# the known ones are translated, anything else is shown as the device said it
REASONS = (
    N_("unplugged"),
    N_("not connected"),
    N_("offline"),
    N_("paper out"),
    N_("out of paper"),
    N_("cover open"),
    N_("card declined"),
    N_("insufficient funds"),
    N_("disk full"),
)
# what a failed store write was for ("Could not {action}: {reason}"; appliance/shell/runner.py)
ACTIONS = (
    N_("suspend the sale"),
    N_("resume the sale"),
    N_("find the sale"),
    N_("save the refund"),
    N_("make the report"),
    N_("write the audit log"),
    N_("mark events delivered"),
    N_("look the item up"),
    N_("apply the new catalog"),
    N_("keep the open sale"),
    N_("keep the lane closed"),
)
# what the core keeps in a constant and makes into a Text later (appliance/core/receipts.py,
# remote.py): marked here, where the extraction finds them
CORE = (
    N_("The receipt did not print ({reason}): your purchase is complete."),
    N_("Closed by head office"),
)
# how a sale was paid ("Paid by {method}" on the X/Z report; appliance/core/staff.py)
METHODS = (N_("card"), N_("cash"))
# the Text params that hold such a reason, action or method
_REASON_PARAMS = frozenset({"reason", "action", "method"})


def language_of(locale: str) -> str:
    """'pl_PL' → 'pl'; a locale of a language without a catalogue → English."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else "en"


@cache
def catalogue(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue; raises FileNotFoundError when it is missing (no fallback)."""
    found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=False)
    assert isinstance(found, gettext.GNUTranslations)
    return found


class Words:
    """One language's words: `words("Help")`, `words.text(core_text)`, `words.plural(...)`."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._catalogue = catalogue(language)
        # what was asked for and is not in the catalogue (tests read it; a device's own
        # reason lands here too, and shows as the device said it)
        self.missing: set[str] = set()

    def __call__(self, msgid: str) -> str:
        if not msgid:
            return ""  # gettext("") is the catalogue's header, never a word
        found = self._catalogue.gettext(msgid)
        if found is msgid:  # gettext hands back its argument itself when it has no entry
            self.missing.add(msgid)
        return found

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        found = self._catalogue.ngettext(singular, plural, n)
        if found is singular or found is plural:
            self.missing.add(singular)
        return found.format(n=n, **params)

    def format(self, msgid: str, **params: object) -> str:
        return self(msgid).format(**params)

    def text(self, value: str) -> str:
        """A core message (Text) in this language; a plain string by its catalogue entry,
        or as it is when it has none (a reason from a device, a product name)."""
        if not isinstance(value, Text):
            return self(value)
        params = {
            key: self.text(v)
            if isinstance(v, Text) or (key in _REASON_PARAMS and isinstance(v, str))
            else v
            for key, v in value.params
        }
        return self(value.msgid).format(**params)


@cache
def words(language: str) -> Words:
    return Words(language)
