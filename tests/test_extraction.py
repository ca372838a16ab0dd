"""HTML and WARC input, the line classifier, corpus-level boilerplate, and bad pages."""

from __future__ import annotations

import gzip
import io
import random
import sys
import time
import types
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pytest
import trafilatura.metadata
import zstandard
from conftest import FIXTURES, ROOT, SEEDS
from test_seeds import BODY
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaner import boilerplate, extract, lines
from cleaner.document import Document
from cleaner.encoding import Decode, legacy_encoding
from cleaner.junk import RemoveJunk
from cleaner.lines import RULE_ID, LineModel, units
from cleaner.pipeline import build_stages
from cleaner.read import read_file
from cleaner.rules import load_rules
from cleaner.settings import Settings

BENCHMARK = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub"
BODY_PARAGRAPHS = [
    "The city council voted on Tuesday to rebuild the old harbour bridge, which has been closed since the storm.",
    "Engineers said the work would take two years and cost about 40 million euros, paid mostly by the region.",
    "Residents who had campaigned for the reopening said they were relieved, though some worried about noise.",
]


def article_html(title: str = "Harbour bridge to be rebuilt", charset: str = "utf-8", extra: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY_PARAGRAPHS)
    return (f'<html><head><meta charset="{charset}"><title>{title}</title></head><body>'
            '<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>'
            f"<article><h1>{title}</h1>{paragraphs}{extra}</article>"
            '<div class="related"><a href="/a">Ten cheap flights</a> <a href="/b">Celebrity news</a></div>'
            "<footer>Copyright 2024 Harbour Times. All rights reserved.</footer></body></html>")


def warc_bytes(pages: list[tuple[str, str]], compress: bool = False, status: str = "200 OK") -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    request = writer.create_warc_record("http://example.com/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
    writer.write_record(request)
    for url, html in pages:
        headers = StatusAndHeaders(status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": "2024-03-01T10:00:00Z"})
        writer.write_record(record)
    return buffer.getvalue()


def warc_record(http: bytes, headers: dict[str, str] | None = None, kind: str = "response") -> bytes:
    """One WARC record written by hand, with `headers` (such as `WARC-Target-URI`) as given: warcio's writer
    would add what a test needs to leave out."""
    fields = {"WARC-Type": kind, "WARC-Record-ID": "<urn:uuid:6d1e5c8a-0000-4000-8000-000000000001>",
              "WARC-Date": "2024-03-01T10:00:00Z", "Content-Type": "application/http; msgtype=response",
              **(headers or {}), "Content-Length": str(len(http))}
    head = "WARC/1.0\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
    return head.encode() + http + b"\r\n\r\n"


def http_response(body: bytes, status: bytes = b"HTTP/1.1 200 OK", headers: bytes = b"") -> bytes:
    return status + b"\r\nContent-Type: text/html; charset=utf-8\r\n" + headers + b"\r\n" + body


def test_html_gz_and_jsonl_html_field(tmp_path: Path, run_clean) -> None:
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(article_html().encode()))
    (tmp_path / "pages.jsonl").write_text(orjson.dumps({"html": article_html("Ferry fares cut"),
                                                        "url": "https://news.example.org/ferry"}).decode() + "\n")
    run = run_clean(tmp_path, dedup=False)
    page = run.clean["page.html.gz"]
    assert page["title"] == "Harbour bridge to be rebuilt"
    assert all(p in page["text"] for p in BODY_PARAGRAPHS)
    assert "Copyright" not in page["text"] and "Celebrity" not in page["text"] and "Sport" not in page["text"]
    record = run.clean["pages.jsonl:1"]
    assert record["title"] == "Ferry fares cut" and record["metadata"]["url"] == "https://news.example.org/ferry"


def test_a_frameset_page_says_so_or_gives_its_noframes_text(tmp_path: Path, run_clean) -> None:
    """A frameset page came out as its <title> alone, or with the markup of its <noframes> as text."""
    frames = '<frameset cols="20%,80%"><frame src="menu.html"><frame src="story.html">'
    (tmp_path / "frames.html").write_text(f"<html><head><title>Harbour Times</title></head>{frames}</frameset></html>")
    noframes = "<noframes><body>" + "".join(f"<p>{p}</p>" for p in BODY_PARAGRAPHS) + "</body></noframes>"
    (tmp_path / "noframes.html").write_text(f"<html><head><title>Harbour Times</title></head>{frames}{noframes}"
                                            "</frameset></html>")
    run = run_clean(tmp_path, dedup=False)
    assert run.removed["frames.html"]["reason"] == "no-article"
    assert [(e["source"].rsplit("/", 1)[-1], e["error"]) for e in run.errors] == [(
        "frames.html", "a frameset page without <noframes> text: its text is in its frames (menu.html, story.html), "
                       "pages of their own")]
    page = run.clean["noframes.html"]
    assert page["text"] == "\n\n".join(BODY_PARAGRAPHS) and page["metadata"]["frames"] == ["menu.html", "story.html"]


def test_xhtml_and_shtml_files_are_pages(tmp_path: Path, run_clean) -> None:
    """They were skipped as files of an unknown type."""
    (tmp_path / "a.xhtml").write_text(article_html())
    (tmp_path / "b.SHTML").write_text(article_html("Ferry fares cut"))
    (tmp_path / "c.shtml.gz").write_bytes(gzip.compress(article_html("Tram line opens").encode()))
    run = run_clean(tmp_path, dedup=False)
    assert sorted(run.clean) == ["a.xhtml", "b.SHTML", "c.shtml.gz"] and run.stats["skipped_files"] == 0
    assert run.clean["b.SHTML"]["title"] == "Ferry fares cut" and "<p>" not in run.clean["a.xhtml"]["text"]


def test_a_blank_text_field_beside_a_page_gives_the_page(tmp_path: Path, run_clean) -> None:
    """A scraper that extracted nothing writes `"text": ""` beside the page: the page is cleaned, not an empty text."""
    records = [{"text": "", "html": article_html("Ferry fares cut")}, {"text": " \n", "html": article_html()}]
    (tmp_path / "pages.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    run = run_clean(tmp_path, dedup=False)
    assert run.clean["pages.jsonl:1"]["title"] == "Ferry fares cut"
    assert all(p in run.clean["pages.jsonl:2"]["text"] for p in BODY_PARAGRAPHS)



@pytest.mark.parametrize("workers", [1, 2])
def test_a_url_field_that_is_no_url_fails_no_run(tmp_path: Path, run_clean, workers: int) -> None:
    """A scraper's `url` of another type reached trafilatura (AttributeError), and one urllib cannot split
    ("http://[bad": ValueError) the boilerplate stage: either stopped the whole run with a traceback."""
    records = [{"html": article_html(), "url": 7}, {"html": article_html("Ferry fares cut"), "url": "http://[bad"},
               {"text": "\n\n".join(BODY_PARAGRAPHS), "url": ["https://a.example/1"]},
               {"text": "\n\n".join(BODY_PARAGRAPHS[:2]), "url": "http://[bad/path"}]
    (tmp_path / "pages.jsonl").write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records))
    run = run_clean(tmp_path, dedup=False, workers=workers)
    assert not run.errors and set(run.clean) == {f"pages.jsonl:{n}" for n in (1, 2, 3, 4)}
    assert run.clean["pages.jsonl:1"]["title"] == "Harbour bridge to be rebuilt"
    assert run.clean["pages.jsonl:1"]["metadata"]["url"] == 7
    assert run.clean["pages.jsonl:4"]["metadata"]["url"] == "http://[bad/path"


def test_warc_response_records_with_url_and_date(tmp_path: Path, run_clean) -> None:
    pages = [("https://a.example/1", article_html()), ("https://b.example/2", article_html("Ferry fares cut"))]
    (tmp_path / "crawl.warc.gz").write_bytes(warc_bytes(pages, compress=True))
    run = run_clean(tmp_path, dedup=False)
    assert sorted(run.clean) == ["crawl.warc.gz:1", "crawl.warc.gz:2"]
    first = run.clean["crawl.warc.gz:1"]
    assert first["metadata"]["url"] == "https://a.example/1"
    assert first["metadata"]["warc_date"] == "2024-03-01T10:00:00Z"
    assert BODY_PARAGRAPHS[0] in first["text"]


@pytest.mark.parametrize("status", [b"HTTP/1.1 200 OK", b"HTTP/2 200"])
def test_a_warc_response_without_target_uri_is_read(tmp_path: Path, run_clean, status: bytes) -> None:
    """warcio failed on a response record without `WARC-Target-URI` ('NoneType' has no attribute 'startswith'),
    which ended the whole file as corrupt."""
    page = http_response(article_html().encode(), status)
    after = http_response(article_html("Ferry fares cut").encode(), status)
    (tmp_path / "crawl.warc").write_bytes(warc_record(page) + warc_record(after, {"WARC-Target-URI": "https://b.example/2"}))
    run = run_clean(tmp_path, dedup=False)
    assert not run.errors and sorted(run.clean) == ["crawl.warc:1", "crawl.warc:2"]
    assert "url" not in run.clean["crawl.warc:1"]["metadata"]
    assert BODY_PARAGRAPHS[0] in run.clean["crawl.warc:1"]["text"]
    assert run.clean["crawl.warc:2"]["metadata"]["url"] == "https://b.example/2"


def test_warc_dns_and_whois_records_are_no_pages(tmp_path: Path, run_clean) -> None:
    """Heritrix records DNS and WHOIS lookups as response records with no HTTP headers: they were read as pages."""
    dns = warc_record(b"20240301100000\nexample.com.\t300\tIN\tA\t192.0.2.1\n",
                      {"WARC-Target-URI": "dns:example.com", "Content-Type": "text/dns"})
    whois = warc_record(b"Domain Name: EXAMPLE.COM\nRegistrar: Example Registrar, Inc.\n",
                        {"WARC-Target-URI": "whois://whois.iana.org/example.com", "Content-Type": "text/plain"})
    page = warc_record(http_response(article_html().encode()), {"WARC-Target-URI": "https://a.example/1"})
    (tmp_path / "crawl.warc").write_bytes(dns + whois + page)
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == ["crawl.warc:3"] and list(run.removed) == ["crawl.warc:3"] and not run.errors


def test_a_warc_record_the_crawler_truncated_is_kept_with_a_warning(tmp_path: Path, run_clean) -> None:
    page = http_response(article_html().encode())
    (tmp_path / "crawl.warc").write_bytes(warc_record(page, {"WARC-Target-URI": "https://a.example/1",
                                                             "WARC-Truncated": "length"}))
    run = run_clean(tmp_path, dedup=False)
    assert BODY_PARAGRAPHS[0] in run.clean["crawl.warc:1"]["text"]
    assert [(e["source"].rsplit("/", 1)[-1], e["severity"]) for e in run.errors] == [("crawl.warc:1", "warning")]
    assert "WARC-Truncated: length" in run.errors[0]["error"]


def test_warc_responses_other_than_2xx_are_no_articles(tmp_path: Path, run_clean) -> None:
    missing = warc_bytes([("https://a.example/gone", article_html("Page not found"))], status="404 Not Found")
    moved = warc_bytes([("https://a.example/old", article_html("Moved"))], status="301 Moved Permanently")
    (tmp_path / "crawl.warc").write_bytes(missing + moved + warc_bytes([("https://a.example/1", article_html())]))
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == ["crawl.warc:3"] and not run.errors  # the numbers of the records skipped are kept

    crawls = tmp_path / "crawls"
    crawls.mkdir()
    (crawls / "empty.warc").write_bytes(b"")
    (crawls / "requests.warc.gz").write_bytes(warc_bytes([], compress=True))  # a request record only
    run = run_clean(crawls, dedup=False)
    assert sorted((e["source"].rsplit("/", 1)[-1], e["severity"], e["error"]) for e in run.errors) == [
        ("empty.warc", "warning", "empty file: no WARC response records"),
        ("requests.warc.gz", "warning", "empty file: no WARC response records")]


def test_corrupt_warc_record_is_an_error_and_the_run_goes_on(tmp_path: Path, run_clean) -> None:
    good = warc_bytes([("https://a.example/1", article_html())])
    broken = warc_bytes([("https://b.example/2", article_html("B"))])
    (tmp_path / "crawl.warc").write_bytes(good + broken[:40] + b"\x00garbage that is no WARC header\r\n\r\n")
    (tmp_path / "other.html").write_text(article_html("Other"))
    run = run_clean(tmp_path, dedup=False)
    assert "crawl.warc:1" in run.clean and "other.html" in run.clean
    error = next(e for e in run.errors if "crawl.warc" in e["source"])
    assert error["severity"] == "error" and "WARC" in error["error"]


@pytest.mark.parametrize("compress", [False, True])
def test_a_warc_file_cut_inside_its_last_record_says_which(tmp_path: Path, run_clean, compress: bool) -> None:
    """warcio ends a record cut by the end of the file as if it were whole: half a page passed as an article."""
    data = warc_bytes([("https://a.example/1", article_html()), ("https://b.example/2", article_html("B"))], compress)
    name = "crawl.warc.gz" if compress else "crawl.warc"
    (tmp_path / name).write_bytes(data[:-300])
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == [f"{name}:1"]
    [error] = run.errors
    assert error["source"] == f"{tmp_path / name}:2" and error["severity"] == "error"
    assert error["error"].startswith("truncated WARC record: the file ends ")


def _gzip_cut(data: bytes, at: int) -> bytes:
    """A gzip member of `data` cut after its first `at` bytes: they decompress, the rest of the member is missing."""
    packer = zlib.compressobj(wbits=31)
    return packer.compress(data[:at]) + packer.flush(zlib.Z_SYNC_FLUSH)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(("cut", "name", "severity", "message"), [
    (b"WARC-Target-URI", "crawl.warc{}", "warning",
     "truncated WARC file: it ends inside the headers of a record after response record 1; the records before it are "
     "read"),
    (b"RC/1.0", "crawl.warc{}", "warning",
     "truncated WARC file: it ends inside the first line of a record after response record 1; the records before it "
     "are read"),
    (b"\r\n\r\nHTTP/1.1", "crawl.warc{}:2", "error",
     "truncated WARC record: the file ends {:,} bytes short of its Content-Length, before its HTTP headers")])
def test_a_warc_file_cut_inside_the_headers_of_its_last_record_says_so(tmp_path: Path, run_clean, compress: bool,
                                                                        cut: bytes, name: str, severity: str,
                                                                        message: str) -> None:
    """Cut inside its WARC headers (the last gzip member of a .warc.gz), the record was "corrupt: no valid
    Content-Length header"; inside its first line ("WA"), "corrupt: Invalid WARC record, first line: WA"; cut after
    them, "a WARC response record without HTTP headers or content"."""
    page = warc_record(http_response(article_html().encode()), {"WARC-Target-URI": "https://a.example/1"})
    http = http_response(article_html("B").encode())
    last = warc_record(http, {"WARC-Target-URI": "https://b.example/2"})
    at = last.index(cut) + (4 if cut.startswith(b"\r") else 0)
    data = gzip.compress(page) + _gzip_cut(last, at) if compress else page + last[:at]
    file = "crawl.warc.gz" if compress else "crawl.warc"
    (tmp_path / file).write_bytes(data)
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == [f"{file}:1"]
    where, message = str(tmp_path / name.format(".gz" if compress else "")), message.format(len(http))
    assert [(e["source"], e["severity"], e["error"]) for e in run.errors] == [(where, severity, message)]


@pytest.mark.parametrize("tail", [b"\r\n", b"\r\n\r\n\r\n", b"\n\n"])
@pytest.mark.parametrize("how", ["plain", "after the last member", "a member of their own"])
def test_blank_lines_after_the_last_warc_record_are_no_record(tmp_path: Path, tail: bytes, how: str) -> None:
    """After the last member of a .warc.gz, warcio read them as a record without headers: an error, "corrupt WARC
    record after record 2: no valid Content-Length header"."""
    pages = [("https://a.example/1", article_html()), ("https://b.example/2", article_html("B"))]
    tail = gzip.compress(tail) if how == "a member of their own" else tail
    data = warc_bytes(pages, compress=how != "plain") + tail
    path = tmp_path / ("crawl.warc" if how == "plain" else "crawl.warc.gz")
    path.write_bytes(data)
    items = list(read_file(path, path.name, "text", 1 << 20))
    assert [(type(item).__name__, item.source.rsplit("/", 1)[-1]) for item in items] == [
        ("Document", f"{path.name}:1"), ("Document", f"{path.name}:2")]


def _record(kind: str, url: str, payload: bytes, compress: bool, content_type: str = "") -> bytes:
    """One WARC record of `kind` (a response with HTTP headers of `content_type`), as warcio writes it."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1") if content_type else None
    writer.write_record(writer.create_warc_record(url, kind, payload=io.BytesIO(payload), http_headers=http))
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "content_type", "end", "name", "message"), [
    ("metadata", "", -100, "crawl.warc", "truncated WARC metadata record after response record 1: the file ends 96"),
    ("response", "image/png", -100, "crawl.warc:2", "truncated WARC response record (read as no page): the file ends"),
    ("metadata", "", 10, "crawl.warc.gz", "truncated WARC file: its last 10 bytes after response record 1 hold no")])
def test_a_warc_file_cut_inside_a_last_record_that_is_no_page_says_so(tmp_path: Path, run_clean, kind: str,
                                                                       content_type: str, end: int, name: str,
                                                                       message: str) -> None:
    """Only a cut page was reported: a file cut inside a last request, metadata or image record passed as whole,
    and so did a .warc.gz cut before any of its last record decompresses."""
    compress = ".gz" in name
    page = warc_bytes([("https://a.example/1", article_html())], compress)
    last = _record(kind, "https://a.example/2", b"outlinks: https://a.example/3\n" * 40, compress, content_type)
    file = name.split(":")[0]
    (tmp_path / file).write_bytes(page + last[:end])
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == [f"{file}:1"]
    [warning] = run.errors
    assert warning["source"] == str(tmp_path / name) and warning["severity"] == "warning"
    assert warning["error"].startswith(message)


def _encoded_page(coding: str, body: bytes, chunked: bool = False) -> bytes:
    """A WARC response of `body` under `Content-Encoding: coding` (in one HTTP chunk when `chunked`)."""
    headers = f"Content-Encoding: {coding}\r\n".encode()
    if chunked:
        headers += b"Transfer-Encoding: chunked\r\n"
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    return warc_record(http_response(body, headers=headers), {"WARC-Target-URI": f"https://a.example/{coding}"})


def test_warc_bodies_in_each_http_content_coding_are_decoded(tmp_path: Path, run_clean, monkeypatch) -> None:
    """zstd was passed on compressed, as if it were the page; a body not in the coding its header names (stored
    decoded by the crawler) is read as it is, with a warning."""
    page = article_html().encode()
    raw_deflate = zlib.compressobj(wbits=-15)
    bodies = [("zstd", zstandard.ZstdCompressor().compress(page), False), ("gzip", gzip.compress(page), True),
              ("deflate", zlib.compress(page), False),
              ("deflate", raw_deflate.compress(page) + raw_deflate.flush(), False), ("gzip", page, False)]
    (tmp_path / "crawl.warc").write_bytes(b"".join(_encoded_page(*body) for body in bodies))
    monkeypatch.setitem(sys.modules, "brotli", None)  # not installed
    run = run_clean(tmp_path, dedup=False)
    assert all(BODY_PARAGRAPHS[0] in run.clean[f"crawl.warc:{n}"]["text"] for n in range(1, 6))
    assert [(e["source"].rsplit(":", 1)[-1], e["error"]) for e in run.errors] == [
        ("5", "HTTP Content-Encoding 'gzip', but the body is not gzip: read as it is")]


def test_a_warc_body_in_a_content_coding_not_read_is_an_error_naming_it(tmp_path: Path, run_clean,
                                                                        monkeypatch) -> None:
    page = article_html().encode()
    (tmp_path / "crawl.warc").write_bytes(_encoded_page("br", page) + _encoded_page("compress", page)
                                          + _encoded_page("gzip", gzip.compress(page)))
    monkeypatch.setitem(sys.modules, "brotli", None)
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == ["crawl.warc:3"]
    assert [(e["source"].rsplit(":", 1)[-1], e["error"]) for e in run.errors] == [
        ("1", "HTTP Content-Encoding 'br' is not supported (pip install brotli to read it)"),
        ("2", "HTTP Content-Encoding 'compress' is not supported")]


def test_a_warc_body_cut_inside_its_gzip_stream_says_so(tmp_path: Path, run_clean) -> None:
    """A gzip body cut short, with no WARC-Truncated header to say so, passed as the whole page."""
    packed = gzip.compress(article_html(extra="<p>" + "More of the story, sentence after sentence. " * 200 + "</p>")
                           .encode())
    (tmp_path / "crawl.warc").write_bytes(_encoded_page("gzip", packed[:len(packed) // 2])
                                          + _encoded_page("gzip", packed[:12]))
    run = run_clean(tmp_path, dedup=False)
    assert BODY_PARAGRAPHS[0] in run.clean["crawl.warc:1"]["text"]
    errors = sorted(run.errors, key=lambda e: e["source"])
    assert [(e["source"].rsplit(":", 1)[-1], e["severity"], e["error"].split(":")[0]) for e in errors] == [
        ("1", "warning", "truncated gzip stream in the HTTP body"), ("2", "error", "truncated gzip stream")]
    assert "the HTTP body ends before any of the page" in errors[1]["error"]


def test_a_brotli_body_is_decoded_when_brotli_is_installed(tmp_path: Path, run_clean, monkeypatch) -> None:
    """Through brotli's interface (`process`, `is_finished`), here a stand-in over zlib: brotli is no dependency."""

    class Decompressor:
        def __init__(self) -> None:
            self._inner = zlib.decompressobj()

        def process(self, data: bytes) -> bytes:
            return self._inner.decompress(data)

        def is_finished(self) -> bool:
            return self._inner.eof

    monkeypatch.setitem(sys.modules, "brotli", types.SimpleNamespace(Decompressor=Decompressor))
    (tmp_path / "crawl.warc").write_bytes(_encoded_page("br", zlib.compress(article_html().encode())))
    run = run_clean(tmp_path, dedup=False)
    assert BODY_PARAGRAPHS[0] in run.clean["crawl.warc:1"]["text"] and not run.errors


def test_truncated_html_gz_is_an_error(tmp_path: Path, run_clean) -> None:
    blob = gzip.compress(article_html().encode())
    (tmp_path / "cut.html.gz").write_bytes(blob[: len(blob) // 2])
    (tmp_path / "ok.html").write_text(article_html())
    run = run_clean(tmp_path, dedup=False)
    assert list(run.clean) == ["ok.html"]
    assert next(e for e in run.errors if "cut.html.gz" in e["source"])["error"] == "truncated gzip stream"


def test_cp1252_names_the_bytes_it_reads_as_the_detector_does() -> None:
    for text in ("Café owners “welcome” the plan –", "Pokémon…maître d’hôtel"):  # charset-normalizer: cp1250
        assert legacy_encoding(text.encode("cp1252")) == "cp1252"


def test_legacy_encoding_with_a_wrong_meta_charset(tmp_path: Path, run_clean) -> None:
    extra = "<p>At the café on the quay, the owner said the crêpes would be half price during the works.</p>"
    (tmp_path / "latin.html").write_bytes(article_html(charset="utf-8", extra=extra).encode("cp1252"))
    run = run_clean(tmp_path, dedup=False)
    assert "café on the quay" in run.clean["latin.html"]["text"] and "crêpes" in run.clean["latin.html"]["text"]


def test_page_without_article_is_dropped_with_a_reason(tmp_path: Path, run_clean) -> None:
    (tmp_path / "empty.html").write_text("<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
                                         "<script>x()</script><footer>© 2024 Harbour Times</footer></body></html>")
    run = run_clean(tmp_path, dedup=False)
    assert run.removed["empty.html"]["reason"] == "no-article"


def test_huge_and_deeply_nested_pages(tmp_path: Path, run_clean) -> None:
    (tmp_path / "huge.html").write_bytes(b"<html><body>" + b"<p>word word word.</p>" * 1_500_000 + b"</body></html>")
    (tmp_path / "nested.html").write_text("<html><body>" + "<div>" * 20000 + "<p>" + " ".join(BODY_PARAGRAPHS)
                                          + "</p>" + "</div>" * 20000 + "</body></html>")
    (tmp_path / "ok.html").write_text(article_html())
    start = time.perf_counter()
    run = run_clean(tmp_path, dedup=False)
    assert time.perf_counter() - start < 120
    assert "max-bytes" in next(e for e in run.errors if "huge.html" in e["source"])["error"]
    assert "ok.html" in run.clean
    assert "nested.html" in run.clean or run.removed["nested.html"]["reason"] == "no-article"


def test_markup_nested_past_max_depth_is_cut_before_parsing(tmp_path: Path, run_clean) -> None:
    """Parsers take time in proportion to the depth at every tag: a page nested 100,000 deep, with words at every
    level, took 750 s. Tags past `MAX_DEPTH` go before parsing, their words stay."""
    levels = extract.MAX_DEPTH * 5
    page = ("<html><body>" + "<div><b>level</b> words" * levels + "<p>" + " ".join(BODY_PARAGRAPHS) + "</p>"
            + "</div>" * levels + "</body></html>")
    cut, count = extract.cut_nesting(page)
    # the <div>, </div>, <b> and </b> of the levels between the outer MAX_DEPTH / 2 and the inner ones; their words kept
    assert count == 4 * (levels - extract.MAX_DEPTH + 1) and cut.count("<div>") == extract.MAX_DEPTH - 1
    assert cut.count("<b>level</b> words") == extract.MAX_DEPTH - 1 and cut.count("level") == levels
    assert extract.cut_nesting(cut) == (cut, 0)
    (tmp_path / "nested.html").write_text(page)
    run = run_clean(tmp_path, dedup=False)
    assert "nested.html" in run.clean or run.removed["nested.html"]["reason"] == "no-article"
    assert [e["error"] for e in run.errors] == [
        f"markup nested deeper than {extract.MAX_DEPTH} levels: {count:,} tags of the wrappers between its outer and "
        "inner levels and of the inline elements they hold cut (their text kept)"]


def test_nesting_is_counted_on_tags_that_nest() -> None:
    """Void and self-closing tags, end tags a parser infers (p, li, td), comments and scripts do not nest."""
    many = extract.MAX_DEPTH + 10
    page = ("<html><body><div><svg>" + '<path d="M0 0"/>' * many + "</svg>" + "<p>para<br>" * many
            + "<ul>" + "<li>item" * many + "</ul>" + "<!-- <div> -->" * many
            + "<script>" + "var s = '<div>';" * many + "</script><img src=a.png>" * many + "</div></body></html>")
    assert extract.cut_nesting(page) == (page, 0)


def test_an_article_nested_past_what_trafilaturas_parser_holds_is_found() -> None:
    """libxml2 stops at 256 levels and drops the rest of the page: trafilatura kept the intro above an article nested
    300 deep, and missing the article did not bring the fallback in. What a parser nests deeper than the markup
    shows (the <tbody> it adds to a table) is cut from the pruned page; a block's cut tags stay line breaks."""
    intro = "".join(f"<p>Intro {n}: the weather in the town was mild for the time of year.</p>" for n in range(5))
    article = "".join(f"<p>{p}</p>" for p in BODY_PARAGRAPHS)
    for nested in ("<div>" * 300 + article + "</div>" * 300, "<table><tr><td>x" * 100 + article):
        text, metadata, extractor = extract.extract(f"<html><body>{intro}{nested}</body></html>")
        assert extractor == "trafilatura" and metadata["nesting_cut"] > 0
        assert all(p in text for p in BODY_PARAGRAPHS) and "storm.Engineers" not in text


def _deep_page(level: str, levels: int) -> str:
    """A page `levels` deep, each level a <div> holding `level` and the next, the article at the bottom."""
    article = "".join(f"<p>{p}</p>" for p in BODY_PARAGRAPHS)
    return f"<html><body>{f'<div>{level}' * levels}{article}{'</div>' * levels}</body></html>"


@pytest.mark.parametrize("inline", ["<b>level</b>", '<a href="/level">level</a>'])
def test_a_page_deep_with_an_inline_tag_at_every_level_is_extracted(inline: str) -> None:
    """The nesting cut gathered the wrappers' content in one element, an inline element from each level: trafilatura
    took time in the square of its children, or in the links times their ancestors, and a page 100,000 deep ran past
    the time limit into the fallback (this one, 30,000 deep, took a minute). Its inline tags go with the wrappers."""
    levels = 30_000
    page = _deep_page(f"{inline} words", levels)
    cut, _count = extract.cut_nesting(page)
    assert cut.count(inline) == extract.MAX_DEPTH - 1 and cut.count(" words") == levels  # the kept levels'
    text, metadata, extractor = extract.extract(page, timeout=30)  # a few seconds
    assert extractor == "trafilatura" and all(p in text for p in BODY_PARAGRAPHS), metadata


def test_a_page_deep_with_a_paragraph_at_every_level_is_extracted() -> None:
    """trafilatura's fallbacks (readability, justext) take time in the square of an element's children and in the depth
    times the size of the page: on a page whose nesting was cut (this one, 15,000 deep, took 90 s) they are not run."""
    text, metadata, extractor = extract.extract(_deep_page("<p>level</p> words", 15_000), timeout=30)  # a few seconds
    assert extractor == "trafilatura" and all(p in text for p in BODY_PARAGRAPHS), metadata


@pytest.mark.parametrize("unclosed", ["<font face=Verdana size=2>", "<div class=post>", "<p><font color=red>"])
def test_unclosed_tags_of_an_old_forum_page_cut_nothing(unclosed: str) -> None:
    """They were counted as open to the end of the page: past 1,024 of them, every tag after (the page's tables,
    lists, headings) was cut. A parser closes them with the cell, block or list item holding them."""
    posts = "".join(f"<tr><td>{unclosed}Post {n}: I had this problem with my router.</td></tr>" for n in range(2000))
    items = "".join(f"<li>{unclosed}Reply {n}</li>" for n in range(2000))
    page = f"<html><body><div id=forum><table>{posts}</table><ul>{items}</ul><h2>Related</h2></div></body></html>"
    assert extract.cut_nesting(page) == (page, 0)
    assert extract.cut_formatting(page) == (page, 0)  # the same unclosed <font> counts at most 3 times


def _nodes(markup: str) -> int:
    return sum(1 for _node in extract.LexborHTMLParser(markup).root.traverse(include_text=False))


@pytest.mark.parametrize("shape", ["<p><b class=c{}>Word {} ", "<li><em id=e{}>Word {} ",
                                   "<div><font color=#{:06x}>Word {} </div>"])
def test_formatting_elements_left_open_block_after_block_are_cut_before_parsing(tmp_path: Path, run_clean,
                                                                                shape: str) -> None:
    """A parser reopens the formatting elements (<b>, <em>, <font>, <a>, ...) left open in each new block: 6,000
    paragraphs each opening one more <b> of its own attributes (118 KB) made lexbor build a tree of 18 million elements,
    over 4 GB, in C code the time limit does not stop. Their tags go before parsing, their words stay."""
    page = "<html><body>" + "".join(shape.format(n, n) for n in range(6000)) + "".join(
        f"<p>{p}</p>" for p in BODY_PARAGRAPHS) + "</body></html>"
    cut, count = extract.cut_formatting(page)
    assert count == 6000 and all(f"Word {n} " in cut for n in range(6000))
    assert extract.cut_formatting(cut) == (cut, 0) and extract.cut_nesting(cut) == (cut, 0)
    assert _nodes(cut) < 6100  # a block per word: the tree of the page as cut holds no reopened element
    text, metadata, _extractor = extract.extract(page, timeout=30)
    assert metadata["formatting_cut"] == count and BODY_PARAGRAPHS[1] in text
    (tmp_path / "open.html").write_text(page)
    run = run_clean(tmp_path, dedup=False)
    assert "open.html" in run.clean
    assert [e["error"] for e in run.errors] == [
        f"formatting elements (<b>, <font>, <a>, ...) left open past what a parser reopens in each block "
        f"({extract.MAX_FORMATTING:,} at once, {extract.MAX_REOPENED:,} in all): {count:,} of their tags cut (their "
        "text kept)"]


def test_formatting_elements_left_open_past_the_limit_are_cut_with_no_block_closing_them() -> None:
    """Without a block to reopen them in, thousands of them still took lexbor time in their square, the list walked at
    each one (40,000 took 11 s): past `MAX_FORMATTING` open at once, all their tags go."""
    page = "<html><body>" + "".join(f"<b class=c{n}>Word {n} " for n in range(extract.MAX_FORMATTING * 5))
    cut, count = extract.cut_formatting(page)
    assert count == extract.MAX_FORMATTING * 5 and "<b " not in cut and cut.count("Word") == count


def test_closed_formatting_elements_and_a_few_left_open_are_untouched() -> None:
    """Closed, each with attributes of its own, formatting elements never stay open past their block; a page's few
    unclosed ones (a <font> around the page, a link left open) are far from the limits."""
    bold = "".join(f"<p><b class=c{n}>Word {n}</b> and <a href=/{n}><i id=i{n}>more</i></a> words.</p>"
                   for n in range(20_000))
    wrapped = "<font face=Arial><a href=/home>" + "".join(f"<p><b>Word</b> {n}<p><a href=/{n}>more" for n in range(500))
    for page in (f"<html><body>{bold}</body></html>", f"<html><body>{wrapped}</body></html>"):
        assert extract.cut_formatting(page) == (page, 0)


@pytest.mark.skipif(not (BENCHMARK / "html").is_dir(), reason="../shared/data/extraction/scrapinghub/html is absent")
def test_the_benchmark_pages_leave_few_formatting_elements_open() -> None:
    """The limits of `cut_formatting` are far past what the 181 scrapinghub pages reach: at most 3 open at once and
    1,337 reopened in all."""
    most = opened = 0
    for path in sorted((BENCHMARK / "html").glob("*.html.gz")):
        page = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        counted = extract._Formatting([match for match in extract._TAGS.finditer(page) if match.group(2)])
        most, opened = max(most, counted.most), max(opened, counted.opened)
        assert extract.cut_formatting(page) == (page, 0), path.name
    assert most * 10 < extract.MAX_FORMATTING and opened * 10 < extract.MAX_REOPENED, (most, opened)


def test_extraction_timeout_falls_back_to_visible_text(monkeypatch) -> None:
    def slow(*_args, **_kwargs):
        time.sleep(5)

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", slow)
    start = time.perf_counter()
    text, metadata, extractor = extract.extract(article_html(), timeout=0.2)
    assert time.perf_counter() - start < 2
    assert extractor == "selectolax" and "longer than" in metadata["extraction_note"]
    assert BODY_PARAGRAPHS[1] in text and "Sport" not in text


def test_extraction_timeout_fires_through_trafilatura_catching_exception(monkeypatch) -> None:
    """trafilatura wraps its JSON-LD step in `except Exception`: a timeout raised there was logged and swallowed."""
    def slow(tree, metadata):
        time.sleep(5)
        return metadata

    monkeypatch.setattr(trafilatura.metadata, "extract_meta_json", slow)
    start = time.perf_counter()
    _text, metadata, extractor = extract.extract(article_html(), timeout=0.2)
    assert time.perf_counter() - start < 2
    assert extractor == "selectolax" and "longer than" in metadata["extraction_note"]


@pytest.mark.parametrize("step", ["cut_nesting", "LexborHTMLParser"])
def test_the_time_limit_covers_the_nesting_cut_and_the_parse(monkeypatch, step: str) -> None:
    """The limit started after both: a page whose parse took minutes (markup a parser nests in the square of its tags)
    had them all. Stopped before its parse is done, a page's text is its markup's without tags, scripts or styles."""
    slow = getattr(extract, step)
    monkeypatch.setattr(extract, step, lambda html: (time.sleep(5), slow(html))[1])
    page = article_html(extra=_UNSEEN + "<p>Fish &amp; chips<!-- a <b>comment</b> --></p>")
    text, metadata, extractor = extract.extract(page, timeout=0.2)
    assert extractor == "selectolax" and metadata["extraction_note"] == "extraction took longer than 0.2 s"
    assert text.splitlines() == ["Home", "News", "Sport", "Harbour bridge to be rebuilt", *BODY_PARAGRAPHS,
                                 "Fish & chips", "Ten cheap flights", "Celebrity news",
                                 "Copyright 2024 Harbour Times. All rights reserved."]


def test_an_empty_page_says_trafilatura_found_nothing() -> None:
    """Only a frameset page without <noframes> goes without a note: the time-limit rework had left out a blank page."""
    assert extract.extract(" ") == ("", {"extraction_note": "trafilatura found no main text"}, "selectolax")


_MENU = "<ul>" + "".join(f'<li><a href="/{w}">{w}</a></li>' for w in
                         ["World", "Business", "Sport", "Culture", "Travel", "Weather", "Video", "Opinion"]) + "</ul>"
_UNSEEN = '<script type="application/ld+json">{"@type": "NewsArticle"}</script><style>.lead{color:red}</style>'


@pytest.mark.parametrize("how", ["nothing found", "timeout in the pre-pass"])
def test_the_fallback_text_has_no_script_or_css(monkeypatch, how: str) -> None:
    """The pre-pass keeps JSON-LD for trafilatura, and one cut short by the time limit keeps every script and style:
    either reached the fallback text."""
    if how == "nothing found":
        monkeypatch.setattr(extract.trafilatura, "bare_extraction", lambda *_args, **_kwargs: None)
    else:
        prune = extract.prune
        monkeypatch.setattr(extract, "prune", lambda tree: (time.sleep(5), prune(tree)))
    text, _metadata, extractor = extract.extract(article_html(extra=_UNSEEN + "<script>var x = 1;</script>"),
                                                 timeout=0.2)
    assert extractor == "selectolax" and BODY_PARAGRAPHS[2] in text
    assert not any(code in text for code in ("NewsArticle", "color:red", "var x"))


def test_the_fallback_text_is_cleaned_as_a_flattened_page(tmp_path: Path, run_clean, monkeypatch) -> None:
    """It went on as extracted HTML, which the line classifier and the rules for flattened text leave alone: a
    page's menus stayed in the output."""
    prune = extract.prune
    monkeypatch.setattr(extract, "prune", lambda tree: (time.sleep(5), prune(tree)))
    (tmp_path / "page.html").write_text(article_html(extra=_UNSEEN).replace("<nav>", "<nav>" + _MENU))
    run = run_clean(tmp_path, dedup=False, html_timeout=0.2)
    text = run.clean["page.html"]["text"]
    assert all(p in text for p in BODY_PARAGRAPHS) and not {"Culture", "Travel", "Opinion"} & set(text.split())
    assert run.clean["page.html"]["metadata"]["extractor"] == "selectolax"
    assert {span["rule"] for span in run.removed["page.html"]["spans"]} >= {"line-classifier"}


@pytest.mark.parametrize("how", ["nothing found", "timeout in the pre-pass"])
def test_the_fallback_takes_the_pages_title(tmp_path: Path, run_clean, monkeypatch, how: str) -> None:
    """The title rule took the fallback text's first line instead: a timed-out page was titled "Business"."""
    if how == "nothing found":
        monkeypatch.setattr(extract.trafilatura, "bare_extraction", lambda *_args, **_kwargs: None)
    else:
        prune = extract.prune
        monkeypatch.setattr(extract, "prune", lambda tree: (time.sleep(5), prune(tree)))
    page = article_html().replace("<nav>", "<nav>" + _MENU)
    (tmp_path / "page.html").write_text(page)
    og = '<meta property="og:title" content="Harbour bridge: work starts">'
    (tmp_path / "og.html").write_text(page.replace("<title>", f"{og}<title>Harbour Times | ").replace("<h1>", "<h2>"))
    run = run_clean(tmp_path, dedup=False, html_timeout=0.2)
    assert run.clean["page.html"]["metadata"]["extractor"] == "selectolax"
    assert run.clean["page.html"]["title"] == "Harbour bridge to be rebuilt"
    assert run.clean["og.html"]["title"] == "Harbour bridge: work starts"


@pytest.mark.parametrize(("notice", "kept"), [("For your personal, non-commercial use only.", "43 characters"),
                                              ("©", "1 character")])  # was "1 characters"
def test_a_short_precise_extraction_gives_way_to_a_far_longer_default_one(monkeypatch, notice: str, kept: str) -> None:
    real = extract.trafilatura.bare_extraction

    def precise_keeps_a_notice(html, **kwargs):
        if kwargs["favor_precision"]:
            return types.SimpleNamespace(text=notice)
        return real(html, **kwargs)

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", precise_keeps_a_notice)
    text, metadata, extractor = extract.extract(article_html())
    assert extractor == "trafilatura" and BODY_PARAGRAPHS[1] in text and notice not in text
    assert metadata["extraction_note"] == f"trafilatura's precise mode kept {kept}; its default mode was used"


def test_prune_keeps_a_page_wrapped_in_a_form() -> None:
    html = "<html><body><form>" + "".join(f"<p>{p}</p>" for p in BODY_PARAGRAPHS) + "</form></body></html>"
    assert BODY_PARAGRAPHS[2] in extract.extract(html)[0]


def test_line_classifier_removes_menus_from_flattened_text(tmp_path: Path, run_clean) -> None:
    # The rules take the legal links now ("Terms of use": nav-phrase): two more menu words keep the page at the
    # MIN_UNITS lines the classifier needs after the rules.
    menu = ["Home", "World", "Politics", "Business", "Sport", "Weather", "Culture", "Travel", "Sign in", "Subscribe"]
    footer = ["About us", "Contact", "Privacy policy", "Terms of use", "© 2024 Harbour Times"]
    (tmp_path / "page.txt").write_text("\n".join(menu + BODY_PARAGRAPHS + footer) + "\n")
    run = run_clean(tmp_path, dedup=False)
    text = run.clean["page.txt"]["text"]
    assert all(p in text for p in BODY_PARAGRAPHS)
    rules = {s["text"]: s["rule"] for s in run.removed["page.txt"]["spans"]}
    assert rules["Politics"] == rules["Travel"] == RULE_ID and rules["Terms of use"] == "nav-phrase"


def test_line_classifier_leaves_extracted_articles_to_the_rules(tmp_path: Path, run_clean) -> None:
    # An article an extractor chose: paragraphs and list items, no menu, no page on one line. The model,
    # fitted on whole pages, is not asked about it; the same text inside a page's menus is classified.
    items = ["Cheaper bus fares for everyone under twenty five", "A new library in the north of the city",
             "Longer opening hours at the three swimming pools"]
    more = ["The bridge carried about twelve thousand cars a day before it was closed to traffic last winter.",
            "Shops on both banks say they have lost a third of their trade since the detour was put in place.",
            "The region will pay for most of the work, and the city will borrow the rest over twenty years.",
            "Work is due to start in the spring, once the contracts have been signed by the council."]
    article = BODY_PARAGRAPHS + items + more
    (tmp_path / "article.txt").write_text("\n".join(article) + "\n")
    menu = ["Home", "World", "Politics", "Business", "Sport", "Weather", "Sign in", "Subscribe"]
    (tmp_path / "page.txt").write_text("\n".join(menu + article + ["About us", "Contact"]) + "\n")
    pieces = lines.candidates([(line, None) for line in article])
    assert len(pieces) >= lines.MIN_UNITS and not lines.looks_like_page([(line, None) for line in article], pieces)
    one_line = [(" ".join(menu + article), None)]
    assert lines.looks_like_page(one_line, lines.candidates(one_line))  # a page flattened with spaces
    one_article = [(" ".join(article), None)]  # what several extractors write: no menu, no title bar
    assert not lines.looks_like_page(one_article, lines.candidates(one_article))
    run = run_clean(tmp_path, dedup=False, boilerplate=False)
    assert all(line in run.clean["article.txt"]["text"] for line in article)
    assert not [s for s in run.removed.get("article.txt", {}).get("spans", []) if s["rule"] == RULE_ID]
    assert {s["text"] for s in run.removed["page.txt"]["spans"] if s["rule"] == RULE_ID} >= {"Politics"}


def test_line_classifier_keeps_the_seed_bodies(seeds_run) -> None:
    removed = {s["text"] for r in seeds_run.removed.values() for s in r["spans"] if s["rule"] == RULE_ID}
    for paragraphs in BODY.values():
        for body in paragraphs:
            assert not any(body in line for line in removed), body
    for path in SEEDS.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.split()) >= 12 and line.rstrip().endswith((".", "”", "’")):
                assert line.strip() not in removed, line


def test_a_page_with_no_line_over_one_half_gets_the_block_of_its_likeliest_lines() -> None:
    first = np.zeros((6, 2))
    probs = np.array([0.05, 0.1, 0.3, 0.28, 0.02, 0.01])  # no line reaches 1/2: no main block at 1/2
    words = np.full(6, 10.0)
    assert lines.main_block(probs, words) == (0, 0)
    in_block = lines.second_features(first, probs, words)[:, first.shape[1] + 1 + len(lines._WINDOWS)]
    assert in_block.tolist() == [0, 0, 1, 1, 0, 0]  # lines over BLOCK_FALLBACK x the page's highest probability


def test_line_classifier_finds_a_short_article_on_a_page_of_menus() -> None:
    # The first layer used to leave every line of such a page under 1/2, and with no main block the trees dropped
    # the article with the menus; later refits kept or dropped it by chance, until synthetic pages of this shape
    # joined the training pages (`scripts/train_lines.py`, `menu_pages`). The fallback block has its own test above.
    sections = ["News", "Metro", "Weather", "Crime", "Courts", "Nation", "World", "Opinion", "Letters", "Business",
                "Energy", "Sports", "Golf", "Music", "Movies", "Food", "Bars", "Travel", "Comics", "Obituaries",
                "Jobs", "Autos", "Real Estate", "Rentals", "Classifieds", "College", "Browns", "Indians",
                "Cavaliers", "Entertainment"]
    menu = [line for name in sections
            for line in (f"{name} › ‹", "Back To Main Menu", f"{name} news", f"More {name}", f"{name} blogs")]
    page = menu + BODY_PARAGRAPHS + ["Disclaimer", "Ad Choices", "© 2019 Harbour Times. All rights reserved."]
    keep = LineModel.load().keep(page)
    # The line just above an article is where its headline or section label sits: the trees score this one near
    # the threshold (0.45 under lines-gbt-8 and -9), so whether it is kept is a refit's chance; every other menu
    # line goes.
    assert not any(keep[:len(menu) - 1]) and sum(keep[len(menu):len(menu) + len(BODY_PARAGRAPHS)]) >= 2


def test_line_classifier_gives_back_a_list_item_caption_shape_took_on_a_whole_page(tmp_path: Path,
                                                                                  run_clean) -> None:
    item = "The council will publish the full list of the bridge contracts and their costs on its website"
    menu = ["Home", "World", "Politics", "Business", "Sport", "Weather", "Sign in", "Subscribe", "Opinion"]
    page = [*menu, *BODY_PARAGRAPHS[:2], "The plans include:", item, BODY_PARAGRAPHS[2], "About us", "Contact"]
    (tmp_path / "page.txt").write_text("\n".join(page) + "\n")
    junk_only = run_clean(tmp_path, dedup=False, boilerplate=False, lines=False)
    assert {"rule": "caption-shape", "text": item}.items() <= next(
        s for s in junk_only.removed["page.txt"]["spans"] if s["text"] == item).items()
    run = run_clean(tmp_path, dedup=False, boilerplate=False)
    assert item in run.clean["page.txt"]["text"]  # the trees score it over RESCUE["caption-shape"]
    assert not [s for s in run.removed["page.txt"]["spans"] if s["text"] == item]


class _KeepEveryUnit(LineModel):
    """The line model's interface, keeping every unit: isolates what the stage does around the model."""

    def __init__(self) -> None:
        super().__init__(None, None)  # type: ignore[arg-type]

    def keep(self, lines: list[str], soft: list[int] | None = None) -> list[bool]:
        return [True] * len(lines)


def test_sentence_rules_take_junk_sentences_from_a_page_flattened_onto_one_line() -> None:
    comment = "Notify me via e-mail if anyone answers my comment."
    bar = "The Harbour Gazette Local News And Views From The Waterfront"  # a title bar: a page, not an article
    page = " ".join([bar, *BODY_PARAGRAPHS, *BODY_PARAGRAPHS[::-1], comment, *BODY_PARAGRAPHS])  # all on one line
    rules, _ = load_rules([], True)
    junk = RemoveJunk(rules)
    outputs = {}
    for with_rules in (False, True):
        doc = Document(id="page", source="page.txt", raw=page, format="text")
        for stage in (Decode(), junk, lines.ClassifyLines(_KeepEveryUnit(), junk if with_rules else None)):
            stage.process(doc)
        outputs[with_rules] = doc
    assert comment in outputs[False].text
    assert comment not in outputs[True].text and BODY_PARAGRAPHS[1] in outputs[True].text
    assert [(s.rule, s.text, s.line) for s in outputs[True].removed] == [("comment-form", comment, 1)]
    assert not [rule for rule in lines.ClassifyLines(_KeepEveryUnit(), junk).sentence_rules(outputs[True])
                if rule.id in lines.SOFT_RULES or rule.kind not in ("line", "phrases") or rule.field == "title"]
    stages = build_stages(Settings(), rules)  # `cleaner clean` gives the line stage the junk stage's rules
    classify = next(stage for stage in stages if isinstance(stage, lines.ClassifyLines))
    assert classify.junk is next(stage for stage in stages if isinstance(stage, RemoveJunk))


@pytest.mark.parametrize(("line", "separated"), [
    ("Home | News | Sport", True), ("Home |News", True), ("Home| News", True), ("Home • News", True),
    ("Home ·News", True), ("World › Europe", True), ("Sport / Football", True), ("Paris - Rome", True),
    ("Home » News", True), ("a > b", True), ("Paris-Rome", False), ("and/or", False), ("2 >3", False),
    ("|", False), ("well-known -fact", False), ("", False),
])
def test_menu_separators(line: str, separated: bool) -> None:
    """A separator between spaces, or a bar or bullet beside one (the pattern looks behind for the space)."""
    assert bool(lines._SEPARATORS.search(line)) is separated


def test_overlong_lines_are_split_into_sentences() -> None:
    line = " ".join(BODY_PARAGRAPHS * 3)
    pieces = units(["Menu", line])
    assert pieces[0] == (0, "Menu") and len(pieces) == 10 and pieces[1] == (1, BODY_PARAGRAPHS[0])


def test_teasers_fused_into_an_overlong_line_end_at_their_ellipsis() -> None:
    teasers = ["Sometimes people ask me why this location became […]", "I want to tell you about a change [...]",
               "In September, to celebrate the number of players …"]
    pieces = [text for _, text in units([" ".join(BODY_PARAGRAPHS * 2 + teasers)])]
    assert pieces[-3:] == teasers and all(piece.endswith(lines._TRUNCATED) for piece in pieces[-3:])


def test_sentences_cut_from_an_overlong_line_keep_their_closing_marks() -> None:
    sentences = ['He said "Yes, we will." Then he left (quietly.)', "The next day came.", "彼は「行く。」", "次の日。"]
    pieces = [text for _, text in units([" ".join(sentences * 12)])]
    assert pieces[:5] == ['He said "Yes, we will."', "Then he left (quietly.)", *sentences[1:]]


def test_shipped_model_loads_and_scores() -> None:
    model = LineModel.load()
    probs = model.probabilities(["Home", "Sport"] + BODY_PARAGRAPHS)
    assert probs[-1] > model.threshold > probs[0]


@pytest.mark.skipif(lines.numba is None, reason="numba absent")
def test_compiled_and_numpy_trees_agree() -> None:
    model = LineModel.load()
    texts = [path.read_text(encoding="utf-8").splitlines() for path in sorted(SEEDS.glob("*.txt"))]
    for text in texts + [["Home", "Sport", "Weather"] + BODY_PARAGRAPHS]:
        first, words = lines.features(text)
        x = lines.second_features(first, model.first.predict(first), words)
        fast, plain = model.second.predict(x, compiled=True), model.second.predict(x, compiled=False)
        assert np.array_equal(fast, plain) and len(fast) == len(text)


HARBOUR_FOOTER = "Harbour Times is published by the Harbour Media Group in Portsmouth"
HARBOUR_TOPICS = ("ferry", "bridge", "school", "library", "market", "museum")


def _harbour_folder(folder: Path, header: str = "") -> None:
    """Six short articles of one site, each with the site's footer under it (and `header` over it)."""
    for i, topic in enumerate(HARBOUR_TOPICS):
        body = (f"The {topic} committee met on Monday for the {i + 1}th time this year and agreed a new budget "
                f"for the {topic}, the chair said after a long debate about costs and the timetable.")
        (folder / f"{topic}.txt").write_text(f"{header}{body}\n{HARBOUR_FOOTER}\n")


def test_corpus_boilerplate_is_removed_across_a_folder(tmp_path: Path, run_clean) -> None:
    footer, topics = HARBOUR_FOOTER, HARBOUR_TOPICS
    _harbour_folder(tmp_path)
    run = run_clean(tmp_path, dedup=False, lines=False)
    for topic in topics:
        assert footer not in run.clean[f"{topic}.txt"]["text"]
        assert f"agreed a new budget for the {topic}" in run.clean[f"{topic}.txt"]["text"]
        assert [s["rule"] for s in run.removed[f"{topic}.txt"]["spans"]] == ["corpus-boilerplate"]


def test_corpus_boilerplate_spans_number_the_lines_the_rules_read(tmp_path: Path, run_clean, capsys) -> None:
    """README: a span's `line` counts the non-blank lines of the text the rules read. The boilerplate stage numbered
    its lines among the paragraphs the rules had left, so a footer under a share row removed by a rule was given
    the article's line number (2, not 3), and `explain OUTDIR` listed it beside the wrong line."""
    footer, topics = HARBOUR_FOOTER, HARBOUR_TOPICS
    _harbour_folder(tmp_path, header="Share on Facebook\n")
    run = run_clean(tmp_path, dedup=False, lines=False)
    for topic in topics:
        spans = [(s["rule"], s["line"], s["text"]) for s in run.removed[f"{topic}.txt"]["spans"]]
        assert spans == [("nav-phrase", 1, "Share on Facebook"), ("corpus-boilerplate", 3, footer)]
    doc = Document(id="a", source="a", text="Kept line\n\nRecurring line")
    doc.annotated = [("Share on Facebook", "nav-phrase"), ("Kept line", None), ("Recurring line", None)]
    doc.line_keys = boilerplate.line_keys(doc)
    boilerplate.RemoveBoilerplate(Settings()).clean(doc, {doc.line_keys[1]})
    assert doc.annotated[2] == ("Recurring line", "corpus-boilerplate") and doc.text == "Kept line"
    assert doc.marked_lines()[1:] == [("Kept line", None), ("Recurring line", "corpus-boilerplate")]


def test_corpus_boilerplate_threshold(tmp_path: Path, run_clean) -> None:
    for i in range(6):
        (tmp_path / f"{i}.txt").write_text(f"Story number {i} is about the harbour and its {i} boats.\nShared line\n")
    run = run_clean(tmp_path, dedup=False, lines=False, boilerplate_min_docs=7)
    assert all("Shared line" in r["text"] for r in run.clean.values())



def test_corpus_boilerplate_groups_by_folder_when_folder_names_hold_a_colon(tmp_path: Path, run_clean) -> None:
    """Folders named by time ("2024-05-01T12:00") were cut at their first colon as if it began a JSONL line
    number: every such folder fell into one group, and a line in three documents of each was "in six"."""
    footer = "Harbour Times is published by the Harbour Media Group in Portsmouth"
    topics = ["ferry", "bridge", "school", "library", "market", "museum"]
    for i, topic in enumerate(topics):
        folder = tmp_path / f"2024-05-0{i % 2 + 1}T12:00"
        folder.mkdir(exist_ok=True)
        body = (f"The {topic} committee met on Monday for the {i + 1}th time this year and agreed a new budget "
                f"for the {topic}, the chair said after a long debate about costs and the timetable.")
        (folder / f"{topic}.txt").write_text(f"{body}\n{footer}\n")
    run = run_clean(tmp_path, dedup=False, lines=False, boilerplate_min_docs=4)
    assert len(run.clean) == 6 and all(footer in record["text"] for record in run.clean.values())
    assert boilerplate.group_of(Document(id="2024-05-01T12:00/recs.jsonl:7", source="")) == "2024-05-01T12:00"


def _letters(number: int) -> str:
    """A word for a number without digits (the boilerplate fingerprint folds digits)."""
    return "".join("abcdefghij"[int(d)] for d in str(number))


def test_corpus_boilerplate_counts_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = boilerplate.LineCounter(min_docs=3, max_entries=40)
    counter.add(range(100))
    counter.add(range(100, 200), [2] * 100)
    counter.add(range(200, 230), [3] * 30)
    assert len(counter) == 30 and counter.recurring() == set(range(200, 230))  # lines already in 3 documents stay
    counter.add([200, 5, 6])
    assert len(counter) == 32 and dict(zip(counter.keys.tolist(), counter.counts.tolist(), strict=True)) == {
        5: 1, 6: 1, 200: 4, **dict.fromkeys(range(201, 230), 3)}  # merged and sorted

    monkeypatch.setattr(boilerplate, "BUFFER", 64)  # many merges, each moving the entries in chunks of 8
    monkeypatch.setattr(boilerplate, "CHUNK", 8)
    rng = random.Random(5)
    counter, expected = boilerplate.LineCounter(min_docs=3, max_entries=10**6), Counter()
    for _ in range(400):
        keys = {rng.randrange(2**64) if rng.random() < 0.5 else rng.randrange(300) for _ in range(rng.randrange(1, 9))}
        counter.add(keys)
        expected.update(keys)
    assert len(counter) == len(expected)
    assert dict(zip(counter.keys.tolist(), counter.counts.tolist(), strict=True)) == expected
    assert counter.keys.tolist() == sorted(expected)

    monkeypatch.setattr(boilerplate, "MAX_ENTRIES", 40)
    monkeypatch.setattr(boilerplate, "BUFFER", 16)  # merge (and forget) as the documents stream in
    stage = boilerplate.RemoveBoilerplate(Settings(boilerplate_min_docs=3))
    footer = "Harbour Times is published by the Harbour Media Group in Portsmouth"
    docs = [Document(id=f"news/{i}.txt", source=f"news/{i}.txt",
                     text="\n\n".join([f"Unique line {_letters(i)} {_letters(j)} about the harbour." for j in range(12)]
                                    + [footer]))
            for i in range(30)]
    out = list(stage.run(docs))
    assert all(footer not in doc.text and "Unique line" in doc.text for doc in out)


def test_overlong_lines_in_scripts_without_latin_capitals_are_split() -> None:
    line = " ".join(["Это первое предложение.", "Второе предложение здесь.", "엘제이의 리벤지인가.",
                     "日本語の文です。次の文です。"] * 12)
    pieces = [text for _, text in units([line])]
    assert pieces[:5] == ["Это первое предложение.", "Второе предложение здесь.", "엘제이의 리벤지인가.",
                          "日本語の文です。", "次の文です。"]


def test_eval_extraction_runs_on_a_users_own_benchmark_without_dirty_texts(tmp_path: Path, capsys) -> None:
    """A benchmark laid out as scrapinghub's but with only pages and gold bodies (no dirty/, no outputs/) is
    scored with the shipped line model on the text nodes flattened here, and the HTML path as usual."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import eval_extraction

    page = (FIXTURES / "formats" / "article.html").read_bytes()
    body = orjson.loads(next(line for line in (ROOT / "fixtures" / "expected" / "clean.jsonl").read_bytes()
                             .splitlines() if b'"formats/article.html"' in line))["text"]
    (tmp_path / "html").mkdir()
    for key in ("a", "b"):
        (tmp_path / "html" / f"{key}.html.gz").write_bytes(gzip.compress(page))
    (tmp_path / "ground-truth.json").write_text(orjson.dumps({
        key: {"articleBody": body, "url": f"https://{key}.example/story"} for key in ("a", "b")}).decode())
    assert eval_extraction.main(["--data", str(tmp_path), "--skip-pipeline"]) == 0
    rows = {line[:70].strip(): line[70:].split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert float(rows["our HTML path (html/*.html.gz)"][2]) == 1.0
    assert f"our dirty-text path, text nodes (shipped model {lines.VERSION})" in rows


def test_text_field_html_reads_the_field_as_a_page(tmp_path: Path, run_clean) -> None:
    """`--text-field html` (records whose `text` is a summary) cleaned the page as text: tags and all."""
    (tmp_path / "pages.jsonl").write_bytes(orjson.dumps({"html": article_html(), "text": "A summary."}) + b"\n")
    run = run_clean(tmp_path, dedup=False, text_field="html")
    page = run.clean["pages.jsonl:1"]
    assert page["title"] == "Harbour bridge to be rebuilt" and "<" not in page["text"]
    assert all(p in page["text"] for p in BODY_PARAGRAPHS) and page["metadata"]["text"] == "A summary."


TECH_INTRO = ("Flaky network calls were failing one build in five, so we wrapped them in a retry helper with "
              "exponential backoff.")
TECH_CODE = '''import random
import time
import logging
from functools import wraps

log = logging.getLogger(__name__)


def retry(times=5, base=0.5, cap=30.0, exceptions=(OSError,)):
    """Call the function again after a failure, waiting longer each time."""
    def decorate(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            delay = base
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions as err:
                    if attempt == times:
                        raise
                    sleep = min(cap, delay) * random.uniform(0.5, 1.5)
                    log.warning("attempt %d failed: %s; retrying in %.1fs", attempt, err, sleep)
                    time.sleep(sleep)
                    delay *= 2
        return wrapper
    return decorate


@retry(times=3)
def fetch(url):
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


if __name__ == "__main__":
    data = fetch("https://example.com/artifacts/build.tar.gz")
    print(len(data))
'''
TECH_PROSE = [
    "The decorator takes the number of attempts, the first delay and a cap, and it only retries the exceptions "
    "you name, so a bug in your own code still fails the build at once.",
    "Each delay is doubled after a failure and multiplied by a random factor between one half and one and a half, "
    "which keeps a fleet of runners from retrying in lockstep against a server that is already struggling.",
    "We added the wrapper to the three steps that download artifacts and to the step that pushes the test report, "
    "and left everything else alone.",
    "In the first week the share of red builds caused by the network fell from about twenty percent to under two "
    "percent, and the median pipeline took eleven minutes instead of twenty-three.",
]


@pytest.mark.parametrize("fenced", [False, True])
def test_a_code_listing_before_the_prose_of_a_tech_article_goes_and_the_prose_stays(tmp_path: Path, run_clean,
                                                                                  fenced: bool) -> None:
    """A 40-line listing made the text look like a flattened page (its lines are short) and the line classifier,
    which never saw code, took the listing for the article: it kept code lines and dropped the intro and the prose
    (all of it, with two paragraphs). The listing goes as `code-block` (stripped of its indentation, a paragraph
    a line, it is neither code nor prose); the classifier, left with no page, keeps out of the article."""
    code = f"```python\n{TECH_CODE}```\n" if fenced else TECH_CODE
    text = "\n".join(["How we cut our CI time in half with a small retry wrapper", "", TECH_INTRO, "", code,
                      "\n\n".join(TECH_PROSE)]) + "\n"
    (tmp_path / "retry.txt").write_text(text, encoding="utf-8")
    run = run_clean(tmp_path / "retry.txt", dedup=False)
    record = run.clean["retry.txt"]
    assert record["title"] == "How we cut our CI time in half with a small retry wrapper"
    assert record["text"] == "\n\n".join([TECH_INTRO, *TECH_PROSE])
    rules = Counter(span["rule"] for span in run.removed["retry.txt"]["spans"])
    assert set(rules) == {"title", "code-block"} and RULE_ID not in rules


def test_the_fused_sentence_oracle_cuts_where_the_gold_article_starts_and_stops() -> None:
    """`benchmarks/ceiling_fused_sentences.py` measures what perfect cuts inside a one-line page's sentences would
    gain: a byline and a date run into the article's first sentence, a teaser into its last; short runs stay joined."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ceiling_fused_sentences as ceiling

    grams = ceiling.gold_grams("A hunter who killed and ate a wild rabbit has been hit by the plague, officials said.")
    sentence = ("Debbie White 18 Nov 2019, 19:09 Updated: 18 Nov 2019 A hunter who killed and ate a wild rabbit "
                "has been hit by the plague, officials said. RANDY ANDY Andrew parties in unearthed pics")
    assert ceiling.oracle_cut(sentence, grams, min_run=5) == [
        "Debbie White 18 Nov 2019, 19:09 Updated: 18 Nov 2019",
        "A hunter who killed and ate a wild rabbit has been hit by the plague, officials said.",
        "RANDY ANDY Andrew parties in unearthed pics"]
    short = "A hunter who killed and ate a wild rabbit has been hit by the plague, officials said. Read more"
    assert ceiling.oracle_cut(short, grams, min_run=5) == [short]  # a run of two words joins the run before it
