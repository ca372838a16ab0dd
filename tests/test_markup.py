"""Taking link and Markdown markup out of text input (cleaner/markup.py)."""

from __future__ import annotations

import json
from pathlib import Path

from cleaner.document import Document
from cleaner.junk import document_scope
from cleaner.markup import StripMarkup, strip_markup
from cleaner.pipeline import clean
from cleaner.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MENU = "\n".join(f"  * [{name}](https://news.example/{name.lower()}/)" for name in ("World", "Sport", "Business"))


def test_markdown_links_keep_their_words_and_lose_their_addresses() -> None:
    text = ("Read [the report](https://gov.example/report.pdf \"The report\") and "
            "[its summary](<https://gov.example/a summary.html>), or [Paris](https://en.wikipedia.org/wiki/Paris_(city)).\n"
            "![A photo of the bridge](https://cdn.example/bridge.jpg)\n"
            "[![Logo](https://cdn.example/logo.png)](https://news.example/)")
    stripped, removed = strip_markup(text)
    assert stripped == "Read the report and its summary, or Paris.\n\n"
    assert removed == {"links": 4, "images": 2}


def test_reference_links_and_their_address_list() -> None:
    # as html2text's Rust port writes a page: [words][n], images in brackets inside links, addresses at the end
    text = ("* [Company Town][1]\n  [Justice Department to throw out film business\n  regulations][2]\n"
            "  [ [AMC movie theater] ][3]\n[[Facebook]Facebook][4]\n\n"
            "[1]: https://news.example/company-town\n[2]: https://news.example/story\n"
            "[3]: https://news.example/amc\n[4]: https://facebook.example/news")
    stripped, removed = strip_markup(text)
    assert [line.strip() for line in stripped.split("\n") if line.strip()] == [
        "Company Town", "Justice Department to throw out film business", "regulations", "Facebook"]
    assert removed["references"] == 4 and removed["links"] == 4


def test_addresses_written_after_links_go_only_from_a_text_full_of_them() -> None:
    annotated = "Sport (https://news.example/sport/)\nWeather (/weather/)\nShare (#)\nThe minister said so (on Monday)."
    assert strip_markup(annotated)[0] == "Sport\nWeather\nShare\nThe minister said so (on Monday)."
    prose = "The data is online (https://data.example/set) and in the report."
    assert strip_markup(prose) == (prose, {})


def test_left_over_tags_go_but_titles_in_angle_brackets_stay() -> None:
    text = ('<span id="ad-1"></span>Advertisement\n<div class="x">The show</div>\n'
            'Tickets for <The Palace: Tale of Jang Noksu> are on sale.')
    stripped, removed = strip_markup(text)
    assert stripped == "Advertisement\nThe show\nTickets for <The Palace: Tale of Jang Noksu> are on sale."
    assert removed == {"tags": 4}


def test_markdown_formatting_goes_from_a_markdown_text_only() -> None:
    page = (f"{MENU}\n\n# A **bold** plan\n\n> The _council_ said on_time_table rules apply.\n\n"
            "* * *\n\n```\ncode\n```\n\n1. First point, \\*really\\*.")
    stripped, removed = strip_markup(page)
    assert [line.strip() for line in stripped.split("\n") if line.strip()] == [
        "World", "Sport", "Business", "A bold plan", "The council said on_time_table rules apply.", "code",
        "1. First point, *really*."]
    assert removed["headings"] == 1 and removed["bullets"] == 3 and removed["quotes"] == 1 and removed["rules"] == 3
    teasers = f"{MENU}\n* [## Markets fall](https://news.example/markets)\nRisk &amp; Compliance &lt;b&gt;"
    assert strip_markup(teasers)[0].split("\n")[3:] == ["Markets fall", "Risk & Compliance <b>"]
    # a plain text with a bullet list and one link keeps its bullets and emphasis: the rules know them
    plain = "• Prices rose by *five* percent\n• Wages did not\nSee [the data](https://data.example/)."
    assert strip_markup(plain)[0] == "• Prices rose by *five* percent\n• Wages did not\nSee the data."


def test_stage_counts_what_it_removed_and_takes_the_title() -> None:
    doc = Document(id="a", source="a.md", text=f"{MENU}\n\n# Council approves [cycle lanes](/lanes)\n\nText.")
    StripMarkup().process(doc)
    assert doc.title == "Council approves cycle lanes"
    assert doc.metadata["markup_removed"] == {"bullets": 3, "headings": 1, "links": 4}
    note = Document(id="c", source="notes/c.md", text="# Notes\n\nA **short** note with a [link](https://x.example).")
    StripMarkup().process(note)  # a Markdown file is Markdown whatever its number of links
    assert (note.title, note.text) == ("Notes", "Notes\n\nA short note with a link.")
    post = Document(id="d", source="d.txt", text='---\ntitle: "Bridge: reopened"\ndate: 2024-03-14\n'
                    'tags: [city, roads]\n---\n# Bridge reopened\n\nThe *bridge* reopened.')
    StripMarkup().process(post)  # YAML front matter: to the metadata, as strings; its title is the title
    assert post.metadata["front_matter"] == {"title": "Bridge: reopened", "date": "2024-03-14",
                                             "tags": ["city", "roads"]}
    assert (post.title, post.text) == ("Bridge: reopened", "Bridge reopened\n\nThe bridge reopened.")
    assert post.metadata["date"] == "2024-03-14"  # the header's date and URL are the record's, if it had none
    reader = Document(id="r", source="r.txt", text="Title: Bridge: reopened\n\nURL Source: https://www.gazette.example/"
                      "bridge\n\nPublished Time: 2024-03-14T09:30:00Z\n\nMarkdown Content:\nBridge reopened\n"
                      "===============\n\nThe [bridge](https://www.gazette.example/tags/bridge) reopened.",
                      metadata={"date": "14 March 2024"})
    StripMarkup().process(reader)  # Jina Reader's header, like front matter; the page below it is Markdown
    assert reader.metadata["front_matter"] == {"Title": "Bridge: reopened", "URL Source":
                                               "https://www.gazette.example/bridge",
                                               "Published Time": "2024-03-14T09:30:00Z"}
    assert reader.title == "Bridge: reopened"
    assert reader.text.split("\n") == ["Bridge reopened", "", "", "The bridge reopened."]  # the underline left empty
    assert reader.metadata["url"] == "https://www.gazette.example/bridge" and reader.metadata["date"] == "14 March 2024"
    assert document_scope(reader)[0] == "www.gazette.example"  # so site-scoped rules apply to it
    for text in ("---\nA line of text between rules.\n---\nMore text.", "---\nkey: [unclosed\n---\nText.",
                 "Title: A talk\nURL Source: none given\nThe talk was about rivers."):
        plain = Document(id="e", source="e.txt", text=text)
        StripMarkup().process(plain)
        assert plain.text == text and "front_matter" not in plain.metadata
    html = Document(id="b", source="b.html", text="[x](https://a.example)", format="html")
    StripMarkup().process(html)
    assert html.text == "[x](https://a.example)" and not html.metadata


def test_markdown_page_is_cleaned_and_no_markup_keeps_it(tmp_path: Path) -> None:
    page = ROOT / "fixtures" / "raw" / "formats" / "page.md"
    clean([page], tmp_path / "default", Settings(dedup=False))
    record = json.loads((tmp_path / "default" / "clean.jsonl").read_text(encoding="utf-8"))
    assert record["title"].startswith("Council approves cycle lanes")
    assert "](" not in record["text"] and "https://" not in record["text"] and "**" not in record["text"]
    assert "whole length of the river road" in record["text"]
    clean([page], tmp_path / "kept", Settings(dedup=False, markup=False))
    kept = json.loads((tmp_path / "kept" / "clean.jsonl").read_text(encoding="utf-8"))
    assert "markup_removed" not in kept["metadata"] and "](https://" in page.read_text(encoding="utf-8")


def test_front_matter_survives_reflow(tmp_path: Path) -> None:
    """Reflow runs before markup and would join the header's lower-case "key: value" lines into one line."""
    page = tmp_path / "story.md"
    page.write_text("---\ntitle: Markdown story\ndate: 2024-02-03\nURL: https://www.gazette.example/story\n---\n\n"
                    "The council met on Tuesday evening to discuss the bridge. It voted to rebuild it next year.\n",
                    encoding="utf-8")
    clean([page], tmp_path / "out", Settings(dedup=False))
    record = json.loads((tmp_path / "out" / "clean.jsonl").read_text(encoding="utf-8"))
    assert record["title"] == "Markdown story"
    assert record["metadata"]["front_matter"] == {"title": "Markdown story", "date": "2024-02-03",
                                                  "URL": "https://www.gazette.example/story"}
    assert (record["metadata"]["date"], record["metadata"]["url"]) == ("2024-02-03", "https://www.gazette.example/story")
    assert record["text"].startswith("The council met") and "lines_joined" not in record["metadata"]
