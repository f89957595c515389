"""The issue/product classifier against emails our simulator did not write: the labelled corpus
is what it claims to be, and the model holds on a writer it was not trained on."""

from __future__ import annotations

import json
import statistics

from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.effort.corpus import labelled_emails
from rightturn.effort.focus import classify_focus, classify_many, evaluate_focus, lexicon_focus


def test_the_corpus_is_200_plus_emails_by_several_writers_with_both_labels() -> None:
    emails = labelled_emails()
    assert len(emails) >= 200
    assert len({e["id"] for e in emails}) == len(emails)
    writers = {e["id"].split("-")[0] for e in emails}
    assert len(writers) >= 3 and len({e["author"] for e in emails}) >= 30
    assert len({e["industry"] for e in emails}) >= 30
    for w in writers:
        labels = {e["focus"] for e in emails if e["id"].startswith(f"{w}-")}
        assert labels == {"issue", "product"}, w
    # Length alone does not give the label away: long issue mail and short product mail exist.
    words = {lab: [len(e["body"].split()) for e in emails if e["focus"] == lab]
             for lab in ("issue", "product")}  # fmt: skip
    assert sum(n >= 150 for n in words["issue"]) >= 20
    assert sum(n <= 60 for n in words["product"]) >= 20
    assert abs(statistics.median(words["issue"]) - statistics.median(words["product"])) < 50


def test_the_model_holds_on_a_writer_it_was_not_trained_on() -> None:
    model, lexicon = evaluate_focus()
    assert model.emails == lexicon.emails >= 200
    assert all(acc >= 0.9 for acc in model.by_writer.values()), model.by_writer
    assert model.accuracy >= 0.92 and model.clear >= model.hard
    assert lexicon.accuracy >= 0.8
    assert model.accuracy > lexicon.accuracy
    assert sum(model.confusion.values()) == model.emails


def test_plain_cases_and_one_pass_over_many() -> None:
    issue = "Hi Dana, noticed you are hiring 12 drivers in Ohio. How are you handling the backlog?"
    product = "Our platform now includes AI-powered routing, a new dashboard and 40+ integrations."
    assert classify_focus(issue) == "issue" and classify_focus(product) == "product"
    assert classify_many([issue, product]) == ["issue", "product"] and classify_many([]) == []
    assert lexicon_focus(issue).label == "issue" and lexicon_focus(product).label == "product"
    assert lexicon_focus(product).product_points > lexicon_focus(product).issue_points


def test_the_focus_accuracy_command() -> None:
    result = CliRunner().invoke(app, ["effort", "focus-accuracy", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [f["name"] for f in found][1] == "lexicon"
    assert {"accuracy", "by_writer", "hard", "clear", "confusion", "emails"} <= set(found[0])
