"""Dedup: datasketch-compatible signatures, LSH candidates, verified clusters, determinism, the index."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from datasketch import MinHash, MinHashLSH

from cleaner import dedup, minhash
from cleaner.cli import main
from cleaner.dedup import Deduplicate, band_keys, bucket_pairs, components
from cleaner.document import Document
from cleaner.minhash import SCHEME, Signer, normalise, permutations, shingle_hash, shingles
from cleaner.settings import Settings

OUTPUTS = ROOT.parent / "shared" / "data" / "extraction" / "scrapinghub" / "outputs"

ARTICLE = (
    "The river bridge in the old town reopened on Monday after eight months of repairs that cost the city "
    "far more than planned. Engineers found corrosion in the steel beams under the deck, and the council "
    "voted in March to replace them rather than patch them again. Residents who had walked an extra mile "
    "to the ferry said the wait was worth it. The mayor cut a ribbon at nine in the morning and the first "
    "buses crossed an hour later. Traffic on the ring road, which took most of the diverted cars, is "
    "expected to return to normal by the end of the week, the transport office said in a statement."
)
BOILERPLATE = "Subscribe to our newsletter for the latest local news delivered to your inbox every morning."
OTHER = (
    "A new library opened in the north of the city on Saturday with a reading room for children, a "
    "small cinema and a cafe run by volunteers. The building was once a textile mill and kept its brick "
    "walls and tall windows. Librarians expect about a thousand visitors a day during the first month."
)


def _docs(texts: dict[str, str]) -> list[Document]:
    return [Document(id=key, source=key, text=text) for key, text in texts.items()]


def _run(texts: dict[str, str], **options) -> dict[str, Document]:
    return {doc.id: doc for doc in Deduplicate(Settings(**options)).run(_docs(texts))}


COMPILED = [False, pytest.param(True, marks=pytest.mark.skipif(minhash.numba is None, reason="numba absent"))]


@pytest.mark.parametrize("compiled", COMPILED)
@pytest.mark.parametrize("num_perm, size", [(128, 5), (64, 3)])
def test_signatures_equal_datasketch_minhash(num_perm: int, size: int, compiled: bool) -> None:
    texts = [ARTICLE, OTHER, "Ünïcödé Straße ÇA VA? 42 items_here", "two words", "", "  12 34 !! ", ARTICLE * 3,
             "nul\0inside", "\0", "end-"]
    signed = Signer(num_perm, size, compiled=compiled).sign(texts)
    for text, signature, set_size in zip(texts, signed.signatures, signed.sizes, strict=True):
        reference = MinHash(num_perm=num_perm, seed=1, hashfunc=shingle_hash)
        grams = shingles(normalise(text), size)
        reference.update_batch(grams)
        assert reference.scheme == SCHEME
        assert np.array_equal(reference.hashvalues, signature)
        assert set_size == len(set(grams))
    assert normalise("Ünïcödé Straße, ÇA VA? 42 items_here") == ["ünïcödé", "straße", "ça", "va", "items", "here"]


@pytest.mark.parametrize("num_perm, seed", [(128, 1), (64, 7), (256, 0)])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed)
    reference = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, reference[0]) and np.array_equal(b, reference[1])


def test_cleaner_starts_without_importing_datasketch() -> None:
    code = "import sys, cleaner.cli; print('datasketch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]  # datasketch imports scipy.integrate: half a second of every start


@pytest.mark.skipif(minhash.numba is None, reason="numba absent")
def test_compiled_and_numpy_signatures_agree() -> None:
    rng = random.Random(5)
    pool = (ARTICLE + " " + OTHER + " Ünïcödé ΣΊΣΥΦΟΣ 漢字 テスト 42 x_y").split()
    texts = [" ".join(rng.choices(pool, k=rng.randrange(0, 120))) for _ in range(50)] + ["", "\0\0", "a"]
    fast, plain = Signer(128, 5, compiled=True).sign(texts), Signer(128, 5, compiled=False).sign(texts)
    for field in ("signatures", "sizes", "keys"):
        assert np.array_equal(getattr(fast, field), getattr(plain, field))


def test_signatures_do_not_depend_on_batching() -> None:
    texts = [ARTICLE, OTHER, "short", ARTICLE + " " + BOILERPLATE]
    signer = Signer(128, 5)
    together = signer.sign(texts)
    for i, text in enumerate(texts):
        alone = signer.sign([text])
        assert np.array_equal(alone.signatures[0], together.signatures[i])
        assert alone.keys[0] == together.keys[i] and alone.sizes[0] == together.sizes[i]


def test_datasketch_lsh_takes_our_signatures_and_finds_our_candidates() -> None:
    rng = random.Random(7)
    words = ARTICLE.split()
    texts = [" ".join(words[: 40 + rng.randrange(60)] + rng.sample(words, 5)) for _ in range(60)]
    signer = Signer(128, 5)
    signatures = signer.sign(texts).signatures
    lsh = MinHashLSH(num_perm=128, params=(42, 3))
    for i, signature in enumerate(signatures):
        lsh.insert(i, signer.lean(signature))
    theirs = {(min(i, j), max(i, j)) for i in range(len(texts))
              for j in lsh.query(signer.lean(signatures[i])) if i != j}
    ours = set()
    for band in range(42):
        left, right = bucket_pairs(band_keys(signatures, band, 3), np.arange(len(texts)), window=len(texts))
        ours |= {(min(a, b), max(a, b)) for a, b in zip(left.tolist(), right.tolist(), strict=True)}
    assert ours == theirs and ours


def test_components_and_bucket_window() -> None:
    labels = components(6, np.array([4, 1, 3]), np.array([5, 3, 0]))
    assert labels.tolist() == [0, 0, 2, 0, 4, 4]
    left, right = bucket_pairs(np.array([7, 7, 7, 7, 1], dtype=np.uint64), np.arange(5), window=2)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]


def test_containment_pairs_do_not_bridge_clusters() -> None:
    labels = np.array([0, 0, 2, 2, 4])  # clusters {0, 1} and {2, 3}, document 4 alone and the shortest
    key, size, copies = np.arange(5), np.array([50, 50, 60, 60, 10]), np.ones(5, np.int64)
    left, right = dedup._attach(labels, np.array([4, 4, 1]), np.array([0, 2, 3]), np.array([0.9, 0.95, 0.9]), key,
                                size, copies)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(4, 2)]  # best container; 1-3 alone
    left, right = dedup._attach(labels, np.array([0, 1]), np.array([2, 3]), np.array([0.9, 0.9]), key, size, copies)
    assert len(left) == 1 and labels[left[0]] != labels[right[0]]  # two documents on each side
    copies[1] = 2  # document 1 stands for itself and an exact copy
    left, right = dedup._attach(labels, np.array([1]), np.array([3]), np.array([0.9]), key, size, copies)
    assert len(left) == 0  # ... yet only one document of cluster {2, 3} takes part


def test_a_container_cluster_takes_one_contained_cluster() -> None:
    # {0, 1} and {2, 3}: short texts of two articles; {4, 5, 6, 7}: page dumps, each containing one of them.
    labels = np.array([0, 0, 2, 2, 4, 4, 4, 4])
    key, size, copies = np.arange(8), np.array([10, 10, 12, 12, 100, 100, 100, 100]), np.ones(8, np.int64)
    left, right, share = np.array([0, 1, 2, 3, 2]), np.array([4, 5, 6, 7, 7]), np.array([0.9, 0.9, 0.95, 0.95, 0.9])
    joined = dedup._attach(labels, left, right, share, key, size, copies)
    assert sorted(zip(*(side.tolist() for side in joined), strict=True)) == [(2, 6)]  # the better contained


def test_pages_of_one_site_do_not_join_through_their_dumps() -> None:
    """Two dumps of each page: mostly the site's menu, so all four are near-duplicates of each other."""
    menu = " ".join(f"{name} section: the latest {name.lower()} news, analysis and opinion from our newsroom. "
                    f"Sign up for {name.lower()} alerts and follow our {name.lower()} desk on every platform"
                    for name in ("World", "Business", "Markets", "Opinion", "Sports", "Culture", "Science",
                                 "Travel", "Health", "Style", "Books", "Food", "Cars", "Homes", "Jobs", "Weather",
                                 "Music", "Film", "Tech", "Climate", "Politics", "Education", "Crime", "Media",
                                 "Energy", "Money", "Games", "Art", "Theatre", "Fashion", "Design", "Family"))
    texts = {"a1": ARTICLE, "a2": ARTICLE + " The bridge is open.", "o1": OTHER, "o2": OTHER + " It opens daily.",
             "dump-a1": menu + " " + ARTICLE, "dump-a2": ARTICLE + " " + menu,
             "dump-o1": menu + " " + OTHER, "dump-o2": OTHER + " " + menu}
    out = _run(texts)
    assert out["dump-a1"].cluster_id == out["dump-o1"].cluster_id  # as texts, they are near-duplicates
    assert out["a1"].cluster_id == out["a2"].cluster_id and out["o1"].cluster_id == out["o2"].cluster_id
    assert out["a1"].cluster_id != out["o1"].cluster_id


def test_article_plus_boilerplate_joins_by_containment() -> None:
    out = _run({"a": ARTICLE, "b": ARTICLE + "\n\n" + BOILERPLATE + " " + OTHER[:150], "c": OTHER})
    assert out["b"].dropped is None and out["b"].cluster_size == 2  # the longer text is kept
    assert out["a"].dropped == "duplicate" and out["a"].duplicate_of == "b" and out["a"].cluster_id == "b"
    assert out["a"].similarity >= 0.95
    assert out["c"].dropped is None and out["c"].cluster_id == "c" and out["c"].cluster_size == 1


def test_representative_is_longest_then_smallest_id_whatever_the_order() -> None:
    texts = {f"d{i}": ARTICLE for i in (3, 1, 2)} | {"long": ARTICLE + " The end.", "x": OTHER}
    expected = None
    for seed in range(4):
        items = list(texts.items())
        random.Random(seed).shuffle(items)
        out = _run(dict(items))
        got = {key: (doc.cluster_id, doc.cluster_size, doc.dropped) for key, doc in out.items()}
        assert got["long"] == ("long", 4, None) and got["d1"] == ("long", 4, "duplicate")
        assert expected in (None, got)
        expected = got
    out = _run({f"d{i}": ARTICLE for i in (3, 1, 2)})
    assert out["d1"].dropped is None and out["d2"].duplicate_of == "d1" and out["d2"].similarity == 1.0


def test_copy_padded_with_white_space_is_not_the_longest() -> None:
    # The same article, once padded with runs of spaces and tabs (a scrape's layout): the copies are exact
    # duplicates, and the padding must not make the padded copy the one kept.
    padded = ARTICLE.replace(" ", "   \t ").replace("\n\n", " \n\n\n ")
    for texts in ({"a": ARTICLE, "b": padded}, {"b": padded, "a": ARTICLE}):
        out = _run(texts)
        assert out["a"].dropped is None and out["a"].cluster_size == 2
        assert out["b"].dropped == "duplicate" and out["b"].duplicate_of == "a"
    # ... while a copy with more words is still the longer one
    out = _run({"a": ARTICLE, "b": padded + " The end."})
    assert out["b"].dropped is None and out["a"].duplicate_of == "b"


def test_clusters_do_not_depend_on_batch_size(monkeypatch) -> None:
    rng = random.Random(3)
    words = (ARTICLE + " " + OTHER).split()
    texts = {f"n{i:03d}": " ".join(rng.sample(words, 60)) for i in range(40)}
    texts |= {f"c{i:03d}": texts[f"n{i:03d}"] + " " + BOILERPLATE for i in range(0, 40, 3)}
    big = {k: (d.cluster_id, d.dropped) for k, d in _run(texts).items()}
    monkeypatch.setattr(dedup, "_BATCH_DOCS", 3)
    assert {k: (d.cluster_id, d.dropped) for k, d in _run(texts).items()} == big
    assert big["n003"] == ("c003", "duplicate")


def test_documents_dropped_earlier_pass_through_untouched() -> None:
    docs = _docs({"a": ARTICLE, "b": ARTICLE})
    docs[1].drop("language")
    out = list(Deduplicate(Settings()).run(docs))
    assert [d.dropped for d in out] == [None, "language"] and out[1].cluster_id is None


def test_index_removes_duplicates_of_earlier_runs(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = _run({"old/a": ARTICLE, "old/b": OTHER}, dedup_index=index)
    assert all(doc.dropped is None for doc in first.values())
    assert json.loads((index / "meta.json").read_text())["count"] == 2
    unrelated = " ".join(reversed(ARTICLE.split()))  # the same words, no 5-gram in common
    second = _run({"new/a": ARTICLE + " " + BOILERPLATE, "new/c": ARTICLE.upper(), "new/z": unrelated},
                  dedup_index=index)
    assert second["new/a"].dropped == "duplicate" and second["new/a"].duplicate_of == "old/a"
    assert second["new/c"].duplicate_of == "old/a" and second["new/a"].cluster_size == 3
    assert second["new/z"].dropped is None
    assert json.loads((index / "meta.json").read_text())["count"] == 3
    third = _run({"later/z": unrelated}, dedup_index=index)
    assert third["later/z"].duplicate_of == "new/z"
    with pytest.raises(ValueError, match="built with"):
        Deduplicate(Settings(dedup_index=index, num_perm=64, dedup_bands=16, dedup_rows=4))


def test_a_flagged_run_repeated_into_its_index_counts_each_document_once(tmp_path: Path) -> None:
    """A document and its own indexed copy are one document: `cluster_size` counted it twice (2 for a document
    alone, 4 for a pair), and a flagged duplicate was added to the index again on every run."""
    index = tmp_path / "index"
    texts = {"a": ARTICLE, "a-boilerplate": ARTICLE + " " + BOILERPLATE, "b": OTHER}
    for _ in range(3):
        again = _run(texts, dedup_index=index, dedup_action="flag")
        assert {key: doc.cluster_size for key, doc in again.items()} == {"a": 2, "a-boilerplate": 2, "b": 1}
        assert json.loads((index / "meta.json").read_text())["count"] == 3
    assert all(doc.already_indexed and doc.dropped is None for doc in again.values())
    assert again["a-boilerplate"].cluster_id == "a-boilerplate" and again["a"].cluster_id == "a-boilerplate"


def test_an_index_add_stopped_midway_leaves_the_index_as_it_was(tmp_path: Path, monkeypatch) -> None:
    """Each add writes a new generation of files and names it in meta.json in one step: a run killed while
    writing (here, just before that step) leaves the index that was, and the next add removes what it left."""
    index = tmp_path / "index"
    _run({"old/a": ARTICLE}, dedup_index=index)
    before = {path.name: path.read_bytes() for path in index.iterdir()}
    real = os.replace
    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(KeyboardInterrupt())
                        if Path(b).name == "meta.json" else real(a, b))
        with pytest.raises(KeyboardInterrupt):
            _run({"new/b": OTHER}, dedup_index=index)
    assert {path.name: path.read_bytes() for path in index.iterdir() if path.name in before} == before
    again = _run({"new/a": ARTICLE, "new/z": " ".join(reversed(ARTICLE.split()))}, dedup_index=index)
    assert again["new/a"].duplicate_of == "old/a" and again["new/z"].dropped is None  # it still answers, and adds
    assert json.loads((index / "meta.json").read_text())["count"] == 2
    arrays = ("signatures", "sizes", "lengths", "id_offsets", "band_keys", "band_order")
    assert sorted(path.name for path in index.iterdir()) == sorted(
        ["meta.json", "ids.2.bin", *(f"{name}.2.npy" for name in arrays)])  # the half-written generation, now whole


def test_an_index_written_before_generations_is_read_and_added_to(tmp_path: Path) -> None:
    index = tmp_path / "index"
    _run({"old/a": ARTICLE}, dedup_index=index)
    for path in index.iterdir():  # the layout of earlier versions: no generation in the names or in meta.json
        path.rename(index / path.name.replace(".1.", "."))
    meta = json.loads((index / "meta.json").read_text())
    del meta["generation"]
    (index / "meta.json").write_text(json.dumps(meta))
    again = _run({"new/a": ARTICLE, "new/z": " ".join(reversed(ARTICLE.split()))}, dedup_index=index)
    assert again["new/a"].duplicate_of == "old/a" and again["new/z"].dropped is None
    assert sorted(path.name for path in index.iterdir() if path.name != "meta.json")[:2] == [
        "band_keys.1.npy", "band_order.1.npy"] and not (index / "signatures.npy").exists()


def test_cli_documents_the_band_formula_and_checks_parameters(tmp_path: Path, capsys) -> None:
    help_text = subprocess.run([sys.executable, "-m", "cleaner", "clean", "--help"], capture_output=True,
                               text=True).stdout
    for option in ("--shingle-size", "--num-perm", "--bands", "--rows", "--index", "--dedup-containment",
                   "1-(1-J^R)^B"):
        assert option in help_text
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(tmp_path / "a.txt"), "-o",
                           str(tmp_path / "out"), "--bands", "50", "--rows", "3", "-q"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "--num-perm" in done.stderr
    # a huge value is refused before the run, not met as a MemoryError traceback when the signer is built
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(tmp_path / "a.txt"), "-o", str(tmp_path / "huge"), "--num-perm", str(10**9)])
    assert stop.value.code == 2
    assert "argument --num-perm: must be at most 4096, not 1000000000" in capsys.readouterr().err
    assert not (tmp_path / "huge").exists()
    (tmp_path / "index").write_text("")  # a file: the whole run went by before saving the index failed
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(tmp_path / "a.txt"), "-o", str(tmp_path / "filed"), "--index", str(tmp_path / "index")])
    assert stop.value.code == 2 and not (tmp_path / "filed").exists()
    assert f"argument --index: {tmp_path / 'index'} is a file, not an index folder" in capsys.readouterr().err


@pytest.mark.skipif(not OUTPUTS.is_dir(), reason="../shared/data/extraction/scrapinghub/outputs is absent")
def test_extractor_outputs_of_one_page_form_one_cluster() -> None:
    texts = {}
    for name in ("trafilatura", "go_trafilatura", "readability_js", "newspaper"):
        data = json.loads((OUTPUTS / f"{name}.json").read_text(encoding="utf-8"))
        data = data.get("output", data)
        for key in sorted(data)[:25]:
            body = (data[key] or {}).get("articleBody") or ""
            if len(body) >= 200:
                texts[f"{key}/{name}"] = body
    out = _run(texts)
    pages = {}
    for doc_id, doc in out.items():
        pages.setdefault(doc_id.split("/")[0], set()).add(doc.cluster_id.split("/")[0])
    assert all(len(clusters) == 1 for clusters in pages.values())
    assert len({c for clusters in pages.values() for c in clusters}) == len(pages)


@pytest.mark.parametrize("workers", [1, 2])
def test_documents_changed_by_boilerplate_are_signed_again(tmp_path: Path, run_clean, workers: int) -> None:
    """Signing runs before corpus boilerplate; pages that lose lines must be deduplicated as they are
    written. Here two pages carry one article under two different long footers: not duplicates as read,
    exact copies once the footers (each on five pages) are gone."""
    words = (ARTICLE + " " + OTHER).split()

    def random_text(seed: int, count: int) -> str:
        return " ".join(random.Random(seed).choices(words, k=count))

    footers = [[random_text(100 * site + line, 25) for line in range(6)] for site in (1, 2)]
    for site, footer in enumerate(footers):
        for i in range(5):
            body = ARTICLE if i == 0 else random_text(10 * site + i, 80)
            (tmp_path / f"{site}-{i}.txt").write_text("\n\n".join([body, *footer]) + "\n")
    run = run_clean(tmp_path, lines=False, boilerplate_min_docs=5, workers=workers)
    assert not any(line in record["text"] for record in run.clean.values() for footer in footers for line in footer)
    duplicates = [record for record in run.removed.values() if record["reason"] == "duplicate"]
    assert [(r["id"], r["duplicate_of"], r["similarity"]) for r in duplicates] == [("1-0.txt", "0-0.txt", 1.0)]


@pytest.mark.parametrize("meta", ["", "not json", "[1, 2]"])
def test_an_index_whose_meta_json_is_damaged_is_named(tmp_path: Path, capsys, meta: str) -> None:
    """A damaged meta.json said only "cleaner: Expecting value: line 1 column 1 (char 0)" (or, a list, raised
    AttributeError), naming neither the index nor the file."""
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "meta.json").write_text(meta)
    (tmp_path / "a.txt").write_text("The harbour master said the new pier would open in May, ahead of schedule.\n")
    assert main(["clean", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--index", str(tmp_path / "idx"),
                 "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"dedup index {tmp_path / 'idx'}: its meta.json is damaged" in err
