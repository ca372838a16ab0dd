"""Build a benchmark corpus of a chosen size: JSONL shards of dirty news text with planted junk and near-duplicates.

Sources: the fixture articles in the repository and, when present, the dirty page texts of
../shared/data/extraction/scrapinghub/dirty/. Each generated document is a source text with a
numbered sentence of its own (so exact duplicates are only the planted ones), some site
junk around it, and every tenth one is followed by a near-duplicate: the same text with other junk.

With `lines`, a document is instead that many lines of its own, each the words of a source line in a
shuffled order: nearly every line of the corpus is distinct, as in a real corpus of many sites, which
is what fills the corpus-wide boilerplate counter (the source texts repeat every few hundred documents).
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DIRTY = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "dirty"
JUNK_HEAD = ["Skip to content", "Home | World | Politics | Business", "Share Facebook Twitter WhatsApp"]
JUNK_TAIL = ["Comments are closed.", "Source: Read Full Article", "Latest World News\nSee more Latest World News\n"
             "Two killed in motorway crash\nStocks rally as inflation cools"]


def source_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "fixtures" / "raw").rglob("*.txt"))
             if "bad" not in p.parts and p.stat().st_size > 200]
    for name in ("html_text.jsonl", "bs4.jsonl"):
        if (DIRTY / name).exists():
            texts += [orjson.loads(line)["text"] for line in (DIRTY / name).read_bytes().splitlines()]
    return texts


def shuffled_lines(rng: random.Random, pool: list[list[str]], count: int) -> str:
    """`count` lines, each the words of a line of `pool` in a new order."""
    lines = []
    for words in rng.sample(pool, count):
        words = list(words)
        rng.shuffle(words)
        lines.append(" ".join(words))
    return "\n".join(lines)


def build(out: Path, docs: int, per_shard: int = 5000, seed: int = 7, lines: int | None = None) -> tuple[int, int]:
    """Write `docs` documents as JSONL shards under `out`; return (documents, bytes of text)."""
    rng = random.Random(seed)
    texts = source_texts()
    pool = [words for text in texts for line in text.splitlines() if len(words := line.split()) >= 6] \
        if lines else []  # the source lines `shuffled_lines` draws from
    out.mkdir(parents=True, exist_ok=True)
    written = size = 0
    shard, index = None, -1
    while written < docs:
        if written // per_shard != index:  # a near-duplicate pair may step over a multiple of per_shard
            if shard:
                shard.close()
            index = written // per_shard
            shard = open(out / f"part-{index:05d}.jsonl", "wb")  # noqa: SIM115
        base = shuffled_lines(rng, pool, lines) if lines else texts[written % len(texts)]
        own = f"Report {written} notes that the figure {rng.randrange(10**9)} was published on day {written % 365}."
        text = "\n".join([rng.choice(JUNK_HEAD), own, base, rng.choice(JUNK_TAIL)])
        batch = [text]
        if written % 10 == 9:
            batch.append("\n".join([own, base, rng.choice(JUNK_TAIL), rng.choice(JUNK_HEAD)]))
        for item in batch[: docs - written]:
            shard.write(orjson.dumps({"text": item, "id": f"doc-{written}"}) + b"\n")
            written += 1
            size += len(item.encode())
    if shard:
        shard.close()
    return written, size
