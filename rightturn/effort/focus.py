"""Is a sales email about the buyer's issue or about the seller's product?

Seed 002's finding is that brief mail about the buyer's problem earns replies and verbose mail
about the product does not. Two classifiers say which of the two a message is:

* **the model** (:func:`classify_focus`, what rightturn uses): TF-IDF of words and word pairs
  and a logistic regression (scikit-learn defaults, not tuned), trained on the labelled corpus
  we ship (:mod:`rightturn.effort.corpus`: 240 emails by three writers who never saw our
  simulator). Its accuracy is measured **on a writer it was not trained on** (train on two
  writers' emails, test on the third, for each writer);
* **the lexicon** (:func:`lexicon_focus`, the baseline, and the words behind a call): *issue*
  points for the buyer addressed (*you*, *your* ...), words for a situation a buyer has
  (*problem*, *cost*, *delay*, *backlog*, *risk*, *goal*, *manual* ...: :data:`ISSUE`) and each
  question put to the buyer; *product* points for the seller speaking of itself (*we*, *our*)
  and words for what a seller offers (*platform*, *feature*, *integration*, *launch*, *award*,
  *demo* ...: :data:`PRODUCT`); topic words count twice, pronouns once, and an email is
  *issue* when its issue points are at least its product points. It was written before the
  corpus was read and is not tuned to it.

``rightturn effort focus-accuracy`` prints both accuracies; the README quotes them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from rightturn.effort.corpus import labelled_emails

__all__ = [
    "ISSUE",
    "PRODUCT",
    "FocusAccuracy",
    "FocusCall",
    "classify_focus",
    "classify_many",
    "evaluate_focus",
    "lexicon_focus",
    "questions",
]

_WORD = re.compile(r"[a-z][a-z'’-]*")
_SPLIT = re.compile(r"([.!?\n])")

YOU = frozenset({"you", "your", "yours", "you're", "you’re", "you've", "you’ve", "you'll",
                 "you’ll", "you'd", "you’d", "yourself", "yourselves"})  # fmt: skip
WE = frozenset({"we", "our", "ours", "us", "we're", "we’re", "we've", "we’ve", "we'll", "we’ll",
                "ourselves"})  # fmt: skip

# A situation a buyer has: problems, costs, risks, goals, how work is done today. Stems match
# any word they begin; words match whole.
ISSUE_STEMS = (
    "problem", "challeng", "struggl", "pain", "risk", "cost", "spend", "expens", "budget",
    "delay", "backlog", "bottleneck", "manual", "spreadsheet", "error", "mistake", "rework",
    "wast", "churn", "turnover", "attrition", "complian", "audit", "deadline", "goal",
    "priorit", "target", "growth", "growing", "hiring", "margin", "revenue", "pressure",
    "headache", "frustrat", "concern", "worr", "downtime", "outage", "penalt", "complain",
    "shortage", "overtime", "stuck", "forecast", "quarter", "expan", "initiative",
    "currently", "handl", "workflow", "season", "noticed", "congrat", "curious", "wonder",
)  # fmt: skip
ISSUE_WORDS = frozenset({
    "lose", "losing", "loss", "losses", "lost", "miss", "missed", "missing", "late", "slow",
    "slower", "gap", "gaps", "scale", "scaling", "hire", "hired", "plan", "planning", "today",
    "staff", "staffing", "team", "teams", "process", "processes", "peak", "saw", "fines",
})  # fmt: skip
# What a seller offers and says about itself.
PRODUCT_STEMS = (
    "platform", "solution", "product", "software", "suite", "feature", "functional", "module",
    "capabilit", "integrat", "dashboard", "release", "launch", "upgrade", "award", "founded",
    "trusted", "innovat", "cutting-edge", "state-of-the-art", "best-in-class", "seamless",
    "robust", "powerful", "comprehensive", "end-to-end", "all-in-one", "brochure", "datasheet",
    "overview", "webinar", "pricing", "licen", "discount", "certified", "patent", "configur",
    "customiz", "interface", "automat", "analytics", "portfolio", "catalog", "specification",
)  # fmt: skip
PRODUCT_WORDS = frozenset({
    "tool", "tools", "app", "apps", "api", "apis", "sso", "cloud", "version", "update",
    "updates", "new", "leading", "leader", "ai", "ai-powered", "powered", "demo", "demos",
    "price", "prices", "plans", "tier", "tiers", "trial", "offer", "offers", "offering",
    "partner", "install", "installation", "mobile", "range", "spec", "specs",
})  # fmt: skip
ISSUE = (ISSUE_STEMS, ISSUE_WORDS)
PRODUCT = (PRODUCT_STEMS, PRODUCT_WORDS)


@dataclass(frozen=True)
class FocusCall:
    """The call on one email, with the points behind it."""

    label: Literal["issue", "product"]
    issue_points: int
    product_points: int


@lru_cache(maxsize=200_000)
def _word_points(word: str) -> tuple[int, int]:
    """(issue, product) points of one word: a vocabulary is small, mail is long."""
    issue = word in YOU or 2 * (word in ISSUE_WORDS or word.startswith(ISSUE_STEMS))
    product = word in WE or 2 * (word in PRODUCT_WORDS or word.startswith(PRODUCT_STEMS))
    return int(issue), int(product)


def questions(text: str) -> list[str]:
    """The sentences of ``text`` that end in a question mark (linear: no backtracking)."""
    parts = _SPLIT.split(text)
    return [parts[i] for i in range(0, len(parts) - 1, 2) if parts[i + 1] == "?"]


def lexicon_focus(text: str) -> FocusCall:
    """The lexicon's call on one email's text (subject and body, quotes removed): the baseline
    the model is measured against, and the points say why."""
    lowered = (text or "").lower()
    points = [_word_points(w) for w in _WORD.findall(lowered)]
    asked = sum(1 for q in questions(lowered) if YOU.intersection(_WORD.findall(q)))
    issue = sum(i for i, _ in points) + 2 * asked
    product = sum(p for _, p in points)
    return FocusCall("issue" if issue >= product else "product", issue, product)


@dataclass(frozen=True)
class FocusAccuracy:
    """A classifier against the writers' labels: overall, per writer (the model: trained on the
    other writers), on the hard (mixed) and the clear emails, and (label -> call) counts."""

    name: str
    emails: int
    accuracy: float
    by_writer: dict[str, float]
    hard: float
    clear: float
    confusion: dict[str, int]


def _text(email: dict[str, Any]) -> str:
    return f"{email['subject']}\n{email['body']}"


def _fit(emails: list[dict[str, Any]]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=2000),
    )
    model.fit([_text(e) for e in emails], [e["focus"] for e in emails])
    return model


@lru_cache(maxsize=1)
def _model() -> Any:
    return _fit(labelled_emails())


def classify_many(texts: list[str]) -> list[str]:
    """``issue`` or ``product`` for each text (subject and body), by the model, in one pass."""
    if not texts:
        return []
    return [str(label) for label in _model().predict(texts)]


def classify_focus(text: str) -> str:
    """``issue`` or ``product`` for one email's text (subject and body), by the model."""
    return classify_many([text])[0]


def _accuracy(name: str, emails: list[dict[str, Any]], calls: list[str]) -> FocusAccuracy:
    right = [c == e["focus"] for c, e in zip(calls, emails, strict=True)]
    writers: dict[str, list[bool]] = {}
    for ok, e in zip(right, emails, strict=True):
        writers.setdefault(e["id"].split("-")[0], []).append(ok)

    def share(hits: list[bool]) -> float:
        return sum(hits) / len(hits) if hits else 0.0

    return FocusAccuracy(
        name,
        len(emails),
        share(right),
        {w: share(v) for w, v in sorted(writers.items())},
        share([ok for ok, e in zip(right, emails, strict=True) if e.get("hard")]),
        share([ok for ok, e in zip(right, emails, strict=True) if not e.get("hard")]),
        dict(Counter(f"{e['focus']} -> {c}" for c, e in zip(calls, emails, strict=True))),
    )


def evaluate_focus(emails: list[dict[str, Any]] | None = None) -> list[FocusAccuracy]:
    """The model (each writer's emails called by a model trained on the other writers') and the
    lexicon, against the labels of the corpus (or of ``emails``)."""
    emails = labelled_emails() if emails is None else emails
    writer = [e["id"].split("-")[0] for e in emails]
    calls: list[str] = [""] * len(emails)
    for w in sorted(set(writer)):
        held = [i for i, x in enumerate(writer) if x == w]
        model = _fit([e for e, x in zip(emails, writer, strict=True) if x != w])
        for i, label in zip(held, model.predict([_text(emails[i]) for i in held]), strict=True):
            calls[i] = str(label)
    lexicon: list[str] = [lexicon_focus(_text(e)).label for e in emails]
    return [
        _accuracy("model, on writers it was not trained on", emails, calls),
        _accuracy("lexicon", emails, lexicon),
    ]
