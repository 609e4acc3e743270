"""The catalogues' build: extract the marked words, merge them into each language's .po,
compile the .mo files (Babel). `make i18n` runs it; docs in README.md ("Adding a language").

    python -m ui.i18n_build            extract + update every .po + compile
    python -m ui.i18n_build compile    compile only (what the tests read is the .mo)
    python -m ui.i18n_build init xx    start ui/locale/xx/LC_MESSAGES/kiosk.po

Where words come from: `N_("...")` and `N_plural("...", "...")` in ui/, and
`Text("...")` in appliance/core/ (appliance/core/text.py). A msgid whose English changed
comes back fuzzy or empty in every language, and tests/ui/test_i18n.py fails until it is
translated again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ui.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("ui", "appliance/core")
KEYWORDS = {"N_": None, "N_plural": (1, 2), "Text": None}
METHODS = [("**.py", "python")]
HEADER_LANGUAGE = {"en": "en_GB", "pl": "pl_PL", "de": "de_DE"}


def extract() -> Catalog:
    """Every marked msgid in the sources, with where it was found."""
    template = Catalog(project="kiosk", domain=DOMAIN)
    for folder in SOURCES:
        found = extract_from_dir(
            ROOT / folder, METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        )
        for filename, line_no, message, comments, context in found:
            where = f"{folder}/{filename}"
            if isinstance(message, tuple):
                # Text("...", **params) marks only its first argument
                message = tuple(m for m in message if m) if len(message) > 1 else message[0]
                if isinstance(message, tuple) and len(message) == 1:
                    message = message[0]
            flags = ("python-brace-format",) if "{" in str(message) else ()
            added = template.add(
                message,
                None,
                [(where, line_no)],
                auto_comments=comments,
                context=context,
                flags=flags,
            )
            # Babel guesses printf formats ("{rate}% gross" reads as "% g"): ours are braces
            added.flags.discard("python-format")
    return template


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=HEADER_LANGUAGE.get(language, language), domain=DOMAIN)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=96, sort_output=False, omit_header=False)


def update(template: Catalog, languages: Iterable[str]) -> None:
    for language in languages:
        path = po_path(language)
        if path.exists():
            catalog = read(language)
        else:
            catalog = Catalog(locale=HEADER_LANGUAGE.get(language, language), domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            # ours are brace formats; Babel's printf guess must not check them as "%"
            message.flags.discard("python-format")
        write(catalog, path)


def compile_all(languages: Iterable[str]) -> None:
    for language in languages:
        catalog = read(language)
        with po_path(language).with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    languages = list(LANGUAGES)
    if args[:1] == ["compile"]:
        compile_all(languages)
    elif args[:1] == ["init"] and len(args) == 2:
        update(extract(), [args[1]])
        print(f"now translate {po_path(args[1])} and add it to ui.i18n.LANGUAGES")
    elif not args:
        update(extract(), languages)
        compile_all(languages)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
