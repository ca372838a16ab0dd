"""MinHash signatures of word n-gram sets, computed for many documents at once with numpy.

Why not `datasketch.MinHash.update_batch` per document: it calls a Python hash function once
per shingle, which costs far more than the permutations. Here a whole batch of texts becomes one
array of code points, and every step after that (normalising, word hashing, n-gram hashing,
permutations, minimum) is a numpy operation over the batch. With `numba` installed (the `fast`
extra), the two steps that numpy needs many passes for run as compiled loops instead: word hashing
(one pass over the code points instead of about ten) and the permutations (the minimum kept in a
row per document instead of a permuted copy of every shingle). Same values either way; numba
caches the compiled code on disk, so only the first run on a machine pays about 1.5 s to compile.

The values are `datasketch`'s: the permutations are those of `MinHash(num_perm, seed)` in its
default "affine32" scheme (drawn here the way datasketch draws them, see `permutations`), applied
to `shingle_hash` of each shingle. So
`MinHash(num_perm, seed, hashfunc=shingle_hash).update_batch(shingles(normalise(text), n))`
gives the same hash values, and `as_lean_minhash` rows go into `datasketch`'s LSH and storage
unchanged (tests/test_dedup.py checks both).

Normalising: every code point is lower-cased on its own and anything that is not a letter
(punctuation, digits, underscores, symbols, spaces) separates words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .compiled import jit, numba  # optional: compiled loops, the same values, about 3x faster signing

if TYPE_CHECKING:
    import datasketch

SCHEME = "affine32"  # datasketch's default permutation scheme since 2.0
EMPTY = np.uint32(0xFFFFFFFF)  # the value of a permutation that saw no shingle (datasketch's too)
_MASK64 = (1 << 64) - 1
_WORD_BASE = 0xD6E8FEB86659FD93  # odd, so invertible modulo 2**64: a word hash is a polynomial in it
_WORD_BASE_INVERSE = pow(_WORD_BASE, -1, 1 << 64)
_NGRAM_MULTIPLIER = 0x9E3779B97F4A7C15  # odd, so the Horner step of `shingle_hash` loses nothing
_CHUNK_COLUMNS = 4096  # shingles per permutation block (fastest measured on this machine)


def _fmix(h: np.ndarray, shift1: int, multiplier1: int, shift2: int, multiplier2: int, shift3: int) -> np.ndarray:
    """MurmurHash3's finaliser (a bijection), in place; the constants pick the width."""
    kind = h.dtype.type
    h ^= h >> kind(shift1)
    h *= kind(multiplier1)
    h ^= h >> kind(shift2)
    h *= kind(multiplier2)
    h ^= h >> kind(shift3)
    return h


def _fmix64(h: np.ndarray) -> np.ndarray:
    """The 64-bit finaliser, on a uint64 array: mixes word and n-gram hashes."""
    return _fmix(h, 33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The 32-bit finaliser, on a uint32 array: datasketch applies it to every input hash."""
    return _fmix(h, 16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


if numba is not None:
    @jit
    def _fmix64_compiled(h):  # pragma: no cover - compiled
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        return h ^ (h >> np.uint64(33))

    @jit
    def _words_compiled(codes, table, doc_starts, words, word_doc):  # pragma: no cover - compiled
        """`Signer._words` in one pass over the code points: word hashes and their documents."""
        base = np.uint64(_WORD_BASE)
        count = 0
        doc = 0
        h = np.uint64(0)
        power = np.uint64(1)
        inside = False
        last = doc_starts.shape[0] - 1
        for i in range(codes.shape[0]):
            letter = table[codes[i]]
            if letter != 0:
                if not inside:
                    while doc < last and doc_starts[doc + 1] <= i:
                        doc += 1
                    inside, h, power = True, np.uint64(0), np.uint64(1)
                h += np.uint64(letter) * power
                power *= base
            elif inside:
                inside = False
                words[count], word_doc[count] = _fmix64_compiled(h), doc
                count += 1
        if inside:
            words[count], word_doc[count] = _fmix64_compiled(h), doc
            count += 1
        return count

    @jit
    def _permute_compiled(hashes, owners, a, b, out):  # pragma: no cover - compiled
        """`Signer._permute`: one pass over the shingles, the permutations in the inner loop."""
        for i in range(hashes.shape[0]):
            h = hashes[i]
            row = out[owners[i]]
            for p in range(a.shape[0]):
                row[p] = min(row[p], np.uint32(a[p] * h + b[p]))


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of `datasketch.MinHash(num_perm, seed).permutations` in the "affine32" scheme (odd a):
    drawn here as datasketch draws them, because importing datasketch pulls in scipy, half a second
    of every run's start-up. tests/test_dedup.py checks that they are datasketch's."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return a, generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)


@functools.lru_cache(maxsize=1)
def _letter_table() -> np.ndarray:
    """Lower-case code point of every letter, 0 for everything else: one lookup per code point."""
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")  # 10x "".join(map(chr))
    everything = every.replace("\u0130", "i")  # İ lowers to two code points
    lowered = everything.lower()
    assert len(lowered) == len(everything)
    letters = re.sub(r"[\W\d_]", "\0", lowered)
    table = np.frombuffer(letters.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    table[0xD800:0xE000] = 0
    return table


def _letters(text: str) -> np.ndarray:
    """The text as normalised code points (0 between words)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _letter_table()[codes]


def normalise(text: str) -> list[str]:
    """The words of `text` as shingling sees them: lower-cased letters, everything else a separator."""
    letters = _letters(text).tobytes().decode("utf-32-le", "surrogatepass")
    return [word for word in letters.split("\0") if word]


def shingles(words: list[str], size: int) -> list[bytes]:
    """Word n-grams joined by spaces; a document shorter than `size` words is one shingle."""
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words).encode()]
    return [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]


def _word_hash_int(word: str) -> int:
    h = sum(ord(char) * pow(_WORD_BASE, position, 1 << 64) for position, char in enumerate(word))
    return _fmix64_int(h & _MASK64)


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit hash of one shingle, as `datasketch.MinHash(hashfunc=...)` takes it.

    A word hashes to a polynomial over its code points, mixed; the n-gram hash is a polynomial over
    its word hashes, mixed, top 32 bits. `Signer` computes exactly this, vectorised.
    """
    h = 0
    for word in shingle.decode().split(" "):
        h = (h * _NGRAM_MULTIPLIER + _word_hash_int(word)) & _MASK64
    return _fmix64_int(h) >> 32


@dataclass
class Signed:
    """Signatures of a batch: row i belongs to text i."""

    signatures: np.ndarray  # uint32 [texts, num_perm]
    sizes: np.ndarray  # int64 [texts]: distinct shingles
    keys: np.ndarray  # uint64 [texts]: hash of the whole word sequence, for exact duplicates


class Signer:
    """Computes MinHash signatures of word n-gram sets for batches of texts."""

    def __init__(self, num_perm: int, shingle_size: int, seed: int = 1, compiled: bool | None = None) -> None:
        if compiled and numba is None:
            raise ImportError("compiled signing needs numba (pip install 'cleaner[fast]')")
        self.compiled = numba is not None if compiled is None else compiled  # False: numpy only
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        a, b = permutations(num_perm, seed)
        self._a = np.ascontiguousarray(a, dtype=np.uint32)
        self._b = np.ascontiguousarray(b, dtype=np.uint32)[:, None]
        self._buffer = np.empty((num_perm, _CHUNK_COLUMNS), dtype=np.uint32)
        self._powers = np.ones(1, dtype=np.uint64)  # _WORD_BASE ** i, grown on demand
        self._inverse_powers = np.ones(1, dtype=np.uint64)
        _letter_table()
        if self.compiled:
            self.sign([""])  # loads the compiled code (a quarter of a second) here, once, before workers fork

    def _power_tables(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        """Powers of the word base and of its inverse modulo 2**64, at least `length` of each."""
        if len(self._powers) < length:
            size = max(length, 2 * len(self._powers))
            self._powers = np.cumprod(np.full(size, _WORD_BASE, dtype=np.uint64)) * np.uint64(_WORD_BASE_INVERSE)
            self._inverse_powers = np.cumprod(np.full(size, _WORD_BASE_INVERSE, dtype=np.uint64))
            self._inverse_powers *= np.uint64(_WORD_BASE)
        return self._powers, self._inverse_powers

    def sign(self, texts: list[str]) -> Signed:
        """Signatures, shingle-set sizes and exact keys of `texts`, all in one pass."""
        count = len(texts)
        doc_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        words, word_doc = self._words("\0".join(texts), doc_starts)
        words_per_doc = np.bincount(word_doc, minlength=count)
        keys = self._exact_keys(words, word_doc, words_per_doc)
        hashes, owners = self._shingle_hashes(words, word_doc, words_per_doc)
        keyed = np.sort((owners.astype(np.uint64) << np.uint64(32)) | hashes)
        unique = keyed[np.concatenate(([True], keyed[1:] != keyed[:-1]))] if len(keyed) else keyed
        owners = (unique >> np.uint64(32)).astype(np.int64)
        hashes = _fmix32(unique.astype(np.uint32))
        sizes = np.bincount(owners, minlength=count)
        return Signed(self._permute(hashes, owners, count), sizes, keys)

    def _words(self, text: str, doc_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mixed hash of every word of `text` and the document (by start offset) it belongs to."""
        if self.compiled:
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            most = len(codes) // 2 + 1  # words are separated by at least one code point
            words, word_doc = np.empty(most, dtype=np.uint64), np.empty(most, dtype=np.int64)
            found = _words_compiled(codes, _letter_table(), doc_starts.astype(np.int64), words, word_doc)
            return words[:found], word_doc[:found]
        letters = _letters(text)
        # Word hashes from prefix sums: sum(c_j * B**j) over a word, shifted back to its start.
        edges = np.flatnonzero(np.diff(np.concatenate(([0], (letters != 0).view(np.int8), [0]))))
        starts, ends = edges[0::2], edges[1::2]
        powers, inverse_powers = self._power_tables(len(letters) + 1)
        prefix = np.zeros(len(letters) + 1, dtype=np.uint64)
        np.cumsum(letters * powers[:len(letters)], out=prefix[1:])
        words = _fmix64((prefix[ends] - prefix[starts]) * inverse_powers[starts])
        return words, np.searchsorted(doc_starts, starts, "right") - 1

    def _exact_keys(self, words: np.ndarray, word_doc: np.ndarray, words_per_doc: np.ndarray) -> np.ndarray:
        """Position-keyed sum of word hashes: equal for equal word sequences."""
        first = np.concatenate(([0], np.cumsum(words_per_doc)[:-1]))
        position = np.arange(len(words), dtype=np.uint64) - first[word_doc].astype(np.uint64)
        mixed = _fmix64(words * np.uint64(_NGRAM_MULTIPLIER) + position)
        keys = np.zeros(len(words_per_doc), dtype=np.uint64)
        nonempty = words_per_doc > 0
        if nonempty.any():
            keys[nonempty] = np.add.reduceat(mixed, first[nonempty])
        return keys

    def _shingle_hashes(self, words: np.ndarray, word_doc: np.ndarray,
                        words_per_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """32-bit `shingle_hash` of every n-gram within a document, and the document it belongs to."""
        n = self.shingle_size
        multiplier = np.uint64(_NGRAM_MULTIPLIER)
        total = len(words) - n + 1
        if total > 0:
            grams = words[:total].copy()
            for k in range(1, n):
                grams *= multiplier
                grams += words[k:k + total]
            inside = word_doc[:total] == word_doc[n - 1:]
            grams, owners = grams[inside], word_doc[:total][inside]
        else:
            grams, owners = np.empty(0, np.uint64), np.empty(0, np.int64)
        short = np.flatnonzero((words_per_doc > 0) & (words_per_doc < n))
        if len(short):  # documents shorter than n words are one shingle of all their words
            first = np.concatenate(([0], np.cumsum(words_per_doc)[:-1]))
            extra = np.zeros(len(short), dtype=np.uint64)
            for k in range(n - 1):
                take = words_per_doc[short] > k
                extra[take] = extra[take] * multiplier + words[first[short[take]] + k]
            grams = np.concatenate((grams, extra))
            owners = np.concatenate((owners, short))
        return (_fmix64(grams) >> np.uint64(32)).astype(np.uint64), owners

    def _permute(self, hashes: np.ndarray, owners: np.ndarray, count: int) -> np.ndarray:
        """Minimum of `a * h + b mod 2**32` per permutation and document, in cache-sized blocks.

        Permutations are rows and shingles columns, so both the minimum and the per-document
        reduction run along contiguous memory.
        """
        out = np.full((count, self.num_perm), EMPTY, dtype=np.uint32)
        if self.compiled:
            _permute_compiled(hashes, owners, self._a, self._b[:, 0], out)
            return out
        for start in range(0, len(hashes), _CHUNK_COLUMNS):
            block = hashes[start:start + _CHUNK_COLUMNS]
            columns = self._buffer[:, :len(block)]
            np.multiply.outer(self._a, block, out=columns)
            columns += self._b
            mine = owners[start:start + _CHUNK_COLUMNS]
            cuts = np.flatnonzero(np.concatenate(([True], mine[1:] != mine[:-1])))
            docs = mine[cuts]
            out[docs] = np.minimum(out[docs], np.minimum.reduceat(columns, cuts, axis=1).T)
        return out

    def lean(self, signature: np.ndarray) -> datasketch.LeanMinHash:
        """A datasketch LeanMinHash with these hash values, for datasketch's LSH and storage."""
        import datasketch

        return datasketch.LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)
