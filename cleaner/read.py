"""Stage 1, read: walk input folders in a stable order and stream documents out of files.

Every problem with one file or one JSONL line becomes an `InputError` in the stream,
so the run records it and goes on with the other inputs.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import xxhash
import zstandard
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser

from .document import Document, InputError
from .encoding import decode_bytes, looks_binary
from .markup import MARKDOWN_SUFFIXES
from .plural import counted

TEXT_SUFFIXES = (".txt", *MARKDOWN_SUFFIXES)  # Markdown: what many scrapers save pages as (see markup.py)
HTML_SUFFIXES = tuple(f"{name}{packed}" for name in (".html", ".htm", ".xhtml", ".shtml") for packed in ("", ".gz"))
JSONL_SUFFIXES = tuple(f"{name}{packed}" for name in (".jsonl", ".ndjson") for packed in ("", ".gz", ".zst"))
WARC_SUFFIXES = (".warc", ".warc.gz")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES
HTML_FIELD = "html"  # a JSONL record with this field (and no text field) holds a page to extract


@dataclass
class InputFiles:
    """What a walk of the inputs found, in id order."""

    files: list[tuple[Path, str]]  # (path, document id prefix) of every file to read
    skipped: list[str] = field(default_factory=list)  # the files left out for an extension the reader does not know
    unreadable: list[InputError] = field(default_factory=list)  # the folders the walk could not list
    hidden: list[str] = field(default_factory=list)  # the folders left out for a name starting with "."
    outputs: list[str] = field(default_factory=list)  # output folders of earlier runs found inside the inputs


class _Found(NamedTuple):
    """A file to read, before its id is made unique in the run."""

    id: str  # the path relative to its root (a file given as input: its name)
    source: str
    path: Path
    base: Path  # the root's absolute path (a file given as input: its folder's), which tells roots apart


def input_files(roots: list[Path], outputs: Sequence[Path] = ()) -> InputFiles:
    """The files under `roots` to read, sorted by id, and what the walk left out or could not read.

    Sorting by id (the path relative to its root) makes the output independent of the
    order in which roots are given and of the file system's directory order. The run's
    `outputs` (folders) are not walked, so a second run does not read the first's output as
    input; an input that is one of them is a `ValueError`.
    """
    written = {_identity(folder) for folder in outputs if folder.is_dir()}
    walked = InputFiles([])
    found = [entry for root in roots for entry in _root_files(root, written, walked)]
    walked.files = _named(found)
    walked.skipped.sort()
    walked.unreadable.sort(key=lambda err: err.source)
    walked.hidden.sort()
    walked.outputs.sort()
    return walked


def _root_files(root: Path, written: set[tuple[int, int]], walked: InputFiles) -> Iterator[_Found]:
    """The files to read of one input; those of other types go to `walked.skipped`."""
    base = Path(os.path.abspath(root))
    if not root.is_dir():
        yield _Found(safe_name(root.name), str(root), root, base.parent)
        return
    if _identity(root) in written:
        raise ValueError(f"input {safe_name(root)} is an output folder of this run: write the output elsewhere")
    for path in _walk(root, written, walked):
        if path.name.lower().endswith(SUFFIXES):
            yield _Found(safe_name(path.relative_to(root).as_posix()), str(path), path, base)
        else:
            walked.skipped.append(safe_name(path))


def _named(found: list[_Found]) -> list[tuple[Path, str]]:
    """(path, id) of each file, sorted by id.

    A file is read once however many inputs lead to it (a root given twice, a folder and a folder or file
    inside it, a link to either): under the one where its id is longest, the input holding the others, so it
    gets the id it would have if that input were given alone, whatever the order of the inputs.
    """
    once: dict[tuple[int, int] | str, _Found] = {}
    for entry in sorted(found, key=lambda entry: (-entry.id.count("/"), entry)):
        once.setdefault(_file_identity(entry.path), entry)
    unique = sorted(once.values())
    named = zip(_distinct_ids(unique), unique, strict=True)
    return [(entry.path, doc_id) for doc_id, entry in sorted(named, key=lambda pair: (pair[0], pair[1].source))]


def _distinct_ids(found: list[_Found]) -> list[str]:
    """The id of each file, unique in the run.

    Files under two roots can have one relative path (`x/a.txt` and `y/a.txt` are both `a.txt`), and a
    `duplicate_of` naming it would be ambiguous. Each such file's id then starts with the end of its root's
    path: the root's name (`x/a.txt`), or as many of its last folders as tell the roots apart and clash with
    no other id. It depends on the roots, not on their order; an id no two roots share does not move.
    """
    groups: dict[str, list[int]] = {}
    for i, entry in enumerate(found):
        groups.setdefault(entry.id, []).append(i)
    ids = [entry.id for entry in found]
    taken = {doc_id for doc_id, members in groups.items() if len(members) == 1}
    shared = [members for _, members in sorted(groups.items()) if len(members) > 1]
    for members in shared:  # of distinct roots, so the whole of their paths tells them apart
        deepest = max(len(found[i].base.parts) - 1 for i in members)  # parts[0] is the anchor, "/"
        for depth in range(1, deepest + 1):
            named = [_with_root(found[i], depth) for i in members]
            if len(set(named)) == len(named) and taken.isdisjoint(named):
                break
        taken.update(named)
        for i, name in zip(members, named, strict=True):
            ids[i] = name
    return ids


def _with_root(entry: _Found, depth: int) -> str:
    """`entry`'s id after the last `depth` folders of its root's path."""
    return "/".join([*(safe_name(part) for part in entry.base.parts[1:][-depth:]), entry.id])


def _walk(root: Path, written: set[tuple[int, int]], walked: InputFiles) -> Iterator[Path]:
    """The files under `root`, following links to folders but entering each folder once.

    A link to a folder inside `root` is not followed: that folder's files come under their own
    path, so adding a link moves no id. A folder already entered (a link loop, a second link to
    one place) is not entered again, nor one the run writes to, nor a hidden one (`.git`: a tool's
    files, not documents; `walked.hidden` counts them); subfolders go in name order, so which link
    wins is fixed. A folder that cannot be listed goes to `walked.unreadable` and the walk goes on.
    """
    inside = root.resolve()
    seen = written | {_identity(root)}

    def unreadable(err: OSError) -> None:
        walked.unreadable.append(InputError(safe_name(err.filename), f"cannot read folder: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        dirnames[:] = [name for name in sorted(dirnames) if _enter(Path(dirpath, name), inside, seen, walked)]
        yield from (Path(dirpath, name) for name in filenames)


def _file_identity(path: Path) -> tuple[int, int] | str:
    """What tells files apart whatever the links that lead to them; a file that cannot be reached is told by
    its path with its folder's links resolved, so it is reported once however many inputs lead to it (reading it
    reports why)."""
    try:
        return _identity(path)
    except OSError:
        return os.path.join(os.path.realpath(path.parent), path.name)


def _identity(path: Path) -> tuple[int, int]:
    """What tells folders apart whatever the links that lead to them."""
    info = path.stat()
    return info.st_dev, info.st_ino


def _enter(folder: Path, inside: Path, seen: set[tuple[int, int]], walked: InputFiles) -> bool:
    """Whether the walk goes into `folder`, which it then counts as seen; a hidden one goes to `walked.hidden`,
    and the output folder of an earlier run (its `clean.jsonl` and `stats.json`) to `walked.outputs`: its
    records are this corpus cleaned once already, and would come back as duplicates of their own sources.

    Such a folder is not counted as seen, so a link of another name to the same place is still followed.
    """
    if folder.is_symlink() and folder.resolve().is_relative_to(inside):
        return False
    identity = _identity(folder)
    if identity in seen:
        return False
    if folder.name.startswith("."):
        walked.hidden.append(safe_name(folder))
        return False
    if is_output_folder(folder):
        walked.outputs.append(safe_name(folder))
        return False
    seen.add(identity)
    return True


def is_output_folder(folder: Path) -> bool:
    """Whether `folder` is the output folder of a `cleaner clean` run."""
    return (folder / "clean.jsonl").is_file() and (folder / "stats.json").is_file()


def safe_name(path: Path | str) -> str:
    """`path` as text any UTF-8 output can hold: a byte of a non-UTF-8 file name shows as `\\xe9`.

    Python keeps such a byte as a lone surrogate, which JSON and hashing refuse; a name that is
    valid UTF-8 comes back unchanged, so its id does not move.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_file(path: Path, doc_id: str, text_field: str, max_bytes: int) -> Iterator[Document | InputError]:
    """The documents of one input file (one, or one per JSONL line), or the errors that stop them."""
    name = path.name.lower()
    source = safe_name(path)
    try:
        _check_regular(path, source)
        if name.endswith(JSONL_SUFFIXES):
            yield from _read_jsonl(path, source, doc_id, text_field, max_bytes)
        elif name.endswith(WARC_SUFFIXES):
            yield from _read_warc(path, source, doc_id, max_bytes)
        else:
            data = _read_gzip(path, source, max_bytes) if name.endswith(".gz") else _read_bytes(path, source, max_bytes)
            fmt = "html" if name.endswith(HTML_SUFFIXES) else "text"
            if not name.endswith(SUFFIXES):
                _refuse_binary(data, path, source)
            yield Document(id=doc_id, source=source, raw=data, format=fmt)
    except InputError as err:
        yield err
    except OSError as err:
        yield InputError(source, _describe_os_error(path, err))
    except Exception as err:  # reading runs in the main process: what no one foresaw fails this file, not the run
        yield InputError(source, f"cannot read file: {type(err).__name__}: {err}")


def _refuse_binary(data: bytes, path: Path, source: str) -> None:
    """A file of a type the reader does not know is read only when named as INPUT, and then as text (a log, a .csv, a
    file without an extension); binary content (a PDF, an image) is refused as what it is, where the decoder's error
    blamed a text extension the file does not have."""
    try:
        binary = looks_binary(decode_bytes(data, source)[0])
    except InputError:  # NUL bytes, and no UTF-16 text
        binary = True
    if binary:
        kind = f"a {safe_name(path.suffix)} file" if path.suffix else "a file without an extension"
        raise InputError(source, f"binary content in {kind}, a type cleaner does not read (a file of another type "
                                 "named as INPUT is read as text, when it is text)")


def read_documents(found: InputFiles, text_field: str, max_bytes: int) -> Iterator[Document | InputError]:
    """Documents from every file `input_files` found, in id order, after the folders that could not be read."""
    yield from found.unreadable
    for path, doc_id in found.files:
        yield from read_file(path, doc_id, text_field, max_bytes)


@dataclass
class Shard:
    """A run of input files processed and checkpointed together (see `checkpoint.py`)."""

    index: int
    files: list[tuple[Path, str]]

    def fingerprint(self) -> str:
        """Changes when any file of the shard is added, removed, resized or touched."""
        digest = xxhash.xxh3_64()
        for path, doc_id in self.files:
            try:
                info = path.stat()
                digest.update(f"{doc_id}\t{info.st_size}\t{info.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(f"{doc_id}\tmissing\n".encode())
        return digest.hexdigest()

    def read(self, text_field: str, max_bytes: int) -> Iterator[Document | InputError]:
        for path, doc_id in self.files:
            yield from read_file(path, doc_id, text_field, max_bytes)


def plan_shards(files: list[tuple[Path, str]], files_per_shard: int = 256) -> list[Shard]:
    """Input files in id order, cut into shards: a JSONL or WARC file alone, others `files_per_shard` at a time."""
    shards: list[Shard] = []
    run: list[tuple[Path, str]] = []
    for path, doc_id in files:
        if path.name.lower().endswith(JSONL_SUFFIXES + WARC_SUFFIXES):
            if run:
                shards.append(Shard(len(shards), run))
                run = []
            shards.append(Shard(len(shards), [(path, doc_id)]))
            continue
        run.append((path, doc_id))
        if len(run) >= files_per_shard:
            shards.append(Shard(len(shards), run))
            run = []
    if run:
        shards.append(Shard(len(shards), run))
    return shards


_SPECIAL_FILES = {stat.S_IFIFO: "named pipe", stat.S_IFSOCK: "socket",
                  stat.S_IFCHR: "character device", stat.S_IFBLK: "block device"}


def _check_regular(path: Path, source: str) -> None:
    """Refuse what is not a regular file before opening it: opening a named pipe waits for a writer forever."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise InputError(source, f"not a regular file ({_SPECIAL_FILES.get(stat.S_IFMT(mode), 'special file')})")


def _describe_os_error(path: Path, err: OSError) -> str:
    if path.is_symlink() and not path.exists():
        return f"broken symbolic link to {safe_name(os.readlink(path))}"
    if not path.exists():
        return "no such file"
    return f"cannot read file: {err.strerror or err}"


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(source, f"file is {size:,} bytes, over the --max-bytes limit of {max_bytes:,}")
    return path.read_bytes()


def _read_gzip(path: Path, source: str, max_bytes: int) -> bytes:
    """The decompressed content of a gzip file, refused past `max_bytes` (a zip bomb is no page).

    Read as a compressed JSONL file is (`_chunks`), so a cut or damaged file is named as such.
    """
    data = bytearray()
    try:
        for chunk in _chunks(path):
            data += chunk
            if len(data) > max_bytes:
                raise InputError(source, f"decompressed content is over the --max-bytes limit of {max_bytes:,}")
    except _DamagedStream as err:
        raise InputError(source, str(err)) from None
    return bytes(data)


def _read_warc(path: Path, source: str, doc_id: str, max_bytes: int) -> Iterator[Document | InputError]:
    """One HTML document per WARC `response` record, with the URL and date of its headers.

    Other record types (request, metadata, warcinfo...), `dns:` and `whois:` lookups, non-HTML responses and
    responses other than 2xx (redirects, error pages: "404 Not Found" is no article) are skipped, their numbers
    kept so that ids do not move; a corrupt record ends the file with an error naming the record's number, and
    the documents read before it are kept, as they are when the file is cut (see `_cut_record`, `_without_length`);
    blank lines after the last record are no record. A file without any response record gets a warning.
    HTTP headers are parsed here, not by warcio, which fails on a record without `WARC-Target-URI`.
    """
    number = 0
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, no_record_parse=True)
        try:
            for record in records:
                if not (record.rec_headers.get_header("Content-Length") or "").strip().isdigit():
                    problem = _without_length(record, records, source, number)
                    if problem is None:
                        continue
                    yield problem
                    return
                item = None
                if record.rec_type == "response":
                    number += 1
                    item = _warc_response(record, f"{source}:{number}", f"{doc_id}:{number}", max_bytes)
                item = item or _cut_record(record, source, number)
                if item is not None:
                    yield item
        except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError) as err:
            # warcio raises AttributeError on some garbage headers: a damaged record all the same
            if isinstance(err, ArchiveLoadFailed) and _cut_in_first_line(records):
                yield InputError(source, f"truncated WARC file: it ends inside the first line of a record "
                                         f"{_after(number)}; the records before it are read", severity="warning")
            else:
                yield _corrupt_warc(source, number, " ".join(str(err).split()) or type(err).__name__)
        else:
            left = os.fstat(stream.fileno()).st_size - records.offset
            if left > 0:  # a gzip member cut before any of its record decompresses: warcio ends the file there
                yield InputError(source, f"truncated WARC file: its last {left:,} bytes {_after(number)} hold no "
                                         "whole record", severity="warning")
            if not number:  # as an empty JSONL file is reported: a crawl that fetched nothing is not lost unnoticed
                yield InputError(source, "empty file: no WARC response records", severity="warning")


def _cut_record(record: Any, source: str, number: int) -> InputError | None:
    """A warning when the file ends inside a record that is read as no page (a request, metadata, an image): a page's
    record says so itself (`_http_body`), and this one, the file's last, was passed over in silence."""
    missing = _missing(record.raw_stream)
    if not missing:
        return None
    where, kind = (f"{source}:{number}", "response record (read as no page)") if record.rec_type == "response" else (
        source, f"{record.rec_type} record {_after(number)}")
    return InputError(where, f"truncated WARC {kind}: the file ends {missing:,} bytes short of its Content-Length; "
                             "the records before it are read", severity="warning")


def _without_length(record: Any, records: ArchiveIterator, source: str, number: int) -> InputError | None:
    """What a record without a valid Content-Length is, after response record `number`: None for blank lines after the
    last record (a .warc.gz member of their own, or bytes after the last member), which warcio reads as a record without
    headers; a file that ends inside the record's headers, which warcio reads as whole, is a warning, as a .warc.gz
    member cut before any of its record decompresses is (nothing tells whether it was a page); else a corrupt record,
    which ends the file: warcio would read on to its end, and where the next record starts is lost."""
    stream = record.raw_stream  # unbounded: to the end of the file, or of the gzip member
    rest = stream.read(CHUNK)
    while rest.isspace() and (more := stream.read(CHUNK)):
        rest = more
    if not (rest.strip() or record.rec_headers.protocol or record.rec_headers.headers):
        return None
    if rest or not _cut_in_headers(records):
        return _corrupt_warc(source, number, "no valid Content-Length header")
    return InputError(source, f"truncated WARC file: it ends inside the headers of a record {_after(number)}; the "
                              "records before it are read", severity="warning")


def _cut_in_headers(records: ArchiveIterator) -> bool:
    """Whether the file ends inside the headers of the record `records` read last, which warcio reads as whole: nothing
    follows them, and they do not end with a blank line, or the gzip member holding them ends before its end."""
    file = records.fh
    if file.tell() - records.reader.rem_length() < os.fstat(file.fileno()).st_size:  # past what warcio holds unread
        return False
    tail = b""
    try:
        for piece in _record_bytes(records):
            tail = (tail + piece)[-3:]
    except _CutStream:
        return True
    except _DamagedStream:
        return False
    return not tail.endswith((b"\n\n", b"\n\r\n"))


_VERSION_LINES = (b"WARC/1.0", b"WARC/1.1", b"WARC/0.18", b"WARC/0.17")


def _cut_in_first_line(records: ArchiveIterator) -> bool:
    """Whether the file ends inside the first line of the record `records` failed on ("WAR"), which warcio calls an
    invalid record: all that is left of the file is the start of a WARC version line."""
    rest = b""
    try:
        for piece in _record_bytes(records):
            rest += piece
            if len(rest) > max(map(len, _VERSION_LINES)) + 2:
                return False
    except _CutStream:  # a .warc.gz member cut too: what it held so far tells
        pass
    except _DamagedStream:
        return False
    rest = rest.rstrip(b"\r\n")
    return bool(rest) and any(line.startswith(rest) for line in _VERSION_LINES)


def _record_bytes(records: ArchiveIterator) -> Iterator[bytes]:
    """The bytes of the file from the start of the record `records` read last to the end, decompressed."""
    file = records.fh
    file.seek(records.offset)  # where the record starts: in a .warc.gz, its gzip member
    pieces = iter(lambda: file.read(FEED), b"")
    return _inflate(pieces, *_DECOMPRESSORS[".gz"]) if records.reader.decompressor else pieces


def _after(number: int) -> str:
    """Where a record is in its file, for a message: after response record `number`, or before any."""
    return f"after response record {number}" if number else "before any response record"


def _corrupt_warc(source: str, number: int, message: str) -> InputError:
    return InputError(f"{source}:{number + 1}", f"corrupt WARC record after record {number}: {message}")


def _http_body(record: Any, http: Any, where: str, max_bytes: int) -> tuple[bytes, str | None]:
    """The payload of a response record without its transfer and content codings, and a note when the content
    coding could not be undone (see `_decoded`); `InputError` when it cannot be read."""
    chunked = http is not None and (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    data = (ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream).read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(where, f"record is over the --max-bytes limit of {max_bytes:,}")
    missing = _missing(record.raw_stream)
    if missing:
        raise InputError(where, f"truncated WARC record: the file ends {missing:,} bytes short of its Content-Length")
    coding = (http.get_header("Content-Encoding") or "").strip().lower() if http else ""
    return (data, None) if coding in ("", "identity") else _decoded(data, coding, where, max_bytes)


def _missing(stream: Any) -> int:
    """Bytes of a record's block (warcio's `LimitReader`) the file does not hold: warcio ends a record cut by the
    end of the file as if it were whole."""
    while stream.read(CHUNK):
        pass
    return stream.limit


def _content_codings() -> dict[str, tuple[Callable[[], Any], ...]]:
    """The HTTP content codings the reader undoes, by name, each with its decompressors to try in turn: brotli's
    only when its package is installed."""
    gzip = (lambda: zlib.decompressobj(wbits=47),)  # zlib's header or gzip's, either way
    codings: dict[str, tuple[Callable[[], Any], ...]] = {
        "gzip": gzip, "x-gzip": gzip, "deflate": (*gzip, lambda: zlib.decompressobj(wbits=-15)),  # or no header
        "zstd": (lambda: zstandard.ZstdDecompressor().decompressobj(),)}
    try:
        import brotli
    except ImportError:
        return codings
    codings["br"] = (lambda: _Brotli(brotli.Decompressor()),)
    return codings


class _Brotli:
    """A brotli decompressor with zlib's interface, for `_inflate`."""

    unused_data = b""

    def __init__(self, decompressor: Any) -> None:
        self._decompressor = decompressor

    def decompress(self, data: bytes) -> bytes:
        try:
            return self._decompressor.process(data)
        except Exception as err:  # brotli.error, which brotlicffi names otherwise
            raise zlib.error(str(err)) from None

    @property
    def eof(self) -> bool:
        return self._decompressor.is_finished()


def _decoded(body: bytes, coding: str, where: str, max_bytes: int) -> tuple[bytes, str | None]:
    """An HTTP body without its content coding (`Content-Encoding`), and a note when it could not be undone: a body
    that is not in the coding its header names (a crawler that stored it decoded) is read as it is, as warcio did;
    one cut short or damaged gives what decodes before that, often the whole article (as `WARC-Truncated` does).
    `InputError` for a coding the reader does not know, or a body cut before any of the page."""
    decompressors = _content_codings().get(coding)
    if decompressors is None:
        hint = " (pip install brotli to read it)" if coding == "br" else ""
        raise InputError(where, f"HTTP Content-Encoding {coding!r} is not supported{hint}")
    for new in decompressors:
        out = bytearray()
        try:
            for piece in _inflate((body[i:i + FEED] for i in range(0, len(body), FEED)), coding, new):
                out += piece
                if len(out) > max_bytes:
                    raise InputError(where, f"decompressed HTTP body is over the --max-bytes limit of {max_bytes:,}")
        except _CutStream as err:
            if not out:
                raise InputError(where, f"{err}: the HTTP body ends before any of the page") from None
            return bytes(out), f"{err} in the HTTP body: kept the {len(out):,} bytes before the cut"
        except _DamagedStream as err:
            if out:
                return bytes(out), f"{err} in the HTTP body: kept the {len(out):,} bytes before the damage"
            continue  # not in this coding
        return bytes(out), None
    return body, f"HTTP Content-Encoding {coding!r}, but the body is not {coding}: read as it is"


_NOT_PAGES = ("dns:", "whois:")  # lookups a crawler records (Heritrix) as responses without HTTP headers
_HTTP_HEADERS = StatusAndHeadersParser([], verify=False)  # any status line: "HTTP/1.1 200 OK", "HTTP/2 200"


def _warc_response(record: Any, where: str, doc_id: str, max_bytes: int) -> Document | InputError | None:
    """The page of one WARC response record, or the error that stops it; None when it is no HTML page."""
    url = record.rec_headers.get_header("WARC-Target-URI")
    if url and url.lower().startswith(_NOT_PAGES):
        return None
    http = None
    if (record.content_type or "application/http").lower().startswith("application/http"):
        try:
            http = _HTTP_HEADERS.parse(record.raw_stream)
        except EOFError:
            if missing := _missing(record.raw_stream):  # cut before them, as a page cut later is (`_http_body`)
                return InputError(where, f"truncated WARC record: the file ends {missing:,} bytes short of its "
                                         "Content-Length, before its HTTP headers")
            return InputError(where, "WARC response record without HTTP headers or content")
    content_type = (http.get_header("Content-Type") or "") if http else ""
    if content_type and "html" not in content_type.lower():
        return None
    if http and not (http.get_statuscode() or "200").startswith("2"):
        return None
    try:
        data, note = _http_body(record, http, where, max_bytes)
    except InputError as err:
        return err
    metadata = {"url": url, "warc_date": record.rec_headers.get_header("WARC-Date")}
    doc = Document(id=doc_id, source=where, raw=data, format="html", metadata={k: v for k, v in metadata.items() if v})
    if note:
        doc.warnings.append(note)
    cut = record.rec_headers.get_header("WARC-Truncated")
    if cut:  # the crawler stopped fetching (a length or time limit): what it got may still be the article
        doc.warnings.append(f"WARC-Truncated: {cut}: the crawler cut this record short; the page may be incomplete")
    return doc


class _DamagedStream(Exception):
    """A compressed file ends inside a gzip member or zstd frame, or holds bytes that do not decompress."""


class _CutStream(_DamagedStream):
    """A compressed file ends inside a gzip member or zstd frame."""


CHUNK = 1 << 16  # bytes read from disk at a time
# Compressed bytes given to a decompressor at a time. Neither zlib's nor zstandard's decompressor object is told how
# much to give back, and a zstd block of a few bytes can stand for 128 KiB: a 49 KB file made 1.5 GB of one line, all
# at once from one 64 KiB read. A KiB at a time, one call makes at most 32 MiB (gzip: 1 MiB); reading a .gz costs
# 15% more, under a thousandth of the time the pipeline takes over the same text.
FEED = 1 << 10
_DECOMPRESSORS: dict[str, tuple[str, Callable[[], Any]]] = {
    ".gz": ("gzip", lambda: zlib.decompressobj(wbits=31)),
    ".zst": ("zstd", lambda: zstandard.ZstdDecompressor().decompressobj()),
}


def _chunks(path: Path) -> Iterator[bytes]:
    """The content of `path` in pieces, decompressed by its extension (.gz, .zst); see `_inflate`."""
    codec = _DECOMPRESSORS.get(path.suffix.lower())
    with open(path, "rb") as file:
        if codec is None:
            yield from iter(lambda: file.read(CHUNK), b"")
        else:
            yield from _inflate(iter(lambda: file.read(FEED), b""), *codec)


def _inflate(pieces: Iterator[bytes], name: str, new: Callable[[], Any]) -> Iterator[bytes]:
    """The decompressed content of compressed `pieces`, `FEED` bytes or fewer each, from decompressors `new` makes.

    Concatenated gzip members and zstd frames are read one after the other. Damage raises
    `_DamagedStream` once the content before it is out, so its lines are kept: a buffered
    `gzip.open` raised with that content unread, and a zstd stream reader ends a cut frame as
    if nothing were missing.
    """
    decompressor, inside = new(), False
    for data in pieces:
        while data:
            try:
                out = decompressor.decompress(data)
            except (zlib.error, zstandard.ZstdError) as err:
                raise _DamagedStream(f"corrupt {name} stream ({err})") from None
            yield out
            inside = not decompressor.eof
            data = b"" if inside else decompressor.unused_data
            if not inside:
                decompressor = new()
    if inside:
        raise _CutStream(f"truncated {name} stream")


def _lines(chunks: Iterator[bytes], limit: int) -> Iterator[bytes | int]:
    """The lines of content cut in arbitrary pieces, each with its b"\\n" as a binary file gives them; a line whose
    record (the line without its b"\\n" or b"\\r\\n") is over `limit` bytes comes as that record's length instead,
    and is not held in memory (a file with no line break is one such line).

    The line break is not the record's: a record of exactly `limit` bytes passes, with either line ending.
    """
    head: list[bytes] = []
    size = 0
    end = b""  # the last two bytes of the line so far, to tell a b"\\r\\n" cut between two pieces
    for chunk in chunks:
        for line in io.BytesIO(chunk):
            size += len(line)
            end = (end + line[-2:])[-2:]
            if size <= limit + 2:
                head.append(line)
            elif head:
                head = []
            if line.endswith(b"\n"):
                record = size - (2 if end == b"\r\n" else 1)
                yield b"".join(head) if record <= limit else record
                head, size, end = [], 0, b""
    if size:
        yield b"".join(head) if size <= limit else size


def record_document(index: int, record: str | dict, text_field: str, html: bool = False) -> Document | InputError:
    """A document from an in-process record: a string, or a mapping like a JSONL line.

    Its id is the record's `id` field when it has one, else its position; every field but the
    text goes to metadata, and a mapping with an `html` field and no text is a page, as for JSONL input.
    """
    if isinstance(record, str):
        return Document(id=str(index), source=f"<record {index}>", raw=record, format="html" if html else "text")
    if not isinstance(record, dict):
        return InputError(f"<record {index}>", f"expected a string or a mapping, found {type(record).__name__}")
    metadata = dict(record)
    doc_id = str(metadata["id"]) if metadata.get("id") is not None else str(index)
    text, found = record_text(metadata, text_field)
    if text is None:
        return InputError(f"<record {doc_id}>", no_text(metadata, text_field, "text_field"))
    return Document(id=doc_id, source=f"<record {doc_id}>", raw=text, format="html" if html else found,
                    title=record_title(metadata), metadata=metadata)


def record_text(record: dict[str, Any], text_field: str) -> tuple[str | None, str]:
    """Take a record's text out of it, and its format: `text_field`, else a page in `HTML_FIELD` ("html");
    None when it has neither as a string. The same for a JSONL line and a mapping given to the library;
    a text field named `HTML_FIELD` (`--text-field html`) holds a page too. A blank text field with a page
    beside it (a scraper that wrote `"text": ""` when it extracted nothing) gives the page."""
    text, page = record.get(text_field), record.get(HTML_FIELD)
    if (text is None or (isinstance(text, str) and not text.strip())) and isinstance(page, str) and page.strip():
        record.pop(text_field, None)
        return record.pop(HTML_FIELD), "html"
    if not isinstance(text, str):
        return None, "text"  # the field stays, for `no_text` to name its type
    return record.pop(text_field), "html" if text_field == HTML_FIELD else "text"


def _read_jsonl(path: Path, source: str, doc_id: str, text_field: str,
                max_bytes: int) -> Iterator[Document | InputError]:
    """One document per JSON line; a damaged compressed file keeps the lines before the damage.

    A file with no JSON line gets the warning an empty text file gets, so it is not lost unnoticed.
    """
    number, found = 0, False
    try:
        for number, line in enumerate(_lines(_chunks(path), max_bytes), start=1):
            if isinstance(line, int):
                found = True
                yield InputError(f"{source}:{number}", f"line is {line:,} bytes, over the --max-bytes limit")
                continue
            line = line.removeprefix(codecs.BOM_UTF8)  # Windows tools start UTF-8 text with one; `cat` keeps each
            if line.strip():
                found = True
                yield _jsonl_document(line, f"{source}:{number}", f"{doc_id}:{number}", text_field)
    except _DamagedStream as err:
        yield InputError(source, f"{err} after line {number}" if number else f"{err} before its first line")
        return
    if not found:
        yield InputError(source, "empty file: no JSON lines", severity="warning")


def record_title(record: dict[str, Any]) -> str | None:
    """A record's own `title` field as its title (it stays in metadata too): a scraper's title is the article's,
    as a page's <title> or a Markdown file's front matter is."""
    title = record.get("title")
    return (title.strip() or None) if isinstance(title, str) else None


def no_text(record: dict[str, Any], text_field: str, option: str) -> str:
    """Why `record_text` found no text in `record`: a text field of another type (a number, a list of paragraphs)
    is named as such, and so is a blank page, where "no field" would send the user looking for a misspelt name."""
    given = record.get(text_field)
    if given is not None:
        return f"field {text_field!r} is {type(given).__name__}, not a string"
    if isinstance(record.get(HTML_FIELD), str):
        return f"field {HTML_FIELD!r} is blank (no page to extract) and there is no field {text_field!r} (see {option})"
    return f"no string field {text_field!r} (see {option}) or {HTML_FIELD!r}"


def _jsonl_document(line: bytes, source: str, doc_id: str, text_field: str) -> Document | InputError:
    """The document of one JSON line: the text field becomes the text, every other field metadata."""
    try:
        record, note = _load_json(line, source)
    except orjson.JSONDecodeError as err:
        return InputError(source, f"malformed JSON: {err}")
    except InputError as err:
        return err
    if not isinstance(record, dict):
        return InputError(source, f"expected a JSON object, found {type(record).__name__}")
    text, fmt = record_text(record, text_field)
    if text is None:
        return InputError(source, no_text(record, text_field, "--text-field"))
    doc = Document(id=doc_id, source=source, raw=text, metadata=record, format=fmt, title=record_title(record))
    if note:  # as the encoding stage notes it for a text file
        doc.warnings.append(note)
        doc.metadata["encoding_note"] = note
    return doc


def _load_json(line: bytes, source: str) -> tuple[Any, str | None]:
    """The JSON value of a line and, when its bytes are not UTF-8 or it escapes lone surrogates, a note saying
    how they were decoded.

    Such a line (a cp1252 quote in a string, from a tool that wrote its platform's encoding) is decoded
    as a text file is, rather than lost to orjson's "surrogates not allowed"; a UTF-8 line orjson refuses
    goes to `_python_json`. `orjson.JSONDecodeError` when it is no JSON all the same.
    """
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError as err:
        if _is_utf8(line):
            return _python_json(line, err)
    text, note = decode_bytes(line, source)
    return orjson.loads(text), note


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _python_json(line: bytes, refused: orjson.JSONDecodeError) -> tuple[Any, str | None]:
    """A line that orjson refuses but Python's json module writes, read by the standard parser (else orjson's
    error, `refused`, is raised): NaN and Infinity (orjson writes them out as null), and lone surrogate escapes
    (`"\\ud800"`, from text cut inside a surrogate pair): no character, so no UTF-8 output could hold one; each
    becomes U+FFFD, as a bad byte of a text file does, and the note counts them."""
    found = 0

    def mend(value: Any) -> Any:
        nonlocal found
        if isinstance(value, str):
            value, count = _LONE_SURROGATE.subn("\ufffd", value)
            found += count
            return value
        if isinstance(value, list):
            return [mend(item) for item in value]
        if isinstance(value, dict):
            return {mend(key): mend(item) for key, item in value.items()}
        return value

    try:
        record = mend(json.loads(line, parse_int=_json_int))
    except (ValueError, RecursionError, OverflowError):  # also nesting past orjson's limit, a number past a float
        raise refused from None
    return record, f"{counted(found, 'lone surrogate escape')} replaced with U+FFFD" if found else None


def _json_int(digits: str) -> int | float:
    """An integer as orjson reads it: past 64 bits a float, which orjson can write out again (an int it cannot)."""
    value = int(digits)
    return value if -(1 << 63) <= value < (1 << 64) else float(value)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
