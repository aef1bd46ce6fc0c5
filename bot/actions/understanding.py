"""Plain-text reading of a message: language, children, needs, gender, spoken language.

DIET finds intents and entities; these deterministic readers back it up for the words that
decide where someone can sleep tonight (ages, wheelchair, pets). No Rasa imports here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from actions.lexicon import (
    ADULTS,
    BABIES,
    BOKMAL,
    BOYS,
    CHILDREN,
    ENGLISH,
    GENDER_PHRASES,
    GENDER_WORDS,
    GIRLS,
    LEADING_FILLERS,
    NEED_PHRASES,
    NEED_STEMS,
    NEED_WORDS,
    NO_ANSWER,
    NORWEGIAN_WORDS,
    NOT_NEEDS,
    NUMBER_WORDS,
    NYNORSK,
    ONE_CHILD,
    SAMI,
    SEPARATORS,
    SEVERAL_CHILDREN,
    SPOKEN,
    TRAILING_FILLERS,
    WEAK_NUMBERS,
    YEARS,
)

# Languages the bot answers in (Northern Sami on the core path: the rest in Bokmål).
# Everything else the site offers is answered in English.
ANSWER_LANGUAGES = ("nb", "nn", "en", "se")
DEFAULT_LANGUAGE = "nb"
SITE_LANGUAGE = {"nb": "nb", "no": "nb", "nn": "nn", "se": "se", "en": "en"}

MAX_CHILD_AGE = 17
MAX_CHILDREN = 12

_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:'[^\W\d_]+)?")


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers; digits are split from letters ("4åring" → "4", "åring")."""
    return _TOKEN.findall(text.lower())


NORWEGIAN = "no"  # Norwegian, but not telling Bokmål from Nynorsk ("ja", "3 og 7")


def detect_language(text: str) -> str | None:
    """The language the text is written in: "nb", "nn", "en", "se" (Northern Sami),
    NORWEGIAN when it is Norwegian without showing which written form, or None when unsure."""
    words = tokens(text)
    english = sum(word in ENGLISH for word in words)
    nynorsk = sum(word in NYNORSK for word in words)
    bokmal = sum(word in BOKMAL for word in words)
    # A Sami place name alone ("Kárášjohka") is not Sami writing: one known word, or two
    # words with Sami letters, are.
    sami_words = sum(word in SAMI for word in words)
    sami_letters = sum(word not in SAMI and bool(_SAMI_LETTERS.search(word)) for word in words)
    norwegian = sum(word in NORWEGIAN_WORDS for word in words) + max(nynorsk, bokmal)
    sami = sami_words + sami_letters / 2
    if (sami_words or sami_letters >= 2) and sami > max(english, norwegian):
        return "se"
    if english > norwegian:
        return "en"
    if norwegian > english:
        if nynorsk != bokmal:
            return "nn" if nynorsk > bokmal else "nb"
        return NORWEGIAN
    return None


_SAMI_LETTERS = re.compile("[čđŋšŧžá]")


def answer_language(text: str, site_language: str | None, previous: str | None) -> str:
    """The language to answer in: the one written, else the one already in use, else the
    site's, else Bokmål. Plain Norwegian ("ja") keeps Nynorsk when that is in use."""
    site = (
        SITE_LANGUAGE.get((site_language or "").strip().lower()[:2], "en")
        if site_language
        else None
    )
    written = detect_language(text)
    if written == NORWEGIAN:
        for known in (previous, site):
            if known in ("nb", "nn"):
                return known
        return DEFAULT_LANGUAGE
    if written:
        return written
    if previous in ANSWER_LANGUAGES:
        return previous
    return site or DEFAULT_LANGUAGE


# ---------------------------------------------------------------- children

_NO_CHILDREN = (
    re.compile(
        r"\b(no|ingen|inga|without|uten|utan|zero|null)\s+(child|children|kids?|barn|born|unger|ungar)\b"
    ),
    re.compile(r"\b(just|only|bare|berre)\s+(me|meg|myself|us two|oss to)\b"),
    re.compile(r"\b(alone|alene|aleine|åleine|by myself)\b"),
)


@dataclass(frozen=True, slots=True)
class Children:
    """What a message says about children: ages ("12b" = a boy of 12), a count, or none."""

    ages: tuple[str, ...] = ()
    count: int | None = None
    none: bool = False
    some: bool = False  # children, but neither how many nor how old ("me and the kids")


# The `children` slot when children come but nothing more is known yet.
SOME = "some"


def mentions_children(text: str) -> bool:
    words = set(tokens(text))
    return bool(words & (CHILDREN | BOYS | GIRLS))


def read_children(text: str, asked: bool) -> Children:
    """Read children from a message; `asked` is True when the bot just asked about children
    (bare numbers are then ages, and "no" means none)."""
    lowered = text.lower()
    if any(pattern.search(lowered) for pattern in _NO_CHILDREN):
        return Children(none=True)
    words = tokens(text)
    if asked and words and all(word in NO_ANSWER for word in words):
        return Children(none=True)
    if not asked and not mentions_children(text):
        return Children()

    ages: list[tuple[int, str | None]] = []
    count = 0
    counted_sexes: set[str | None] = set()
    saw_count = False
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in BABIES and not (i and _number(words[i - 1]) is not None):
            ages.append((0, None))
            continue
        value = _number(word)
        if value is None:
            continue
        noun = _next_noun(words, i)
        if noun is not None:
            count += value
            saw_count = True
            counted_sexes.add(_sex_of(noun))
            if noun in BABIES:
                ages.extend((0, None) for _ in range(min(value, MAX_CHILDREN)))
            continue
        is_digit = word.isdigit()
        if not is_digit and after not in YEARS and (not asked or word in WEAK_NUMBERS):
            continue
        if value > MAX_CHILD_AGE:
            continue
        ages.append((value, _sex_near(words, i)))

    if not saw_count:
        # "me and my daughter", "sonen min på 12": each child named once, no number before.
        named = [
            word
            for i, word in enumerate(words)
            if word in ONE_CHILD
            and not (i and _number(words[i - 1]) is not None)
            and not _adult_age_near(words, i)
        ]
        if named:
            saw_count = True
            count = max(len(named), len(ages))
            counted_sexes = {_sex_of(word) for word in named}
        elif not ages and set(words) & SEVERAL_CHILDREN:
            return Children(some=True)
    if len(counted_sexes) == 1:
        (sex,) = counted_sexes
        ages = [(age, known or sex) for age, known in ages]
    written = tuple(f"{age}{(sex or '')[:1]}" for age, sex in ages[:MAX_CHILDREN])
    return Children(ages=written, count=min(count, MAX_CHILDREN) if saw_count else None)


def _adult_age_near(words: list[str], i: int) -> bool:
    """True when the number right after a child word is an adult's age ("daughter is 19")."""
    for word in words[i + 1 : i + 4]:
        value = _number(word)
        if value is not None:
            return value > MAX_CHILD_AGE
    return False


def read_adults(text: str) -> int | None:
    """How many adults ("we are two adults", "to voksne"), or None when not said."""
    words = tokens(text)
    for i, word in enumerate(words[1:], start=1):
        if word in ADULTS:
            value = _number(words[i - 1])
            if value is not None and 1 <= value <= 6:
                return value
    return None


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= 2 else None
    return NUMBER_WORDS.get(word)


def _next_noun(words: list[str], i: int) -> str | None:
    """The child noun right after a number ("two kids", "3 små barn"), if any."""
    for word in words[i + 1 : i + 3]:
        if word in CHILDREN or word in BOYS or word in GIRLS:
            return word
        if word not in ("small", "little", "young", "små", "lite", "små", "of", "my", "mine"):
            return None
    return None


def _sex_of(noun: str) -> str | None:
    if noun in BOYS:
        return "boy"
    if noun in GIRLS:
        return "girl"
    return None


def _sex_near(words: list[str], i: int) -> str | None:
    """A boy or girl word close to an age, not crossing another number or an "and"."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(words) and abs(j - i) <= 3:
            word = words[j]
            if word in SEPARATORS or (_number(word) is not None and word not in WEAK_NUMBERS):
                break
            sex = _sex_of(word)
            if sex:
                return sex
            j += step
    return None


# ---------------------------------------------------------------- needs

NEEDS = ("wheelchair", "pets", "substance_use", "trafficking", "sami", "lgbtq", "hearing", "vision")

_NO_NEEDS = re.compile(
    r"\b(no|none|nothing|nei|ingen|inga|ingenting|nope|not really|ikke noe|ikkje noko|"
    r"no special|no needs|ingen behov|ingen spesielle)\b"
)


def read_needs(text: str) -> list[str]:
    """The needs a message names, in the API's words, in a stable order."""
    lowered = text.lower()
    found: set[str] = set()
    for word in tokens(text):
        if word in NOT_NEEDS:
            continue
        for need, stems in NEED_STEMS.items():
            if any(word.startswith(stem) for stem in stems):
                found.add(need)
        for need, words in NEED_WORDS.items():
            if word in words:
                found.add(need)
    for need, phrases in NEED_PHRASES.items():
        if any(phrase in lowered for phrase in phrases):
            found.add(need)
    return [need for need in NEEDS if need in found]


def says_none(text: str) -> bool:
    """True when a short answer means "nothing" ("no", "ingen", "nothing special")."""
    return bool(_NO_NEEDS.search(text.lower()))


# ---------------------------------------------------------------- gender

_GENDER = {word: gender for gender, words in GENDER_WORDS.items() for word in words}


def read_gender(text: str) -> str | None:
    """Who needs the place, in the API's words (woman, man, other), or None."""
    lowered = text.lower()
    for phrase, gender in GENDER_PHRASES.items():
        if phrase in lowered:
            return gender
    for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", lowered):
        if word in _GENDER:
            return _GENDER[word]
    return None


# ---------------------------------------------------------------- spoken language

_SPOKEN_WORDS = {word: code for code, words in SPOKEN.items() for word in words}
NO_LANGUAGE_NEED = "any"
_ANY_LANGUAGE = re.compile(
    r"\b(doesn't matter|does not matter|any|spiller ingen rolle|samme|same|whatever|"
    r"egal|ingen|none|no|nei|ok|fine|greit|fint)\b"
)


def read_spoken_language(text: str, asked: bool) -> str | None:
    """A language code ("ar"), NO_LANGUAGE_NEED when Norwegian or anything is fine, or None."""
    codes = [_SPOKEN_WORDS[word] for word in tokens(text) if word in _SPOKEN_WORDS]
    foreign = [code for code in codes if code != "nb"]
    if foreign:
        return foreign[0]
    if codes:
        return NO_LANGUAGE_NEED
    if asked and _ANY_LANGUAGE.search(text.lower()):
        return NO_LANGUAGE_NEED
    return None


def language_code(value: str | None) -> str | None:
    """Map an entity value or code to a spoken-language code, if it names one."""
    if not value:
        return None
    value = value.strip().lower()
    if value in SPOKEN:
        return NO_LANGUAGE_NEED if value == "nb" else value
    return read_spoken_language(value, asked=False)


# ---------------------------------------------------------------- place

_POSTCODE = re.compile(r"\b\d{4}\b")


def place_from_answer(text: str) -> str | None:
    """The place in a short answer to "where are you?" ("I'm in Bodø" → "Bodø"), or None
    when the text is empty or too long to be a place."""
    words = text.strip().strip(".,!?\"'").split()
    while words and words[0].lower().strip(",.") in LEADING_FILLERS:
        words.pop(0)
    while words and words[-1].lower().strip(",.") in TRAILING_FILLERS:
        words.pop()
    cleaned = " ".join(words).strip(" .,!?\"'")
    if not cleaned or len(cleaned) > 60 or len(words) > 5:
        return None
    return cleaned


def postcode(text: str) -> str | None:
    match = _POSTCODE.search(text)
    return match.group(0) if match else None


def unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
