"""What each figure the panel shows means: one registry, read by the pages, their tooltips and
the glossary (``/glossary``), so a figure's name and meaning cannot drift between pages.

Each :class:`Figure` says what it counts, over which window, in which unit, and which domain
function computes it (``source``). A figure shown over two windows is two entries, named apart
("Win rate, this quarter" and "Win rate, all closed deals"): the same name never stands for two
numbers. Terms a manager may not know (P90, WIP, Little's law) are entries too, with no window.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIGURES", "PERIOD_WINDOWS", "WINDOWS", "Figure", "period_key"]

WINDOWS = {
    "quarter": "deals closed from the quarter's first day to the as-of date",
    "month": "deals closed from the month's first day to the as-of date",
    "to_date": "every deal closed by the as-of date, since the data starts",
    "as_of": "at the end of the as-of date",
    "26_weeks": "the 26 weeks up to the as-of date",
    "7_days": "the 7 days up to the as-of date, against the 7 days before",
    "change_sequences": "the prospecting sequences started in the weeks before a process version "
    "was applied, against those started in as many weeks after, each followed for 30 days from "
    "its first touch",
    "change_won": "the deals won in the weeks before a process version was applied, against "
    "those won in as many weeks after",
    "inspection": "every prospecting sequence started by the as-of date, each up to the as-of "
    "date or its end, against the process in force then",
    "stage_history": "every deal's stage history up to the as-of date, against the process in "
    "force then",
    "effort_period": "the outbound emails and calls of the period shown whose 14 days for an "
    "answer were over by the as-of date (the last 14 days' touches are left out: their buyers "
    "may still answer)",
    "effort_weeks": "each Monday-to-Sunday week in the org's time zone, of the touches whose 14 "
    "days for an answer were over by the as-of date",
    "effort_change": "the days from a change day against as many days just before it (at most "
    "the weeks asked for), of the touches whose 14 days for an answer were over by the as-of "
    "date",
    "coach_period": "the 26 weeks up to the as-of date (or the period asked for), of the "
    "outbound emails and calls whose 14 days for an answer were over by then",
    "note_weeks": "each Monday-to-Sunday week in the org's time zone from 4 weeks before a "
    "coaching note to the as-of date, of every outbound email and call (a share is known when "
    "the touch is made)",
}
PERIOD_WINDOWS = {"Q": "quarter", "M": "month"}


@dataclass(frozen=True)
class Figure:
    """One figure (or term): its key, the name a person reads, what it counts, its window
    (a key of :data:`WINDOWS`, or None for a term), its unit and the function computing it."""

    key: str
    name: str
    counts: str
    window: str | None
    unit: str
    source: str = ""

    @property
    def window_text(self) -> str:
        return WINDOWS[self.window] if self.window else ""

    @property
    def tooltip(self) -> str:
        """The one-line meaning shown on hover and read by screen readers."""
        over = f" Over {self.window_text}." if self.window else ""
        return f"{self.counts}.{over}"


def period_key(base: str, period: str | None) -> str:
    """The key of ``base`` over a period (``Q``/``M``), or over all closed deals (None)."""
    return base if period is None else f"{base}_{PERIOD_WINDOWS[period]}"


_SUMMARY = "rightturn.analytics.metrics.summary"
_WIN = "Deals won ÷ deals closed (won + lost), by count"
_DEAL = "The mean amount of the deals won"
_CYCLE = "Median days from a deal's creation to its win (lost deals are not counted)"
_WON_VALUE = "The amounts of the deals won, added up"

_WINDOWED = [
    # (base key, name, counts): one entry per window, named with the window.
    ("win_rate", "Win rate", _WIN),
    ("avg_deal", "Average won deal", _DEAL),
    ("cycle_days_median", "Sales cycle", _CYCLE),
    ("won_value", "Won value", _WON_VALUE),
]
_WINDOW_NAMES = {"to_date": "all closed deals", "quarter": "this quarter", "month": "this month"}
_UNITS = {"win_rate": "%", "avg_deal": "USD", "cycle_days_median": "days", "won_value": "USD"}


def _windowed() -> list[Figure]:
    out = []
    for base, name, counts in _WINDOWED:
        for window, words in _WINDOW_NAMES.items():
            key = base if window == "to_date" else f"{base}_{window}"
            out.append(Figure(key, f"{name}, {words}", counts, window, _UNITS[base], _SUMMARY))
    return out


_FIGURES = [
    *_windowed(),
    Figure(
        "open_value",
        "Open pipeline",
        "The amounts of the deals still open, added up",
        "as_of",
        "USD",
        _SUMMARY,
    ),
    Figure("open", "Open deals", "Deals neither won nor lost", "as_of", "deals", _SUMMARY),
    Figure(
        "coverage",
        "Coverage",
        "Open pipeline expected to close by the period's end ÷ the quota still to close in it "
        "(the period's share of the annual quota, less what was won in it so far)",
        "as_of",
        "x",
        "rightturn.analytics.metrics.rep_table",
    ),
    Figure(
        "required_coverage",
        "Coverage needed",
        "1 ÷ the rep's own win rate over all their closed deals, pulled toward their team's "
        "while they have few: a rep who wins 1 in 4 needs 4x",
        "to_date",
        "x",
        "rightturn.analytics.metrics.shrunk_win_rate",
    ),
    Figure(
        "stage_conversion",
        "Stage conversion",
        "Deals that reached the next stage ÷ deals that reached this one; a deal reached every "
        "stage up to the furthest it entered, a won deal all of them",
        "to_date",
        "%",
        "rightturn.analytics.metrics.conversion",
    ),
    Figure(
        "sales_velocity",
        "Sales velocity",
        "What the open pipeline turns into revenue a month: open deals × win rate × average won "
        "deal ÷ sales cycle (days) × 30, the last three over all closed deals",
        "to_date",
        "USD a month",
        "rightturn.analytics.health.velocity",
    ),
    Figure(
        "stalled",
        "Stalled deals",
        "Open deals in their current stage longer than that stage's P90 (longer than 9 in 10 "
        "deals that moved on from it)",
        "as_of",
        "deals",
        "rightturn.analytics.health.velocity",
    ),
    Figure(
        "time_in_stage",
        "Time in stage",
        "Days a deal spent in a stage before moving on, median and P90, over stays that ended",
        "to_date",
        "days",
        "rightturn.analytics.health.stage_times",
    ),
    Figure(
        "throughput",
        "Throughput",
        "Deals closed (won or lost) a week, on average, empty weeks included",
        "26_weeks",
        "deals a week",
        "rightturn.analytics.flow.flow",
    ),
    Figure(
        "wip",
        "Work in progress (WIP)",
        "Deals open at a week's end, on average",
        "26_weeks",
        "deals",
        "rightturn.analytics.flow.flow",
    ),
    Figure(
        "time_to_close",
        "Time to close",
        "Mean weeks from a deal's creation to its close, won or lost (what Little's law needs; "
        "the sales cycle counts wins only, by the median)",
        "26_weeks",
        "weeks",
        "rightturn.analytics.flow.flow",
    ),
    Figure(
        "top20_revenue_share",
        "Top 20% of reps' share of won value",
        "Won value of the fifth of reps who won most (at least one rep) ÷ all won value",
        "to_date",
        "%",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "emails_per_month",
        "Emails sent a month",
        "Outbound emails ÷ months since the first deal, per rep",
        "to_date",
        "emails",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "calls_per_month",
        "Calls made a month",
        "Outbound calls ÷ months since the first deal, per rep",
        "to_date",
        "calls",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "meetings_per_month",
        "Meetings booked a month",
        "Meetings the rep booked ÷ months since the first deal, per rep",
        "to_date",
        "meetings",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "buyer_response_rate",
        "Buyer responses per outbound activity",
        "Replies, call-backs and accepted meetings ÷ outbound emails, calls and meetings, per rep",
        "to_date",
        "%",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "deals_at_once",
        "Deals worked at once",
        "Days each of the rep's deals was open, added up ÷ days since the first deal",
        "to_date",
        "deals",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "win_rate_per_rep",
        "Win rate, average per rep",
        "Each rep's win rate (deals won ÷ deals closed), averaged over the reps of the group",
        "to_date",
        "%",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "avg_deal_per_rep",
        "Average won deal, average per rep",
        "Each rep's mean won amount, averaged over the reps of the group",
        "to_date",
        "USD",
        "rightturn.analytics.performers.pareto",
    ),
    Figure(
        "cycle_days_per_rep",
        "Sales cycle, average per rep",
        "Each rep's median days from creation to win, averaged over the reps of the group",
        "to_date",
        "days",
        "rightturn.analytics.performers.pareto",
    ),
    *(
        Figure(
            f"{kind}_7_days",
            f"{label}, last 7 days",
            counts,
            "7_days",
            unit,
            "rightturn.analytics.activity.week_over_week",
        )
        for kind, label, counts, unit in (
            ("email", "Emails", "Emails sent and received", "emails"),
            ("call", "Calls", "Calls made and taken", "calls"),
            ("meeting", "Meetings", "Meetings held", "meetings"),
            (
                "buyer_responses",
                "Buyer responses",
                "Replies, call-backs, accepted meetings and stage advances from buyers",
                "responses",
            ),
        )
    ),
    *(
        Figure(key, name, counts, window, unit, "rightturn.process.compare.compare_versions")
        for key, name, counts, window, unit in (
            (
                "touches_per_prospect",
                "Touches per prospect",
                "Outbound emails and calls to a prospect in the sequence's first 30 days, "
                "averaged over the sequences",
                "change_sequences",
                "touches",
            ),
            (
                "prospect_response_rate",
                "Prospects who responded",
                "Prospecting sequences the buyer answered (a reply, a call-back or a meeting) "
                "within 30 days of the first touch ÷ the sequences",
                "change_sequences",
                "%",
            ),
            (
                "prospect_meeting_rate",
                "Prospects to a meeting",
                "Prospecting sequences with a meeting with the prospect (held, or accepted by "
                "them) within 30 days of the first touch ÷ the sequences",
                "change_sequences",
                "%",
            ),
            (
                "prospect_opportunity_rate",
                "Prospects to an opportunity",
                "Prospecting sequences after which the rep opened an opportunity at the "
                "prospect's account (or naming them) within 30 days of the first touch ÷ the "
                "sequences",
                "change_sequences",
                "%",
            ),
            (
                "cycle_days_won",
                "Sales cycle, deals won in the window",
                "Median days from a deal's creation to its win, counting on both sides only cycles "
                "no longer than a deal won as the before window opened could have had",
                "change_won",
                "days",
            ),
        )
    ),
    *(
        Figure(key, name, counts, "inspection", unit, "rightturn.process.inspect.inspect_by")
        for key, name, counts, unit in (
            (
                "planned_touches_avg",
                "Touches planned per prospect",
                "The touches the cadence in force had made due by the as-of date, or by the "
                "sequence's end (a reply on day 3 plans only what was due by day 3), averaged "
                "over the sequences",
                "touches",
            ),
            (
                "actual_touches_avg",
                "Touches done per prospect",
                "The rep's emails and calls to the prospect in the sequence, averaged over the "
                "sequences",
                "touches",
            ),
            (
                "abandoned_before_3_share",
                "Abandoned before touch 3",
                "Sequences with no response, fewer than 3 touches and none for 14 days although "
                "the plan had reached touch 3 ÷ the sequences whose plan reached touch 3",
                "%",
            ),
            (
                "exit_violations",
                "Touches after a buyer responded",
                "Outbound touches after the buyer's reply, call-back or meeting that were not the "
                "rep's answer: the cadence kept going when it should have stopped",
                "touches",
            ),
            (
                "on_time_share",
                "Touches on time",
                "Touches made no later than a day after the cadence made them due ÷ the touches",
                "%",
            ),
            (
                "channel_followed_share",
                "Channel followed",
                "Touches made in the channel the cadence named for that touch ÷ the touches",
                "%",
            ),
            (
                "responded_share",
                "Prospects who responded, all sequences",
                "Sequences the buyer answered (a reply, a call-back or an accepted meeting) ÷ the "
                "sequences",
                "%",
            ),
            (
                "median_days_between_touches",
                "Days between touches",
                "The median days between one touch of a sequence and the next",
                "days",
            ),
        )
    ),
    *(
        Figure(
            key,
            name,
            counts,
            "stage_history",
            unit,
            "rightturn.process.conformance.check_conformance",
        )
        for key, name, counts, unit in (
            (
                "conforming_share",
                "Deals conforming",
                "Deals that entered the stages in order, one after the other, closed from where "
                "the process allows, and met each stage's criteria when they advanced ÷ the "
                "deals",
                "%",
            ),
            (
                "fitness_avg",
                "Fitness (token replay)",
                "How well each deal's stage path replays on the stage model (pm4py token-based "
                "replay: 1.00 is a path the model allows; skips and backward moves cost), "
                "averaged over the deals",
                "0-1",
            ),
            (
                "skipped_share",
                "Skipped a stage",
                "Deals that jumped over one or more open stages (created past the first, moved "
                "past the next, or won before the last) ÷ the deals",
                "%",
            ),
            (
                "backward_share",
                "Moved backward",
                "Deals that went back to an earlier stage, or out of a closed one ÷ the deals",
                "%",
            ),
            (
                "unmet_share",
                "Advances with criteria unmet",
                "Moves into a stage made before the exit criteria of the stage left or the entry "
                "criteria of the stage entered were met on the data (a day's grace) ÷ the moves "
                "into a stage",
                "%",
            ),
        )
    ),
    *(
        Figure(key, name, counts, window, unit, f"rightturn.effort.{source}")
        for key, name, counts, window, unit, source in (
            (
                "touch_response_rate",
                "Response rate per touch",
                "Outbound emails and calls the buyer answered within 14 days (a reply in the "
                "thread, a call back, or for prospecting a meeting) ÷ the emails and calls",
                "effort_period",
                "%",
                "rates.practice_rates",
            ),
            (
                "touch_response_rate_weekly",
                "Response rate per touch, week by week",
                "Each week's outbound emails and calls the buyer answered within 14 days ÷ the "
                "week's emails and calls",
                "effort_weeks",
                "%",
                "weekly.weekly_rates",
            ),
            (
                "touch_response_change",
                "Change in response rate",
                "The response rate per touch from the change day minus the rate in as many "
                "days before it, in points",
                "effort_change",
                "%",
                "weekly.before_after",
            ),
            (
                "prob_b_better",
                "Chance B is better",
                "How likely B's true response rate is higher than A's, given the touches so far "
                "(each rate a Beta posterior from a uniform prior)",
                "effort_period",
                "%",
                "stats.ab_test",
            ),
            (
                "expected_lift",
                "Expected lift",
                "B's response rate minus A's, in points: the posterior mean, with its 95% "
                "credible interval",
                "effort_period",
                "%",
                "stats.ab_test",
            ),
            (
                "more_touches_needed",
                "More touches needed",
                "Touches still to make on each of A and B before the test is decided, 8 times "
                "in 10, if the difference is what it has been so far (2 points while the two have "
                "responded alike)",
                "effort_period",
                "touches",
                "stats.more_touches_needed",
            ),
            (
                "within_rep_lift",
                "Lift within rep",
                "B's response rate minus A's inside each rep's own touches, combined over the "
                "reps who used both (Mantel-Haenszel): what a rep gains by switching, apart from "
                "which reps use B",
                "effort_period",
                "%",
                "stats.practice_effect",
            ),
        )
    ),
    Figure(
        "ab_decided",
        "Decided (A/B test)",
        "An A/B test is decided once the evidence for a difference reaches 20 to 1 (a mixture "
        "sequential test): of tests between two practices that respond alike, at most 1 in 20 "
        "is ever decided, however often anyone looks",
        None,
        "",
    ),
    *(
        Figure(key, name, counts, window, unit, f"rightturn.effort.{source}")
        for key, name, counts, window, unit, source in (
            (
                "coach_practice_share",
                "Share following a practice",
                "A rep's (a team's, the top group's) touches following the practice ÷ the touches "
                "it applies to: emails for brief, issue-focused, question and personal; every "
                "touch for morning",
                "coach_period",
                "%",
                "coach.scorecard",
            ),
            (
                "coach_within_rep",
                "Effect within rep",
                "The response-rate points a practice adds within each rep's own touches "
                "(Mantel-Haenszel over the org's reps): what a rep gets by taking it up, not "
                "what good reps who happen to use it get",
                "coach_period",
                "%",
                "coach.scorecard",
            ),
            (
                "coach_pooled",
                "Effect pooled",
                "The response rate of the org's touches following the practice minus the "
                "others', every rep's touches pooled; where it disagrees with the effect within "
                "rep, good reps use the practice more than it helps anyone",
                "coach_period",
                "%",
                "coach.scorecard",
            ),
            (
                "coach_gain_per_100",
                "Gain per 100 touches",
                "The responses per 100 touches a rep would gain by following the practice as "
                "often as the top group (the fifth of reps who won most): effect within rep × "
                "(the top group's share − the rep's)",
                "coach_period",
                "responses",
                "coach.scorecard",
            ),
            (
                "coach_note_share",
                "Share following the focus",
                "The rep's touches following a coaching note's practice ÷ the touches it "
                "applies to: each week's, and the weeks' before the note, since it and in the "
                "latest two",
                "note_weeks",
                "%",
                "notes.progress",
            ),
        )
    ),
    Figure(
        "interval_95",
        "95% interval",
        "The range that holds the true value 19 times in 20, given how many it was measured "
        "on: a wide one means few data, and a change whose interval spans 0 could be chance",
        None,
        "",
    ),
    Figure(
        "p90",
        "P90",
        "The 90th percentile: 9 in 10 values are below it, so it shows the slow tail a median "
        "hides",
        None,
        "",
    ),
    Figure(
        "littles_law",
        "Little's law",
        "In a steady pipeline, deals in progress = deals closed a week × weeks each takes; more "
        "in progress than that means deals pile up, fewer that the pipeline drains",
        None,
        "",
    ),
]

FIGURES: dict[str, Figure] = {f.key: f for f in _FIGURES}
