"""The catalogues: every word the UI can show is translated in Polish and German, with its
placeholders, and the compiled .mo files the kiosk reads are the .po files as they are."""

from __future__ import annotations

import gettext
import io
from string import Formatter

import pygame
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo

from appliance.core.text import Text
from ui.i18n import LANGUAGES, catalogue, language_of, words
from ui.i18n_build import extract, po_path, read
from ui.render import Renderer
from ui.shots import sample_view_models

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_word_has_a_translation_with_its_placeholders(language: str) -> None:
    """GIVEN every msgid marked in ui/ and appliance/core/ (N_, N_plural, Text) WHEN looked
    up in the language's .po THEN it is there, not fuzzy, not empty (every plural form), and
    each form names exactly the msgid's {placeholders}."""
    catalog = read(language)
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        assert found is not None, f"{language}: no entry for {message.id!r}"
        assert not found.fuzzy, f"{language}: fuzzy {message.id!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = found.string if isinstance(found.string, tuple) else (found.string,)
        assert forms and all(forms), f"{language}: untranslated {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(forms) == catalog.num_plurals, message.id
        wanted = set().union(*(fields(i) for i in ids))
        for form in forms:
            assert fields(form) == wanted, (language, message.id, form)
    # Babel's own checks, but its printf one: our placeholders are braces, checked above
    # (it reads "{rate}% gross" as the printf "% g")
    errors = [(m.id, e) for m, e in catalog.check() if "python-brace-format" not in m.flags]
    assert errors == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_compiled_catalogue_is_the_po_file(language: str) -> None:
    """GIVEN the committed .mo WHEN compared with the .po compiled afresh THEN they hold the
    same translations: nobody edited a .po and forgot `make i18n`."""
    fresh = io.BytesIO()
    write_mo(fresh, read(language), use_fuzzy=False)
    fresh.seek(0)
    with po_path(language).with_suffix(".mo").open("rb") as f:
        shipped = read_mo(f)
    again = read_mo(fresh)

    def table(catalog: Catalog) -> dict[object, object]:
        return {_key(m.id): _key(m.string) for m in catalog if m.id}

    assert table(shipped) == table(again)


@pytest.mark.parametrize("language", TRANSLATED)
def test_drawing_every_screen_asks_the_catalogue_for_nothing_it_lacks(language: str) -> None:
    """GIVEN every sample screen in the language WHEN made and drawn THEN every word asked
    of the catalogue was found (an English word on a Polish screen would be a miss)."""
    tr = words(language)
    tr.missing.clear()
    surface = pygame.Surface((800, 480))
    for vm in sample_view_models(sim=True, language=language).values():
        Renderer(surface).draw(vm)
    assert tr.missing == set()


def test_a_core_message_is_english_and_says_itself_in_the_shoppers_language() -> None:
    """GIVEN a notice the core made (Text) WHEN shown in Polish and German THEN its template
    is translated and its values kept; a known device reason is translated too."""
    notice = Text("Payment declined: {reason}", reason="insufficient funds")
    assert notice == "Payment declined: insufficient funds"
    assert words("pl").text(notice) == "Płatność odrzucona: brak środków"
    assert words("de").text(notice) == "Zahlung abgelehnt: Deckung nicht ausreichend"
    name = Text("{name} is past its date", name="Milk")
    assert words("de").text(name) == "Milk: Datum abgelaufen", "a product's name is data"


def test_polish_plurals_take_three_forms() -> None:
    pl = words("pl")
    forms = [pl.plural("{n} earlier item", "{n} earlier items", n) for n in (1, 3, 5, 22)]
    assert forms == [
        "1 wcześniejsza pozycja",
        "3 wcześniejsze pozycje",
        "5 wcześniejszych pozycji",
        "22 wcześniejsze pozycje",
    ]


def test_a_missing_catalogue_fails_loudly() -> None:
    """A language without its compiled catalogue is an error, never English in disguise."""
    with pytest.raises(FileNotFoundError):
        catalogue("xx")
    assert isinstance(catalogue("pl"), gettext.GNUTranslations)


def test_the_kiosk_locale_gives_its_language() -> None:
    assert language_of("pl_PL") == "pl"
    assert language_of("de_DE") == "de"
    assert language_of("en_US") == "en"
    assert language_of("fr_FR") == "en"  # no catalogue: English


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
