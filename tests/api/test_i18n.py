"""Translation catalogues of the web pages (src/web/i18n/*.json).

Pure file checks, no server: every catalogue is a flat object of non-empty
strings with the same keys as en.json and the same {placeholders}; every
key the portal uses (data-i18n="..." in its HTML, "portal.*" string
literals in its script) is in en.json.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "src" / "web" / "i18n"
PORTAL = ROOT / "src" / "web" / "portal"
LANGS = ["en", "es", "ca", "eu", "fr"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(lang):
    with open(I18N / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=_no_duplicates)


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        assert k not in seen, f"duplicate key {k!r}"
        seen[k] = v
    return seen


@pytest.fixture(scope="module")
def catalogues():
    return {lang: load(lang) for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_flat_and_non_empty(catalogues, lang):
    cat = catalogues[lang]
    assert isinstance(cat, dict) and cat
    bad = [k for k, v in cat.items() if not isinstance(v, str) or not v.strip()]
    assert not bad, f"{lang}.json: empty or non-string values for {bad}"
    assert all(re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", k) for k in cat), \
        f"{lang}.json: keys must be dotted lower-case names"


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
           set(PLACEHOLDER.findall(en[k])) != set(PLACEHOLDER.findall(cat[k]))]
    assert not bad, f"{lang}.json: placeholders differ from en.json in {bad}"


@pytest.mark.parametrize("lang", [l for l in LANGS if l != "en"])
def test_translated_not_copied(catalogues, lang):
    """A catalogue that is mostly English is a placeholder, not a
    translation (a few strings, such as "security.txt", are the same)."""
    en, cat = catalogues["en"], catalogues[lang]
    same = [k for k in en if cat.get(k) == en[k]]
    assert len(same) <= len(en) // 20, f"{lang}.json copies English in {same}"


def used_keys():
    html = (PORTAL / "index.html").read_text(encoding="utf-8")
    js = (PORTAL / "portal.js").read_text(encoding="utf-8")
    keys = set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', html))
    keys |= set(re.findall(r"""['"`](portal\.[A-Za-z0-9_.]+)['"`]""", js))
    return keys


def test_keys_used_by_the_portal_exist(catalogues):
    keys = used_keys()
    assert len(keys) > 50, "the key scan found too little: did the markup change?"
    missing = sorted(k for k in keys if k not in catalogues["en"])
    assert not missing, f"used in src/web/portal but not in en.json: {missing}"


def test_no_dynamic_keys():
    """Keys are literal strings, so the check above sees them all."""
    js = (PORTAL / "portal.js").read_text(encoding="utf-8")
    assert not re.search(r"`portal\.[^`]*\$\{", js), "a key is built at run time"
    assert not re.search(r"""['"]portal\.['"]\s*\+""", js), "a key is built at run time"


def test_portal_keys_are_prefixed(catalogues):
    """The portal's keys start with "portal."; the workspace adds its own."""
    used = used_keys()
    assert all(k.startswith("portal.") for k in used)
