"""Translations of the analysts' workspace (src/web/ui/i18n/*.json).

Pure file checks, no browser and no server: every catalogue is a flat
object of non-empty strings with exactly the keys of en.json and the same
{placeholders}; every key the workspace uses (data-i18n* attributes in its
HTML, "ui.*" string literals in its scripts) is in en.json, and en.json
holds no key that nothing uses.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "src" / "web" / "ui"
I18N = UI / "i18n"
LANGS = ["en", "es", "ca", "eu", "fr"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# a key in a script: a quoted string literal that is exactly a ui.* name
JS_KEY = re.compile(r"""['"`](ui(?:\.[a-z0-9_]+)+)['"`]""")
HTML_KEY = re.compile(r"""data-i18n(?:-[a-z-]+)?="([^"]+)\"""")


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        assert k not in seen, f"duplicate key {k!r}"
        seen[k] = v
    return seen


def load(lang):
    with open(I18N / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=_no_duplicates)


@pytest.fixture(scope="module")
def catalogues():
    return {lang: load(lang) for lang in LANGS}


def used_keys():
    """{key: [files using it]} over the workspace's scripts and page."""
    used = {}
    for path in sorted(UI.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        for m in JS_KEY.finditer(text):
            used.setdefault(m.group(1), []).append(str(path.relative_to(ROOT)))
    for path in sorted(UI.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in HTML_KEY.finditer(text):
            used.setdefault(m.group(1), []).append(str(path.relative_to(ROOT)))
    return used


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_flat_and_non_empty(catalogues, lang):
    cat = catalogues[lang]
    assert isinstance(cat, dict) and cat, f"{lang}.json is empty"
    bad = sorted(k for k, v in cat.items() if not isinstance(v, str) or not v.strip())
    assert not bad, f"{lang}.json: empty or non-string values for {bad}"
    names = [k for k in cat if not re.fullmatch(r"ui(\.[a-z0-9_]+)+", k)]
    assert not names, f"{lang}.json: keys must be dotted lower-case ui.* names: {names}"


@pytest.mark.parametrize("lang", [l for l in LANGS if l != "en"])
def test_same_keys_as_english(catalogues, lang):
    en, cat = catalogues["en"], catalogues[lang]
    missing = sorted(set(en) - set(cat))
    extra = sorted(set(cat) - set(en))
    assert not missing, f"{lang}.json lacks {missing}"
    assert not extra, f"{lang}.json has keys that en.json does not: {extra}"


@pytest.mark.parametrize("lang", [l for l in LANGS if l != "en"])
def test_same_placeholders(catalogues, lang):
    en, cat = catalogues["en"], catalogues[lang]
    bad = [k for k in en if k in cat and
           sorted(PLACEHOLDER.findall(en[k])) != sorted(PLACEHOLDER.findall(cat[k]))]
    assert not bad, f"{lang}.json: placeholders differ from en.json in {bad}"


@pytest.mark.parametrize("lang", [l for l in LANGS if l != "en"])
def test_translated(catalogues, lang):
    """A catalogue that is mostly English is not a translation."""
    en, cat = catalogues["en"], catalogues[lang]
    same = [k for k in en if cat.get(k) == en[k]]
    assert len(same) < len(en) * 0.15, f"{lang}.json: {len(same)} strings equal English: {same}"


def test_every_used_key_is_in_english(catalogues):
    used = used_keys()
    assert len(used) > 100, "the key scanner found almost nothing: is the pattern right?"
    missing = {k: files for k, files in used.items() if k not in catalogues["en"]}
    assert not missing, "keys used but absent from en.json:\n" + "\n".join(
        f"  {k} (in {', '.join(sorted(set(f)))})" for k, f in sorted(missing.items()))


def test_no_unused_key(catalogues):
    unused = sorted(set(catalogues["en"]) - set(used_keys()))
    assert not unused, f"en.json keys that no script or page uses: {unused}"


def test_lang_list_matches_catalogues():
    """The switcher offers exactly the languages that have a catalogue."""
    src = (UI / "i18n.js").read_text(encoding="utf-8")
    m = re.search(r"export const LANGS = \[([^\]]*)\]", src)
    assert m, "LANGS not found in i18n.js"
    langs = re.findall(r"'([a-z]{2})'", m.group(1))
    assert langs == LANGS
    assert sorted(p.stem for p in I18N.glob("*.json")) == sorted(LANGS)
