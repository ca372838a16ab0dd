"""The machine-translation stage: artifacts, the language model, the shipped model, document scores, actions."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS

from cleaner.cli import main
from cleaner.document import Document
from cleaner.mt import (
    DISCLAIMER_WEIGHT,
    MAX_DOCUMENT_SENTENCES,
    MIN_DOCUMENT_SENTENCES,
    ParagraphScore,
    ScoreMachineTranslation,
    document_features,
    lexical_variety,
    load_model,
    style_evidence,
)
from cleaner.mtfeatures import DENSE_NAMES, N_DENSE, Featurizer, NgramLM, find_artifacts, split_sentences, tokens
from cleaner.settings import Settings

NATIVE = ("US president Joe Biden has agreed in principle to a meeting with Vladimir Putin, provided Russia "
          "holds off on what American officials believe is an imminent assault on Ukraine.")
GARBLED = ("US president Joe Biden has agreed in principle to a meeting with Vladimir Putin. , provided Russia "
           "will obliged to hold off on what American officials officials believe is an imminent assault.")


def kinds(text: str) -> set[str]:
    return {a["kind"] for a in find_artifacts(text)}


def test_artifacts_found_and_grammatical_doubles_allowed() -> None:
    assert kinds("an official who spoke spoke to reporters") == {"doubled-word"}
    assert kinds("Russia will obliged to react") == {"modal-participle"}
    assert kinds("to increase the presence. , potentially with four") == {"punctuation-run"}
    assert kinds("withdraw its forces from Eastern Europe East.") == {"doubled-name"}
    assert kinds("according to the State Department. said in a statement") == {"lowercase-sentence"}
    assert kinds("in the event of The attack on the city") == {"capitalised-function-word"}
    assert kinds("Troops are on Russia's own territory. Russia.") == {"dangling-word"}
    assert kinds("He had had enough, and said that that was all. It will need more time.") == set()
    assert kinds("Munich 1856: Four maps that change the city The oldest map") == set()
    assert kinds("the Goo Goo Dolls played Minute By Minute and Side By Side in Bora Bora") == set()
    assert kinds("The the troops left") == {"doubled-word"}


@pytest.mark.parametrize("run", [" " * 50_000, "A" + "a" * 50_000, "Then " + "a" * 50_000])
def test_artifacts_take_time_in_proportion_to_a_long_run(run: str) -> None:
    """A run of spaces (padding a scraper kept), or of letters, took time in the square of its length in the
    punctuation-run, doubled-name and dangling-word patterns: 40,000 spaces in an English text held the MT stage for
    10 s. The artifacts either side are still found."""
    start = time.perf_counter()
    found = kinds(f"{run} The visit of Eastern Europe East was brief. , then it ended with fine words. Today.")
    assert time.perf_counter() - start < 1.0
    assert {"doubled-name", "punctuation-run", "dangling-word"} <= found


def test_sentences_end_at_punctuation_before_a_capital() -> None:
    text = 'He said "Yes." Then he left.  “Next,” she said! Why? it was 3.5 m. Dr. Smith came.'
    assert split_sentences(text) == ['He said "Yes."', "Then he left.", "“Next,” she said!", "Why? it was 3.5 m.",
                                     "Dr.", "Smith came."]
    assert split_sentences("no end here") == ["no end here"] and split_sentences("") == [""]


def test_lexical_variety_is_the_mean_type_token_ratio_of_windows() -> None:
    words = [f"w{i % 37}" for i in range(250)] + [f"v{i}" for i in range(90)]
    starts = range(0, len(words) - 100 + 1, 10)
    assert lexical_variety(words) == sum(len(set(words[i:i + 100])) for i in starts) / (len(starts) * 100)
    assert lexical_variety(["a", "b", "a"]) == 2 / 3 and lexical_variety([]) == 0.0


def test_language_model_prefers_fluent_order_and_survives_shipping() -> None:
    sentences = ["the talks will resume on monday in geneva .", "the minister said the talks will resume .",
                 "officials said the talks in geneva were useful ."] * 3
    lm = NgramLM.train(sentences, min_trigram=1)
    fluent = lm.scores([tokens("the talks will resume in geneva")])
    odd = lm.scores([tokens("geneva in resume will talks the")])
    assert np.mean(fluent.logp) > np.mean(odd.logp) and fluent.unseen[:, 2].sum() < odd.unseen[:, 2].sum()
    shipped = NgramLM.from_arrays(lm.to_arrays())
    batch = [tokens("the talks were useful"), tokens("talks in geneva")]
    for mine, theirs in zip(shipped.scores(batch), lm.scores(batch), strict=True):
        assert np.array_equal(mine, theirs)


def test_language_model_scores_do_not_depend_on_the_words_it_remembers(monkeypatch) -> None:
    lm = NgramLM.train(["the talks will resume on monday in geneva .", "officials said the talks were useful ."])
    batch = [tokens("the talks in geneva were useful"), tokens("zurich talks resume")]
    first = lm.scores(batch)
    monkeypatch.setattr(NgramLM, "VOCABULARY_LIMIT", 3)  # forgets every batch, and grows past 1,024 rows
    lm.scores([[f"w{i}" for i in range(3000)]])
    for mine, theirs in zip(lm.scores(batch), first, strict=True):
        assert np.array_equal(mine, theirs)


def test_features_are_deterministic_and_complete() -> None:
    featurizer = Featurizer(NgramLM.train([NATIVE]), hash_bits=10)
    batch = featurizer.features([GARBLED, NATIVE, GARBLED])
    assert batch.dense.shape == (3, N_DENSE) and len(DENSE_NAMES) == N_DENSE
    assert np.array_equal(batch.dense[0], batch.dense[2])
    first, second = (sorted(zip(batch.columns[batch.rows == i].tolist(), batch.values[batch.rows == i].tolist(),
                                strict=True)) for i in (0, 2))
    assert first == second and all(0 <= k < 1024 for k, _ in first)
    assert abs(sum(v * v for _, v in first) - 1.0) < 1e-9


def test_style_is_read_sentence_by_sentence_and_grows_with_their_number() -> None:
    model = load_model()
    two = model.paragraph(f"{NATIVE} {NATIVE}")
    assert len(two.style_logits) == 2 and two.style_logits[0] == pytest.approx(two.style_logits[1])
    assert style_evidence([0.3] * 5) == pytest.approx(0.5) and style_evidence([]) == 0.0
    assert model.paragraph("Home | News | Sport").style_logits == []  # a fragment has no style


def test_shipped_model_names_its_version_data_and_thresholds() -> None:
    model = load_model()
    assert model.meta["version"] and "htmt train/" in model.meta["training_data"]
    assert 0.0 < model.paragraph_threshold < 1.0 and 0.0 < model.document_threshold < 1.0
    assert model.meta["feature_names"] == DENSE_NAMES


def test_artifacts_raise_a_paragraph_and_are_its_evidence() -> None:
    model = load_model()
    native, garbled = model.paragraph(NATIVE), model.paragraph(GARBLED)
    assert garbled.score > native.score and garbled.artifact > 0.9 > 0.1 > native.artifact
    shown = {e["kind"] for e in garbled.evidence()}
    assert {"punctuation-run", "modal-participle", "doubled-word"} <= shown


def test_document_score_forgives_one_artifact_and_trusts_a_disclaimer() -> None:
    def para(artifact: float, words: int = 300) -> ParagraphScore:
        return ParagraphScore(style_logits=[-3.0], artifact=artifact, score=artifact, words=words)

    document_score = load_model().document_score
    clean = document_score([para(0.0)] * 3, False)
    assert document_score([para(0.95)] + [para(0.0)] * 2, False) == pytest.approx(clean, abs=1e-3)
    assert document_score([para(0.95)] * 3, False) > clean + 0.3
    assert document_score([para(0.0)] * 3, True) >= DISCLAIMER_WEIGHT
    assert document_score([], False) == 0.0


def test_document_features_read_what_no_single_sentence_shows() -> None:
    varied = document_features([1.0, 1.0], [["talks", "resume", "monday"], ["geneva", "hosts", "envoys"]])
    repeated = document_features([1.0, 1.0], [["talks", "resume", "monday"], ["talks", "resume", "monday", "again"]])
    assert varied[0] == pytest.approx(style_evidence([1.0, 1.0]))
    assert repeated[1] < varied[1] == 1.0  # lexical variety
    assert repeated[2] == pytest.approx(3 / 7) and varied[2] == 0.0  # content words an earlier sentence used
    assert repeated[3] > varied[3] == 0.0  # variation of sentence length


def test_drop_paragraphs_moves_flagged_paragraphs_to_the_audit(run_clean) -> None:
    flagged = run_clean(SEEDS, dedup=False)
    dropped = run_clean(SEEDS, dedup=False, mt_action="drop-paragraphs")
    for doc_id, record in flagged.clean.items():
        paragraphs = record["text"].split("\n\n")
        gone = {paragraphs[p["paragraph"]] for p in record["mt_paragraphs"]}
        kept = dropped.clean[doc_id]["text"].split("\n\n")
        assert not gone & set(kept) and len(kept) == len(paragraphs) - len(gone)
        spans = [s for s in dropped.removed.get(doc_id, {"spans": []})["spans"] if s["rule"] == "machine-translation"]
        assert {s["text"] for s in spans} == gone
    assert any(r["mt_paragraphs"] for r in flagged.clean.values())


def test_non_english_documents_are_not_scored(run_clean) -> None:
    run = run_clean(ROOT / "fixtures" / "raw" / "formats")
    assert run.clean["records.jsonl:2"]["language"] == "de"
    assert run.clean["records.jsonl:2"]["mt_score"] is None and not run.clean["records.jsonl:2"]["mt_flagged"]


def test_threshold_option_replaces_the_model_thresholds(run_clean) -> None:
    strict = run_clean(SEEDS, dedup=False, mt_threshold=1.0)
    assert not any(r["mt_flagged"] or r["mt_paragraphs"] for r in strict.clean.values())


def test_explain_shows_the_evidence_of_flagged_paragraphs(capsys) -> None:
    assert main(["explain", str(next(SEEDS.glob("003_*.txt")))]) == 0
    assert "spoke spoke" in capsys.readouterr().out.split("[mt ", 1)[1]


HTMT = ROOT.parent / "shared" / "data" / "mt" / "htmt"


def test_eval_reads_any_htmt_split_by_its_file_names(tmp_path: Path) -> None:
    """A test split of other WMT years (as htmt lays out test/ and docs-test/) is read with no change to the
    script: human translations are trans_en_*.txt, machine ones org_de_*, whatever the year and engine suffix."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.eval_mt import split_set

    folder = tmp_path / "test" / "google"
    folder.mkdir(parents=True)
    (folder / "trans_en_wmt19.txt").write_text("A person wrote this.\n\nAnd this.\n", encoding="utf-8")
    (folder / "trans_en_wmt20.txt").write_text("A third human line.\n", encoding="utf-8")
    (folder / "org_de_wmt19.txt.en.google").write_text("A machine wrote this.\n", encoding="utf-8")
    texts, labels = split_set("test", "google", tmp_path)
    assert texts == ["A person wrote this.", "And this.", "A third human line.", "A machine wrote this."]
    assert labels.tolist() == [0, 0, 0, 1]
    with pytest.raises(FileNotFoundError, match="org_de_"):
        split_set("test", "google", tmp_path / "elsewhere")


@pytest.mark.skipif(not HTMT.is_dir(), reason="htmt data absent: ../shared/data/mt/htmt is not beside the repository")
def test_docs_dev_precision_and_ranking() -> None:
    """The shipped document threshold keeps its stated precision; the scores rank machine above human."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.eval_mt import metrics, split_set

    model = load_model()
    for engine in ("deepl", "google"):
        texts, labels = split_set("docs-dev", engine)
        scores = np.array([model.document([t]) for t in texts])
        result = metrics(labels, scores, model.document_threshold)
        assert result["precision"] >= 0.8 and result["auc"] >= 0.8


def test_style_judges_only_documents_of_enough_sentences() -> None:
    """The combiner learned on documents of MIN_DOCUMENT_SENTENCES sentences or more: no style part below."""
    model = load_model()
    sentence = "The council agreed on Tuesday that the old bridge over the river would be rebuilt next year."
    short = model.paragraphs([" ".join([sentence] * (MIN_DOCUMENT_SENTENCES - 1))])
    long = model.paragraphs([" ".join([sentence] * (MIN_DOCUMENT_SENTENCES + 5))])
    assert model.document_style(short) == 0.0
    assert model.document_style(long) > 0.0


def test_long_documents_are_judged_on_a_spread_sample_and_flagged_ones_read_whole() -> None:
    """A document's style is read on MAX_DOCUMENT_SENTENCES sentences spread over it; the paragraphs of a
    flagged document are scored on all their sentences, for their flags and evidence."""
    model = load_model()
    paragraphs = [f"{GARBLED} {NATIVE}" for _ in range(MAX_DOCUMENT_SENTENCES)]  # 80 style sentences
    sampled = model.paragraphs(paragraphs, MAX_DOCUMENT_SENTENCES)
    read = [len(score.style_logits) for score in sampled]
    assert sum(read) == MAX_DOCUMENT_SENTENCES and read[0] == 1 and read[-1] >= 1  # first and last paragraphs
    assert [len(score.style_logits) for score in model.paragraphs(paragraphs, 1)][:2] == [1, 0]
    whole = model.paragraphs(paragraphs)
    doc = Document(id="long", source="long.txt", raw="", text="\n\n".join(paragraphs))
    ScoreMachineTranslation(Settings()).process(doc)
    assert doc.mt_score == model.document(paragraphs) and doc.mt_flagged
    assert [p["score"] for p in doc.mt_paragraphs] == [round(score.score, 4) for score in whole]
