"""Chinese is the default language: every message the code and templates show has a Chinese
translation that keeps the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "market" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `make messages` extracts


def _source_messages() -> dict[str, list[str]]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def _translations() -> dict[str, tuple[str, ...]]:
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle)
    out = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            out[msgid] = strings
    return out


def test_every_message_has_a_chinese_translation():
    translations = _translations()
    missing = [f"{msgid!r} ({where[0]})" for msgid, where in _source_messages().items()
               if not all(translations.get(msgid, ("",)))]
    assert not missing, "untranslated (run `make messages`, then translate):\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
    wrong = []
    for msgid, strings in _translations().items():
        expected = sorted(set(PLACEHOLDER.findall(msgid)))
        for string in strings:
            if sorted(set(PLACEHOLDER.findall(string))) != expected and string:
                wrong.append(f"{msgid!r} -> {string!r}")
    assert not wrong, "\n".join(wrong)
