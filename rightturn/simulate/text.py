"""Message bodies: brief issue-focused and verbose product-centric seller mail, buyer replies,
and the noise (newsletters, auto-replies, internal and personal mail).

Paragraphs are single unwrapped lines (well under the 998-octet limit), as modern clients
send them; this keeps body generation a handful of string formats per message.
"""

from __future__ import annotations

import random

from .org import PRODUCTS

# Brief, issue-focused openers: 40-110 words about a problem the buyer has, not the product.
BRIEF = {
    "brief-forecast-miss": (
        "Forecast calls at {company}",
        "Hi {first},\n\nMost sales leaders I speak with in {industry} tell me the forecast they "
        "send up on Monday is different from the one that lands at quarter end, and nobody can "
        "say which deals moved or why.\n\nIs that something you are dealing with at {company} "
        "this quarter? If it is, I can share what two teams like yours changed to get within "
        "five percent. Worth a 15-minute call next week?\n\n{rep_first}",
    ),
    "brief-data-entry": (
        "Your reps and the CRM",
        "Hi {first},\n\nQuick question: how many hours a week do your reps at {company} spend "
        "typing emails and calls into the CRM instead of selling?\n\nFrom what we see, it is "
        "often a full day, and the data is still patchy when you need it for pipeline "
        "reviews.\n\nIf that rings true, happy to show you how other {industry} teams got that "
        "day back. Open to a short conversation?\n\n{rep_first}",
    ),
    "brief-slipping-deals": (
        "Deals that slip",
        "Hi {first},\n\nWhen a deal at {company} slips a quarter, do you find out before or "
        "after the commit call?\n\nMost managers tell me they learn it late, because the "
        "warning signs (a quiet champion, a single contact, a close date pushed twice) are "
        "buried in inboxes.\n\nIf catching those earlier matters to you this half, I would "
        "be glad to compare notes. Does Thursday work?\n\n{rep_first}",
    ),
    "brief-ramp-time": (
        "New hires ramping at {company}",
        "Hi {first},\n\nHow long does it take a new rep at {company} to reach full "
        "productivity?\n\nIn {industry} we usually hear six to nine months, mostly spent "
        "learning by trial and error which messages buyers answer.\n\nA few teams have cut "
        "that in half by showing new hires what already works in their own data. Would a "
        "quick look at how they did it be useful?\n\n{rep_first}",
    ),
    "brief-coverage": (
        "Pipeline coverage question",
        "Hi {first},\n\nIs pipeline coverage at {company} where you need it for next "
        "quarter, or is the team chasing volume to make up for deals that never "
        "close?\n\nI ask because more activity rarely fixes it; better targeted activity "
        "does. If this is on your list, I can send over a one-page summary of what we have "
        "seen work. Interested?\n\n{rep_first}",
    ),
    "brief-rep-churn": (
        "Keeping your best reps",
        "Hi {first},\n\nWhen a top rep leaves {company}, how much of their pipeline knowledge "
        "walks out with them?\n\nFor most {industry} teams it is nearly all of it: contacts, "
        "history and the next steps live in one person's inbox.\n\nIf that risk is on your "
        "mind this year, I would welcome 15 minutes to hear how you handle it "
        "today.\n\n{rep_first}",
    ),
}
BRIEF_FOLLOWUP = {
    "brief-followup-bump": (
        "Hi {first},\n\nFloating this back up in case it got buried. If forecast accuracy or "
        "rep time is not a priority at {company} right now, just say so and I will leave you "
        "in peace. If it is, a 15-minute call is all it takes to see whether we can help.\n\n"
        "{rep_first}"
    ),
    "brief-followup-question": (
        "Hi {first},\n\nOne more thought: the teams that fixed this first asked which deals "
        "slipped last quarter and why. Could you answer that for {company} today? If not, a "
        "short call might be worth it, and I promise to keep it about your process.\n\n"
        "{rep_first}"
    ),
    "brief-followup-close": (
        "Hi {first},\n\nI have not heard back, so I assume the timing is off. I will close the "
        "loop for now. If missed forecasts or slipping deals come up at {company} later, "
        "you know where to find me. Good luck with the quarter.\n\n{rep_first}"
    ),
}
BRIEF_DEAL = {
    "brief-deal-next-step": (
        "Hi {first},\n\nThanks for the time today. As agreed, the next step is a 30-minute "
        "session with your sales ops lead to check how {product} fits your process. Does "
        "Tuesday or Wednesday suit better? I will send a short agenda beforehand so the "
        "session stays focused on your questions.\n\n{rep_first}"
    ),
    "brief-deal-proposal": (
        "Hi {first},\n\nAttached is the proposal for {company}: {seats} seats of {product}, "
        "scoped to the two issues you raised (late forecast changes and manual data entry). "
        "Happy to walk your CFO through it. What is the best time this week?\n\n{rep_first}"
    ),
    "brief-deal-checkin": (
        "Hi {first},\n\nChecking in on where things stand on your side. Is anything blocking "
        "the decision that I can help with, for example the security review or a reference "
        "call with a similar {industry} team? If priorities have shifted, that is useful "
        "to know too, so I can plan accordingly.\n\n{rep_first}"
    ),
    "brief-schedule": (
        "Hi {first},\n\nGreat to hear back. Would Tuesday at 10:00 or Thursday at 14:00 "
        "work for a short call? I will keep it to 20 minutes and focus on what you are "
        "seeing at {company}, not a product tour. Feel free to bring anyone who owns the "
        "forecast.\n\n{rep_first}"
    ),
}
# A rep writing to someone on an open deal about something else: another product.
CROSS_SELL_SUBJECTS = (
    "{product} for {company}?", "A question about {product}", "Have you looked at {product}?",
    "{product}: something for your other teams",
)  # fmt: skip
CROSS_SELL = {
    "brief-cross-sell-other-team": (
        "Hi {first},\n\nSeparate from what we are working on together: a few teams at companies "
        "like {company} also use {product}, mostly to save their managers a few hours a week. "
        "Would it be worth a short call with whoever owns that area on your side? No rush at "
        "all.\n\n{rep_first}"
    ),
    "brief-cross-sell-event": (
        "Hi {first},\n\nUnrelated to our current project: we are running a short session on "
        "{product} for {industry} teams next month, with two customers walking through what "
        "changed for them. Shall I save you or a colleague a seat? Happy to send the agenda "
        "first.\n\n{rep_first}"
    ),
}
VERBOSE_INTRO = {
    "verbose-feature-tour": (
        "Introducing {product} for {company}",
        "Hi {first},\n\nI hope this message finds you well. My name is {rep_first} and I work "
        "with sales organisations across {industry} at Brightwave, the leading platform for "
        "revenue intelligence. I wanted to take a moment to walk you through our product "
        "suite and some of the capabilities our customers value most, because I believe "
        "{company} could benefit from several of them.",
    ),
    "verbose-platform-overview": (
        "Brightwave platform overview",
        "Dear {first},\n\nBrightwave offers a complete, end-to-end revenue platform that "
        "brings together forecasting, activity capture, pipeline analytics, deal rooms and "
        "coaching in one place. Below is an overview of the main modules and features, so "
        "that you and the team at {company} can see the full breadth of what we provide.",
    ),
    "verbose-release-notes": (
        "What's new in {product}",
        "Hi {first},\n\nWe have just shipped our biggest release of the year and I wanted "
        "to share the highlights with you and {company}. There are a number of new features "
        "and improvements across the whole Brightwave platform, including {product}, which "
        "I have summarised in detail below.",
    ),
    "verbose-deal-recap": (
        "Recap: {product} for {company}",
        "Hi {first},\n\nThank you again for your time. As promised, here is a detailed recap "
        "of everything we covered about {product} and the wider Brightwave platform, "
        "including the features we discussed and a few we did not have time to get to.",
    ),
}
FEATURES = {
    PRODUCTS[0].name: [
        "{p} builds a forecast from every open opportunity using machine-learned scoring "
        "models, roll-ups by team, region and segment, scenario planning with best case and "
        "commit views, and weekly snapshots you can compare over time. It includes "
        "configurable forecast categories, manager overrides with audit trails, quota "
        "attainment tracking and export to spreadsheets and BI tools.",
        "With {p} you also get backtesting of forecast accuracy, pacing charts against "
        "quota, variance alerts when a team's call moves more than a set threshold, and a "
        "fully customisable dashboard with more than forty widgets, filters and drill-downs "
        "for every level of the organisation.",
    ],
    PRODUCTS[1].name: [
        "{p} connects to mail servers, calendars and phone systems to record emails, "
        "meetings and calls automatically. It supports IMAP, Exchange, Google Workspace and "
        "all major telephony providers, matches activity to contacts, accounts and "
        "opportunities, and includes privacy controls, exclusion lists and retention "
        "policies configurable per team.",
        "{p} also offers real-time sync, duplicate detection, signature parsing to enrich "
        "contact records, attachment indexing, full audit logs, role-based permissions, "
        "single sign-on, and an open API with webhooks so that captured activity can flow "
        "into any downstream system you already use.",
    ],
    PRODUCTS[2].name: [
        "{p} provides pipeline analytics including stage conversion rates, velocity by "
        "segment, deal ageing, coverage ratios, win-loss analysis and cohort views. Reports "
        "can be scheduled, shared and embedded, and every chart supports filtering by "
        "product, territory, rep, source and custom fields.",
        "Advanced features of {p} include funnel benchmarks against peer companies, "
        "automated insights written in plain language, anomaly detection on stage "
        "movements, and an administration console with more than one hundred configuration "
        "options for field mappings and calculations.",
    ],
    PRODUCTS[3].name: [
        "{p} gives every opportunity a shared digital room where buyers and sellers "
        "exchange proposals, mutual action plans, pricing, security documents and contracts. "
        "It tracks engagement by stakeholder, supports e-signature and branded templates, "
        "and notifies the owner when documents are opened or forwarded.",
    ],
    PRODUCTS[4].name: [
        "{p} delivers coaching workflows with call libraries, scorecards, skill "
        "assessments, onboarding paths, certifications and leaderboards. Managers can "
        "assign learning content, review recorded calls with time-stamped comments and "
        "track progress across the whole team in configurable reports.",
    ],
}
_GENERIC_FEATURES = [
    "All Brightwave products share a common platform with enterprise-grade security: SOC 2 "
    "Type II and ISO 27001 certification, encryption at rest and in transit, regional data "
    "residency in the US and EU, granular permissions, SCIM provisioning and a 99.9% uptime "
    "SLA backed by 24/7 support.",
    "Implementation is handled by our professional services team, who provide project "
    "management, data migration, configuration workshops, admin training and a dedicated "
    "customer success manager, with most customers live within four to eight weeks and "
    "access to our online academy with more than two hundred courses.",
    "Brightwave integrates out of the box with Salesforce, HubSpot, Microsoft Dynamics, "
    "Slack, Microsoft Teams, Zoom, Gong, Outreach, Snowflake and more than sixty other "
    "applications, and our marketplace adds new connectors every month.",
]
VERBOSE_CLOSE = (
    "\n\nPricing is flexible and based on the number of seats and modules, with discounts "
    "for multi-year agreements. I would be happy to set up a full demonstration of the "
    "platform for you and your team, and to send over case studies, data sheets and a "
    "detailed pricing proposal. Please let me know a few times that work for you.\n\nBest "
    "regards,\n{rep_first}"
)

BUYER_REPLIES = [
    "Hi {rep_first},\n\nTimely note. We missed our forecast by a wide margin last quarter "
    "and I would like to understand what others did. Thursday afternoon works.\n\n{first}",
    "{rep_first},\n\nThis is on my list. Can you send a few times next week?\n\nThanks,\n{first}",
    "Hi {rep_first},\n\nNot a priority for us right now, maybe revisit in Q3.\n\n{first}",
    "Hello {rep_first},\n\nI am not the right person; loop in our sales ops lead. Happy to "
    "make an introduction if useful.\n\nRegards,\n{first}",
    "Hi,\n\nWhat does pricing look like for a team of about {seats}?\n\n{first}",
    "Thanks {rep_first}. Yes, our reps complain about data entry constantly. "
    "Let's talk.\n\n{first}",
]
BUYER_DEAL_MAIL = [
    (
        "Security questionnaire",
        "Hi {rep_first},\n\nOur IT team needs the security "
        "questionnaire completed before we can move forward. Attached.\n\n{first}",
    ),
    (
        "Pricing question",
        "Hi {rep_first},\n\nCan you clarify whether the price for "
        "{product} includes implementation?\n\nThanks,\n{first}",
    ),
    (
        "Contract redlines",
        "{rep_first},\n\nLegal sent back redlines on the order form. "
        "Mostly the liability cap. Can your team review?\n\n{first}",
    ),
    (
        "Budget update",
        "Hi {rep_first},\n\nQuick update: budget approval moved to next "
        "month's board meeting. I will keep you posted.\n\n{first}",
    ),
    (
        "Reference call",
        "Hi {rep_first},\n\nCould we speak with another {industry} "
        "customer before we decide?\n\n{first}",
    ),
]
AUTO_REPLY = (
    "I am out of the office until {back} with limited access to email. For urgent matters "
    "please contact our main office.\n\nThank you,\n{name}"
)
NEWSLETTERS = [
    ("SaaS Sales Weekly", "news@saassalesweekly.com", "weekly.saassalesweekly.com"),
    ("RevOps Digest", "digest@revopsdigest.io", "digest.revopsdigest.io"),
    ("The Pipeline Post", "editor@pipelinepost.net", "post.pipelinepost.net"),
    ("Brightwave All-Hands", "allhands@lists.brightwave.io", "allhands.lists.brightwave.io"),
    ("Conference Updates", "updates@salesconf-events.com", "updates.salesconf-events.com"),
]
NEWSLETTER_BODY = (
    "From the editor: this week we look at {topic}.\n\n"
    "1. Why {topic} is the question every CRO is asking this quarter.\n"
    "2. Five charts on win rates by deal size.\n"
    "3. Interview: building a sales team from 10 to 100 reps.\n\n"
    "From our sponsors: register for the virtual summit on {date}.\n\n"
    "You are receiving this because you subscribed. Unsubscribe at any time."
)
NEWS_TOPICS = [
    "forecast accuracy", "sales capacity planning", "pipeline hygiene", "pricing discipline",
    "the death of the cold call", "multi-threading", "territory design", "rep onboarding",
]  # fmt: skip
INTERNAL = [
    (
        "Deal review: {account}",
        "Hey {to_first},\n\nCan you take a look at the {account} "
        "opportunity before Thursday? I think we need a second pair of eyes on pricing.\n\n"
        "{from_first}",
    ),
    (
        "Forecast call notes",
        "Hi {to_first},\n\nNotes from today's forecast call are in the "
        "team folder. Please update your commit numbers by Friday.\n\n{from_first}",
    ),
    (
        "Quick question",
        "{to_first} - do you have a case study for {industry}? A prospect "
        "asked.\n\nThanks!\n{from_first}",
    ),
    (
        "Discount approval",
        "Hi {to_first},\n\nRequesting approval for a 15% discount on "
        "{account}. They are comparing us with a competitor.\n\n{from_first}",
    ),
    ("Lunch?", "{to_first}, lunch today at 12:30?\n\n{from_first}"),
]
PERSONAL = [
    ("Saturday plans", "Hey {first}!\n\nAre we still on for Saturday? Let me know.\n\n{name}"),
    ("Photos from the trip", "Hi {first},\n\nFinally uploaded the photos. So good!\n\n{name}"),
    ("Happy birthday!", "Happy birthday {first}! Dinner next week?\n\n{name}"),
    ("Re: the book", "From what I remember you said you'd lend it to me :)\n\n{name}"),
]
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com")


def word_count(text: str) -> int:
    """Words in a body, signature excluded (the part after the "-- " line)."""
    return len(text.split("\n-- \n", 1)[0].split())


def brief_opening(rng: random.Random, fields: dict[str, str]) -> tuple[str, str, str]:
    """(template id, subject, body) for a brief first touch."""
    tid = rng.choice(list(BRIEF))
    subject, body = BRIEF[tid]
    return tid, subject.format(**fields), body.format(**fields)


def brief_followup(rng: random.Random, fields: dict[str, str]) -> tuple[str, str]:
    """(template id, body) for a brief follow-up touch."""
    tid = rng.choice(list(BRIEF_FOLLOWUP))
    return tid, BRIEF_FOLLOWUP[tid].format(**fields)


def brief_deal(rng: random.Random, fields: dict[str, str], tid: str | None = None):
    """(template id, body) for a brief rep mail on a live deal."""
    if tid is None:
        tid = rng.choice(("brief-deal-next-step", "brief-deal-proposal", "brief-deal-checkin"))
    return tid, BRIEF_DEAL[tid].format(**fields)


def cross_sell(rng: random.Random, fields: dict[str, str]) -> tuple[str, str]:
    """(template id, body) for a brief mail about another product to a deal contact."""
    tid = rng.choice(list(CROSS_SELL))
    return tid, CROSS_SELL[tid].format(**fields)


def verbose(rng: random.Random, fields: dict[str, str], tid: str | None = None):
    """(template id, subject, body): 220-450 words leading with product features."""
    if tid is None:
        tid = rng.choice(
            ("verbose-feature-tour", "verbose-platform-overview", "verbose-release-notes")
        )
    subject, intro = VERBOSE_INTRO[tid]
    parts = [intro.format(**fields)]
    words = len(parts[0].split()) + 60  # the closing paragraph
    pool = [f.format(p=p) for p, fs in FEATURES.items() for f in fs] + _GENERIC_FEATURES
    main = [f.format(p=fields["product"]) for f in FEATURES[fields["product"]]]
    rng.shuffle(pool)
    for para in main + pool:
        n = len(para.split())
        if words >= 230 and (words + n > 440 or rng.random() < 0.3):
            break
        if para not in parts:
            parts.append(para)
            words += n
    return tid, subject.format(**fields), "\n\n".join(parts) + VERBOSE_CLOSE.format(**fields)


def quote(prev_text: str, when: str, who: str) -> str:
    """The attribution line and "> "-quoted previous message, as mail clients add it."""
    lines = "\n".join("> " + ln if ln else ">" for ln in prev_text.rstrip("\n").split("\n"))
    return f"On {when}, {who} wrote:\n{lines}\n"
