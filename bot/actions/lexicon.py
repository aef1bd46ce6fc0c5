"""The words `understanding` reads: markers of each language, numbers, children, needs,
gender, spoken languages and filler words, in Bokmål, Nynorsk and English.

Lower case. Add words here, and a case to tests/test_understanding.py.
"""

from __future__ import annotations

# fmt: off
# English words. Words shared with another language ("i", "to", "no", "me", "born",
# "han") are left out on purpose.
ENGLISH = frozenset({
    "afraid", "am", "and", "are", "at", "bye", "can", "cat", "child", "children", "could", "dog",
    "don't", "dont", "english", "exit", "from", "going", "goodbye", "has", "have", "he", "hello",
    "help", "here", "hey", "hi", "hitting", "how", "i'm", "im", "in", "is", "it", "kid", "kids",
    "live", "man", "my", "near", "need", "needs", "nope", "not", "now", "of", "other", "our",
    "place", "please", "safe", "scared", "she", "shelter", "speak", "stay", "stop", "thank",
    "thanks", "that", "the", "there", "they", "this", "threatening", "tonight", "us", "want", "we",
    "what", "wheelchair", "when", "where", "who", "will", "with", "woman", "would", "yes", "you",
})

# Words shared by Bokmål and Nynorsk.
NORWEGIAN_WORDS = frozenset({
    "avslutt", "barn", "barna", "barnet", "bor", "det", "er", "hallo", "har", "hei", "hjelp", "hos",
    "hund", "ja", "kan", "katt", "krisesenter", "krisesenteret", "krisesenterplass", "kvinne",
    "mann", "med", "meg", "min", "mine", "mitt", "nei", "og", "oss", "plass", "på", "redd",
    "rullestol", "sammen", "skal", "slår", "snakke", "snakker", "som", "stopp", "takk", "til",
    "truer", "vi", "vil", "å",
})

# Words only Bokmål uses.
BOKMAL = frozenset({
    "bare", "datteren", "dere", "en", "et", "ett", "fra", "gjør", "hjemme", "hun", "hva", "hvem",
    "hvis", "hvor", "hvordan", "ikke", "jeg", "kommer", "mye", "noe", "nå", "sier", "sted",
    "sønnen", "trenger", "vet", "ønsker",
})

# Words only Nynorsk uses.
NYNORSK = frozenset({
    "berre", "born", "borna", "dotter", "dottera", "dykk", "eg", "ein", "eit", "frå", "gjer",
    "heime", "ho", "ikkje", "kjem", "kome", "korleis", "kva", "kvar", "kven", "mi", "mykje", "noko",
    "seier", "sonen", "stad", "treng", "ungane", "veit", "vere", "viss", "ynskjer", "òg",
})

# Northern Sami words (a word with č, đ, ŋ, š, ŧ, ž or á counts as Sami too). Words shared
# with Norwegian or English ("ja", "go", "son", "in") are left out on purpose.
SAMI = frozenset({
    "bures", "buorre", "dál", "dás", "dáppe", "doppe", "dearpá", "gii", "giitu",
    "gos", "guhte", "ii", "jus", "juo", "lea", "leat", "lean", "leago", "leatgo", "mii",
    "maid", "mu", "mun", "munnje", "mánát", "mánáin", "mánáid", "mánná", "nisu", "olmmái",
    "orrut", "saji", "sadji", "sáhtán", "sáhttá", "veahki", "veahkki", "boađán", "váldit",
    "mielde", "hupmat", "olbmuin", "olbmo", "giitos", "ollu", "áitá", "áittiha", "balan",
    "vára", "vuolde", "kriisaguovddáš", "kriisaguovddáža", "kriisaguovddážis", "dárbbašan",
    "dárbbašit", "dárbbaša", "ferten", "várra", "eai", "sii", "dii", "moai",
})

NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "en": 1, "ei": 1, "et": 1, "ett": 1, "ein": 1, "eit": 1,
    "two": 2, "to": 2,
    "three": 3, "tre": 3,
    "four": 4, "fire": 4,
    "five": 5, "fem": 5,
    "six": 6, "seks": 6,
    "seven": 7, "sju": 7, "syv": 7,
    "eight": 8, "åtte": 8,
    "nine": 9, "ni": 9,
    "ten": 10, "ti": 10,
    "eleven": 11, "elleve": 11, "ellve": 11,
    "twelve": 12, "tolv": 12,
    "thirteen": 13, "tretten": 13,
    "fourteen": 14, "fjorten": 14,
    "fifteen": 15, "femten": 15,
    "sixteen": 16, "seksten": 16,
    "seventeen": 17, "sytten": 17,
}

# Number words that are also ordinary words: only a count before a child noun.
WEAK_NUMBERS = frozenset({
    "a", "an", "ei", "ein", "eit", "en", "et", "ett", "ni", "one", "to",
})

BOYS = frozenset({
    "boy", "boys", "gut", "gutane", "gutar", "guten", "gutt", "gutten", "guttene", "gutter", "son",
    "sonen", "sons", "søner", "sønn", "sønnen", "sønnene", "sønner",
})

GIRLS = frozenset({
    "datter", "dattera", "datteren", "daughter", "daughters", "dotter", "dottera", "døtre",
    "døtrene", "døtrer", "girl", "girls", "jenta", "jente", "jentene", "jenter",
})

# Children of either sex.
CHILDREN = frozenset({
    "babies", "baby", "babyen", "barn", "barna", "barnet", "born", "borna", "child", "children",
    "kid", "kids", "småbarn", "spedbarn", "teenager", "tenåring", "toddler", "toddlers", "ungane",
    "ungar", "unge", "ungene", "unger",
})

# One child, named without a number ("my daughter", "sonen min", "the baby").
ONE_CHILD = frozenset({
    "baby", "babyen", "barnet", "child", "dattera", "datteren", "daughter", "dotter", "dottera",
    "gutten", "jenta", "kid", "newborn", "nyfødt", "son", "sonen", "sønn", "sønnen", "teenager",
    "tenåring", "toddler",
})

# Children, but not how many ("the kids", "barna mine").
SEVERAL_CHILDREN = frozenset({
    "barn", "barna", "borna", "children", "kids", "sons", "daughters", "ungane", "ungene",
    "unger", "ungar", "døtrene", "guttene", "jentene", "sønnene", "gutane",
})

ADULTS = frozenset({
    "adult", "adults", "grown-ups", "grownups", "voksen", "voksne", "vaksen", "vaksne",
})

BABIES = frozenset({
    "babies", "baby", "babyen", "newborn", "nyfødt", "spedbarn",
})

# Words after an age ("4 år", "12 years old").
YEARS = frozenset({
    "gamle", "gammal", "gammel", "old", "y", "year", "years", "yr", "yrs", "år", "åring", "åringar",
    "åringen", "åringer", "års",
})

SEPARATORS = frozenset({
    "&", "and", "og", "plus", "pluss",
})

# A whole answer meaning "none".
NO_ANSWER = frozenset({
    "inga", "ingen", "nei", "no", "nobody", "none", "nope", "nothing",
})

# Word starts that name a need (a word matches when it starts with one).
NEED_STEMS: dict[str, tuple[str, ...]] = {
    "wheelchair": ("rullestol", "wheelchair", "rullator", "walker", "permobil", "crutches"),
    "pets": ("hund", "katt", "kjæledyr", "valp", "kanin", "dyret", "dyra", "dyrene"),
    "substance_use": (
        "rus", "alkohol", "alcohol", "drug", "narkotika", "substance", "addict", "avhengig",
        "heroin", "drikker",
    ),
    "trafficking": ("menneskehandel", "trafficking", "trafficked", "exploited", "utnytta"),
    "sami": ("samisk", "sámi", "sami", "samegiella", "sámegiella", "sørsamisk", "lulesamisk"),
    "lgbtq": (
        "lhbt", "lgbt", "skeiv", "queer", "gay", "lesb", "homofil", "bifil", "bisexual",
        "transperson", "transgender", "transkvinne", "transmann",
    ),
    "hearing": ("døv", "hørsel", "hørselshemm", "hearing", "deaf", "tegnspråk", "høreapparat"),
    "vision": ("blind", "synshemm", "svaksynt", "vision", "visually", "sight", "førerhund"),
}

# Whole words that name a need.
NEED_WORDS: dict[str, tuple[str, ...]] = {
    "pets": ("dog", "dogs", "cat", "cats", "pet", "pets", "puppy", "kitten", "rabbit", "dyr"),
    "lgbtq": ("trans", "gay", "queer", "lgbt", "lgbtq", "lhbt", "lhbtiq"),
}

# Phrases that name a need.
NEED_PHRASES: dict[str, tuple[str, ...]] = {
    "wheelchair": ("use a wheel chair", "can't walk", "cannot walk", "kan ikke gå"),
    "trafficking": ("forced to work", "forced labour", "tvunget til å jobbe", "sold me"),
    "hearing": ("sign language", "hard of hearing", "hører dårlig", "høyrer dårleg"),
    "vision": ("ser dårlig", "ser ikke", "can't see", "cannot see", "ser dårleg"),
}

# Words that start like a need but are not one ("russisk" is Russian).
NOT_NEEDS = frozenset({
    "catch", "category", "cattle", "dyre", "dyrt", "hundre", "hundrevis", "rush", "rusk", "russ",
    "russen", "russian", "russisk", "rust", "transfer", "transit", "translate", "translation",
    "transport",
})

# Who needs the place, in the API's words.
GENDER_WORDS: dict[str, tuple[str, ...]] = {
    "woman": (
        "kvinne", "kvinner", "kvinna", "dame", "woman", "women", "female", "kvinnelig", "mor",
        "mamma", "mother", "mum", "mom", "lady", "jente",
    ),
    "man": (
        "mann", "menn", "mannen", "man", "men", "male", "mannlig", "far", "pappa", "father", "dad",
        "gutt",
    ),
    "other": (
        "annet", "annen", "anna", "other", "ikke-binær", "ikkje-binær", "ikkebinær", "nonbinary",
        "non-binary", "enby", "neither", "verken", "genderfluid", "kjønnsnøytral", "agender",
    ),
}

GENDER_PHRASES = {
    "non binary": "other",
    "ikke binær": "other",
    "ikkje binær": "other",
    "ingen av delene": "other",
    "none of those": "other",
    "prefer not to say": "other",
    "vil ikke si": "other",
}

# Languages to speak with staff, by ISO code ("nb": Norwegian, so no need).
SPOKEN: dict[str, tuple[str, ...]] = {
    "nb": ("norsk", "norwegian", "bokmål", "bokmal", "nynorsk", "norsk-"),
    "en": ("engelsk", "english"),
    "ar": ("arabisk", "arabic"),
    "pl": ("polsk", "polish"),
    "uk": ("ukrainsk", "ukrainian"),
    "ru": ("russisk", "russian"),
    "so": ("somali", "somalisk"),
    "ti": ("tigrinja", "tigrinya"),
    "fa": ("persisk", "farsi", "persian"),
    "prs": ("dari",),
    "ku": ("kurdisk", "kurdish", "sorani", "kurmanji"),
    "tr": ("tyrkisk", "turkish"),
    "es": ("spansk", "spanish"),
    "fr": ("fransk", "french"),
    "de": ("tysk", "german"),
    "th": ("thai", "thailandsk"),
    "tl": ("tagalog", "filipino"),
    "lt": ("litauisk", "lithuanian"),
    "ro": ("rumensk", "romanian"),
    "ur": ("urdu",),
    "vi": ("vietnamesisk", "vietnamese"),
    "am": ("amharisk", "amharic"),
    "sw": ("swahili",),
    "ps": ("pashto",),
    "sv": ("svensk", "swedish"),
    "da": ("dansk", "danish"),
    "se": ("samisk", "nordsamisk", "sami", "sámi"),
}

# Words before a place in a short answer ("I'm in", "jeg er i").
LEADING_FILLERS = frozenset({
    "actually", "akkurat", "am", "are", "around", "at", "based", "bor", "bur", "close", "currently",
    "eg", "egentlig", "eh", "eigentleg", "er", "forresten", "fra", "from", "frå", "i", "i'm", "im",
    "in", "jeg", "like", "live", "living", "near", "nei", "no", "now", "nå", "nær", "oh", "ok",
    "okay", "omtrent", "på", "right", "rundt", "so", "sorry", "stay", "staying", "sånn", "the",
    "to", "um", "unnskyld", "ved", "vi", "we", "we're", "well",
})

TRAILING_FILLERS = frozenset({
    "area", "currently", "kommune", "municipality", "no", "now", "nå", "området", "please", "right",
    "takk", "thanks",
})
# fmt: on
