"""Words for people, kept translatable: English text that remembers its message id and values.

The core says things in English (`state.notice`, an intervention's detail, a report's
lines), and the audit log, the printer and the scenarios read that English. A screen may
speak Polish or German, so a message is made as `Text("Payment declined: {reason}",
reason=...)`: it *is* the English string (a `str`, so everything that reads text still
works), and it also carries `msgid` and `params`, from which ui/i18n.py builds the
shopper's language. The msgid is the English template: that is the gettext catalogue's key
(ui/locale/*/LC_MESSAGES/kiosk.po), so changing a message's English means translating it
again; the i18n tests find a msgid with no translation.
"""

from __future__ import annotations

Param = str | int


class Text(str):
    """`Text(msgid, **params)` == msgid.format(**params), plus `.msgid` and `.params`."""

    msgid: str
    params: tuple[tuple[str, Param], ...]

    def __new__(cls, msgid: str, **params: Param) -> Text:
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = tuple(sorted(params.items()))
        return self

    def __reduce__(self) -> tuple[object, ...]:
        # copies and pickles keep the id and values, not only the English
        return (_remake, (self.msgid, self.params))


def _remake(msgid: str, params: tuple[tuple[str, Param], ...]) -> Text:
    return Text(msgid, **dict(params))
