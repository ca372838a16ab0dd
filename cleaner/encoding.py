"""Stage 2, encoding: bytes to clean Unicode.

Decoding order: a byte-order mark, then strict UTF-8, then charset detection for legacy
encodings. Mojibake and broken Unicode are then repaired by `ftfy` with an explicit
configuration (quotes stay curly: the text is kept word for word), and what ftfy fixed
is kept in the document's metadata, as ftfy's own explanations.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy

from .document import Document, InputError
from .language import plausibility
from .plural import counted
from .stage import DocumentStage

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # HTML is unescaped by the HTML extractor, text keeps its literal '&'
    uncurl_quotes=False,
    fix_character_width=False,
    normalization="NFC",
    explain=True,
)

# No-break and other Unicode spaces, which split words for no reader's benefit in a corpus.
_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Control characters other than tab, newline and carriage return: many of them mean binary data.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Line breaks of other tools (Python's `str.splitlines` reads them so): Word's manual line break (vertical tab) in
# its text exports, pdftotext's page break (form feed), the file, group and record separators. ftfy deletes all but
# the form feed, which glued the sentences either side ("schools.Opposition"); the form feed stayed inside a line.
_LINE_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e]")


def decode_bytes(data: bytes, source: str) -> tuple[str, str | None]:
    """The text of `data` and, when it was not plain UTF-8, a note saying which encoding was used.

    A byte-order mark the rest does not fit must not fail the run: after a UTF-8 mark (an editor's, on cp1252
    text) the bytes are read as if unmarked; UTF-16 or UTF-32 cut short keeps its text, the broken end replaced.
    """
    skipped = 0  # the length of a UTF-8 mark left out, so the note names the byte of the file
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError as err:
                if encoding != "utf-8-sig":
                    text = data.decode(encoding, errors="replace")
                    bad = counted(text.count("\ufffd"), "invalid byte sequence")
                    return text, f"not valid {encoding} at byte {err.start}; {bad} replaced with U+FFFD"
            skipped = len(bom)
            data = data[skipped:]
            break
    if b"\x00" in data[:8192]:
        wide = utf16_without_bom(data)
        if wide is None:
            raise InputError(source, "binary file (NUL bytes) with a text extension")
        return data.decode(wide), f"no byte-order mark; decoded as {wide}"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        where = f"not valid UTF-8 at byte {skipped + err.start}"
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(1, len(text) // 1000) and any(ord(ch) > 127 and ch != "\ufffd" for ch in text):
        return text, f"{where}; {counted(bad, 'invalid byte sequence')} replaced with U+FFFD"
    encoding = legacy_encoding(data)
    return data.decode(encoding), f"{where}; decoded as {encoding}"


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when `data` reads as such text without a mark, else None (binary).

    Text in Latin script stored in UTF-16 (`iconv -t UTF-16LE`, some Windows exports) has a NUL in nearly every
    other byte and nearly never in the bytes between; binary data has its NULs in no such pattern, or does not
    decode. (Text in other scripts has no NUL, and goes to charset detection.)
    """
    sample = data[:8192]
    if len(data) % 2 or len(sample) < 4:
        return None
    for encoding, high, low in (("utf-16-le", sample[1::2], sample[::2]), ("utf-16-be", sample[::2], sample[1::2])):
        if high.count(0) >= 0.9 * len(high) and low.count(0) <= 0.01 * len(low):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


# The legacy encodings of the web: the Windows code pages (cp1252 first: the commonest, and the WHATWG default), the
# multi-byte ones of Japanese, Korean and Chinese, then ISO, KOI8 and Thai. A later one wins only when it reads
# clearly better (`CLEARLY`): a few stray high bytes in Latin text can spell a kanji as well as a letter.
LEGACY = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
          "shift_jis", "euc-jp", "euc-kr", "gb18030", "big5", "iso-8859-2", "iso-8859-7", "koi8-r", "koi8-u", "cp874")
CLEARLY = 0.05  # in mean log-probability per n-gram (`language.plausibility`)
# Only the words with a byte over 127 read differently from one encoding to another: each reading weighed is
# those words, with two words either side (a lone "©" or "½" is no word in any reading), up to SAMPLE bytes.
# The whole first 2,000 characters of each reading took 36 ms a 5 kB file, this 17 ms, with the same texts right
# in `benchmarks/eval_charsets.py` (one word either side: 8 ms, one text fewer right).
SAMPLE = 2000
_HIGH_WORD = re.compile(rb"(?:[^ \t\r\n]+[ \t\r\n]+){0,2}"  # two words before
                        rb"[^ \t\r\n]*[\x80-\xff][^ \t\r\n]*"  # a word with a byte over 127
                        rb"(?:[ \t\r\n]+[^ \t\r\n]+){0,2}")  # two words after


def legacy_encoding(data: bytes) -> str:
    """The legacy encoding (of `LEGACY`) whose reading of `data` is likeliest to be words of some language.

    A statistical detector (charset-normalizer) read one or two sentences of Polish or Turkish as cp1252, of
    English with a curly quote as mac_roman, of Russian in KOI8-R as cp932, and pages of English as cp852: a
    short text gives too few bytes for byte statistics, and a long one with a few curly quotes hardly more.
    Which reading makes words is evidence (`plausibility`); `benchmarks/eval_charsets.py` counts how many texts
    come back right. KOI8 decodes any bytes, so some reading always fits; binary data is told by its control
    characters after decoding (`looks_binary`).
    """
    words, size = [], 0
    for match in _HIGH_WORD.finditer(data):
        words.append(match.group())
        size += len(words[-1]) + 1
        if size >= SAMPLE:
            break
    sample = b" ".join(words)
    readings = []
    for encoding in LEGACY:
        try:
            data.decode(encoding)  # the whole of it, not only the sample, must be valid in this encoding
            readings.append((plausibility(sample.decode(encoding)), encoding))
        except UnicodeDecodeError:
            continue
    best = max(score for score, _ in readings)
    return next(encoding for score, encoding in readings if score >= best - CLEARLY)


def looks_binary(text: str) -> bool:
    """Whether `text` holds too many control characters to be text; other tools' line breaks (`_LINE_BREAKS`) are
    line breaks."""
    sample = line_breaks(text[:8192])
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)


def line_breaks(text: str) -> str:
    """`text` with other tools' line breaks (`_LINE_BREAKS`) as newlines: before `repair`, whose ftfy deletes them."""
    return _LINE_BREAKS.sub("\n", text)


def repair_text(text: str) -> tuple[str, list[str]]:
    """`repair` of a document's text, with other tools' line breaks read as line breaks first, and newlines for its
    line ends and plain spaces for its other spaces (`_SPACES`) after; and what ftfy changed."""
    text, steps = repair(line_breaks(text))
    return _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")), steps


# What ftfy (as configured above) could change: UTF-8 read as Latin-1/cp1252 or as cp1251 (a lead
# character followed by one standing for a continuation byte), and controls, surrogates, ligatures,
# Unicode line separators, replacement characters. Text with none of these is left to NFC alone,
# which spares ftfy's full pass on nearly every document.
_CP1252_CONTINUATION = "\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014" \
    "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_CP1251_CONTINUATION = "\xa0-\xbf\u0401-\u040c\u040e\u040f\u0451-\u045c\u045e\u045f\u0490\u0491\u2116" \
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_NEEDS_FTFY = re.compile(
    f"[\xc2-\xf4][{_CP1252_CONTINUATION}]|[\u0420-\u0423][{_CP1251_CONTINUATION}]"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufb00-\ufb06\u2028\u2029\ufffd]")


def repair(text: str) -> tuple[str, list[str]]:
    """`text` with mojibake and broken Unicode fixed, NFC-normalised; and what ftfy changed.

    ASCII text is left alone unless it holds control characters (a NUL), which ftfy takes out as from any text.
    """
    if text.isascii() and not _CONTROL.search(text):
        return text, []
    if not _NEEDS_FTFY.search(text):
        return (text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)), []
    fixed, steps = ftfy.fix_and_explain(text, config=FTFY_CONFIG)
    fixed = unicodedata.normalize("NFC", fixed)
    return fixed, list(dict.fromkeys(f"{action} {what}" for action, what in steps or []))


def note_fixes(doc: Document, steps: list[str]) -> None:
    """Record what `repair` changed in `doc`'s metadata: `encoding_steps`, each step as ftfy explains it, in
    order ("encode sloppy-windows-1252", "decode utf-8"); and `encoding_fixes`, the kinds of those steps
    ("decode", "encode", "apply"), the field's values since the first release, which users' scripts read."""
    if steps:
        doc.metadata["encoding_fixes"] = sorted({step.split(" ", 1)[0] for step in steps})
        doc.metadata["encoding_steps"] = steps


class Decode(DocumentStage):
    """Turns `raw` into `text`; fails the document (not the run) when it is binary or empty."""

    name = "encoding"

    def process(self, doc: Document) -> None:
        raw, doc.raw = doc.raw, None
        if isinstance(raw, bytes):
            text, note = decode_bytes(raw, doc.source)
            if note:
                doc.warnings.append(note)
                doc.metadata["encoding_note"] = note
        else:
            text = raw or ""
        if looks_binary(text):
            raise InputError(doc.source, "binary content (control characters) with a text extension")
        # HTML's extracted text is repaired and spaced in the html stage: on the whole markup ftfy is slow, and the
        # two patterns of line breaks and spaces alone took 8% of the HTML path's time
        if doc.format != "html":
            text, steps = repair_text(text)
            note_fixes(doc, steps)
        if doc.title:  # a JSONL record's own title, repaired as a page's <title> is
            doc.title = repair(doc.title)[0]
        doc.text = text
        if not doc.text.strip():
            doc.warnings.append("empty document")
            doc.drop("empty")
