"""The API against its own OpenAPI document (issue 10, item 5): schemathesis runs every operation
on SQLite and PostgreSQL, as the CLI's ``--checks all`` does, and finds no server error and no
contract failure.

Examples per operation: ``RIGHTTURN_FUZZ_EXAMPLES`` (10 by default, about 15 s a database; a
longer run sets it, e.g. ``RIGHTTURN_FUZZ_EXAMPLES=500``). The examples, coverage (boundary
values) and fuzzing phases run, positive and negative; the stateful phase does not (the API
declares no links between operations). Every check runs except ``positive_data_acceptance``,
replaced by :func:`schema_valid_input_passes_the_schema` below: the API refuses with a 422
sentence what no schema can say (a cursor it did not give out, a number that is not a phone
number, no known rep among a call's parties), and only a refusal by the schema's own rules,
a 422 listing fields, contradicts the document.

Both POST operations run, on this module's own copy of the organisation: pushes are mostly
refused (generated numbers are not phone numbers), and review decisions file whatever activity
the generated id names.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from tests.web.conftest import Web

EXAMPLES = int(os.environ.get("RIGHTTURN_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("RIGHTTURN_FUZZ_SEED")  # set to replay a run; unset, each run differs


@schemathesis.check
def schema_valid_input_passes_the_schema(ctx: Any, response: Any, case: Any) -> None:
    """Input the schema allows is never refused by the schema's rules (a 422 listing fields,
    or a 400); a 422 whose ``detail`` is a sentence is a rule no schema can say."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 422 and isinstance(response.json().get("detail"), str):
        return
    if response.status_code in (400, 422):
        raise AssertionError(
            f"input the schema allows was refused with {response.status_code}: "
            f"{response.text[:500]}"
        )


def _config(web: Web) -> SchemathesisConfig:
    settings: dict[str, Any] = {
        "headers": {"Authorization": f"Bearer {web.tokens['admin']}"},
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "suppress-health-check": ["all"],
    }
    if SEED:
        settings["seed"] = int(SEED)
    return SchemathesisConfig.from_dict(settings)


def _failures(event: events.EngineEvent) -> list[str]:
    """What ``event`` reports as failed: each check that failed with its request, or an error."""
    if isinstance(event, events.ScenarioFinished):
        found = []
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    found.append(
                        f"{event.label}: {check.name}: {failure.title}\n{failure.message}\n"
                        f"{check.failure_info.code_sample} (case {case_id})"
                    )
        return found
    if isinstance(event, events.NonFatalError):
        return [f"{event.label}: error: {event.info.format()}"]
    if isinstance(event, events.FatalError):
        return [f"schemathesis failed: {event.exception!r}"]
    return []


@pytest.mark.slow
def test_every_operation_keeps_its_contract(web: Web) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web.app(), config=_config(web))
    expected = {result.ok().label for result in schema.get_all_operations()}
    failures: list[str] = []
    tested: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        failures += _failures(event)
        if isinstance(event, events.ScenarioFinished) and event.status != Status.SKIP:
            tested.add(str(event.label))
    assert not failures, "\n\n".join(dict.fromkeys(failures))
    assert expected and expected <= tested, sorted(expected - tested)  # every operation ran
