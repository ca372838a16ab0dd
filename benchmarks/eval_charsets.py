"""How often short legacy-encoded texts are decoded right: one or two sentences in cp1252, latin-1, cp1250,
cp1251, koi8-r, shift_jis, euc-kr, gb18030, big5, ...

    python benchmarks/eval_charsets.py [--failures]

Sentences come from the gold article bodies of the scrapinghub benchmark (`../shared/data/extraction/`: English,
Portuguese, Russian, Korean, Italian, Indonesian, German, Japanese), and, for languages it lacks, from the news
sentences below. Each sample (one sentence, or two in a row; and the first 300 and 3,000 characters of each
article) is encoded in every legacy charset used for its language that can hold it, then read back by
`decode_bytes` and `repair`, as the encoding stage reads a file: right when the text comes back as it was (NFC).
Prints how many come back right per charset and in all.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

from langdetect import DetectorFactory, detect

from cleaner.document import InputError
from cleaner.encoding import decode_bytes, repair

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "ground-truth.json"

LATIN = ("cp1252", "latin-1")
CHARSETS = {
    "en": LATIN, "de": LATIN, "it": LATIN, "pt": LATIN, "id": LATIN, "fr": LATIN, "es": LATIN, "sv": LATIN,
    "pl": ("cp1250", "iso-8859-2"), "cs": ("cp1250", "iso-8859-2"), "hu": ("cp1250", "iso-8859-2"),
    "ru": ("cp1251", "koi8-r"), "uk": ("cp1251", "koi8-u"), "bg": ("cp1251",),
    "el": ("cp1253", "iso-8859-7"), "tr": ("cp1254", "iso-8859-9"),
    "ja": ("shift_jis", "euc-jp"), "ko": ("euc-kr",), "zh-cn": ("gb18030", "gbk"), "zh-tw": ("big5",),
}
# News sentences written for this evaluation, in languages the benchmark's pages lack.
WRITTEN = {
    "fr": ["Le président a annoncé mercredi une réforme des retraites très contestée.",
           "Les élèves rentreront à l'école dès le 2 septembre, a précisé le ministère.",
           "« C'est une décision difficile », a déclaré la maire de Lyon."],
    "es": ["El Gobierno aprobó el martes una subida del salario mínimo.",
           "¿Quién pagará la reconstrucción después de las inundaciones?",
           "La economía española creció más de lo previsto en el último trimestre."],
    "sv": ["Regeringen föreslår att skatten på bensin sänks från årsskiftet.",
           "Många äldre har fått vänta länge på vård."],
    "pl": ["Rząd przyjął w środę projekt ustawy o podatku od nieruchomości.",
           "Prezydent spotkał się z żołnierzami w Gdańsku.",
           "Ceny żywności wzrosły w ubiegłym miesiącu o ponad pięć procent."],
    "cs": ["Vláda ve středu schválila nový rozpočet na příští rok.",
           "Počet nezaměstnaných v České republice mírně klesl."],
    "hu": ["A kormány szerdán új intézkedéseket jelentett be az infláció ellen.",
           "Az árvíz több ezer embert kényszerített lakóhelye elhagyására."],
    "uk": ["Уряд ухвалив рішення про підвищення пенсій з першого січня.", "Київ готується до холодної зими."],
    "bg": ["Правителството одобри новия бюджет в сряда.", "Цените на горивата се повишиха през миналия месец."],
    "el": ["Η κυβέρνηση ανακοίνωσε νέα μέτρα για την ακρίβεια.",
           "Ο πρωθυπουργός συναντήθηκε με τον πρόεδρο της Γαλλίας."],
    "tr": ["Hükümet, asgari ücrete zam yapılacağını açıkladı.",
           "İstanbul'da yoğun kar yağışı nedeniyle okullar tatil edildi."],
    "zh-cn": ["政府周三宣布了新的经济刺激计划。", "北京今天下了大雨，部分航班被取消。", "专家认为房价明年将继续下跌。"],
    "zh-tw": ["政府週三宣布新的經濟刺激方案。", "台北今天下起大雨，部分航班取消。", "專家認為房價明年將繼續下跌。"],
}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def gold_texts() -> list[tuple[str, str]]:
    """(language, body) of each gold article body with a character outside ASCII."""
    if not GOLD.exists():
        print(f"({GOLD} not found: written sentences only)")
        return []
    DetectorFactory.seed = 0
    bodies = [page["articleBody"] for page in json.loads(GOLD.read_text()).values()]
    return [(detect(body), body) for body in bodies if not body.isascii()]


def sentences(texts: list[tuple[str, str]], per_page: int = 4) -> dict[str, list[str]]:
    """Up to `per_page` sentences with a character outside ASCII from each text, by language, and the written ones."""
    found: dict[str, list[str]] = {}
    for lang, body in texts:
        cut = [s.strip() for s in _SENTENCE_END.split(body) if 20 <= len(s.strip()) <= 200]
        found.setdefault(lang, []).extend([s for s in cut if not s.isascii()][:per_page])
    for lang, written in WRITTEN.items():
        found.setdefault(lang, []).extend(written)
    return found


def encoded(texts: list[tuple[str, str]]) -> dict[bytes, tuple[str, str]]:
    """Each text in each legacy charset of its language that holds it: bytes -> (charset, text); a text
    two charsets spell alike (latin-1 and cp1252 without curly quotes) counts once."""
    out: dict[bytes, tuple[str, str]] = {}
    for lang, text in texts:
        for charset in CHARSETS.get(lang, ()):
            try:
                out.setdefault(text.encode(charset), (charset, text))
            except UnicodeEncodeError:
                continue
    return out


def decoded(data: bytes) -> str | None:
    """The text the encoding stage makes of `data`; None when it refuses it."""
    try:
        text, _ = decode_bytes(data, "sample")
    except InputError:
        return None
    return repair(text)[0]


def score(name: str, samples: dict[bytes, tuple[str, str]], failures: bool) -> None:
    total, right = Counter(), Counter()
    for data, (charset, text) in samples.items():
        total[charset] += 1
        got = decoded(data)
        if got == unicodedata.normalize("NFC", text):
            right[charset] += 1
        elif failures:
            print(f"{charset:10} {text[:60]!r} -> {(got or '')[:60]!r}")
    print(f"{name}: " + ", ".join(f"{charset} {right[charset]}/{total[charset]}" for charset in sorted(total))
          + f"; all {sum(right.values())}/{sum(total.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", action="store_true", help="print each sample read wrong")
    args = parser.parse_args()
    texts = gold_texts()
    short = [(lang, text) for lang, found in sorted(sentences(texts).items())
             for text in found + [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]]
    score("one or two sentences", encoded(short), args.failures)
    for length in (300, 3000):
        score(f"the first {length} characters of an article", encoded([(lang, body[:length]) for lang, body in texts]),
              args.failures)


if __name__ == "__main__":
    main()
