"""The API documents what it answers (issue 11, item 4): every ``/api/v1`` route declares a response
model, the OpenAPI document gives each answer's exact shape (every key required, no other key, no
value of any shape), real answers conform to it, and the interactive docs need no CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from rightturn.crm.model import Activity, StageChange
from rightturn.crm.store import Store
from rightturn.web.app import create_app
from tests.web.conftest import Web


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app over an empty database: the routes and the document need no data."""
    with Store.open(f"sqlite:///{tmp_path_factory.mktemp('documented') / 'rt.db'}") as store:
        yield TestClient(create_app(store), base_url="https://testserver")


def _api_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, response model) of every documented ``/api/v1`` route."""
    found = []
    for route in app.routes:
        # Newer FastAPI keeps an included router as one entry that knows its routes.
        contexts = getattr(route, "effective_route_contexts", None)
        for leaf in contexts() if contexts else [route]:
            original = getattr(leaf, "original_route", leaf)
            if not isinstance(original, APIRoute) or not leaf.path.startswith("/api/v1/"):
                continue
            if leaf.include_in_schema:  # the docs page itself is not an operation
                for method in sorted(leaf.methods):
                    found.append((method, leaf.path, leaf.response_model))
    return found


def test_every_api_route_declares_a_response_model(bare: TestClient) -> None:
    routes = _api_routes(bare.app)
    assert len(routes) >= 16, routes  # the walk found the API (16 operations today)
    assert ("GET", "/api/v1/activities/{activity_id}") in {(m, p) for m, p, _ in routes}
    for method, path, model in routes:
        assert isinstance(model, type) and issubclass(model, BaseModel), (method, path, model)
    operations = {
        (method.upper(), path)
        for path, item in bare.get("/api/v1/openapi.json").json()["paths"].items()
        for method in item
    }
    assert operations == {(m, p) for m, p, _ in routes}


def _vague(
    schema: dict[str, Any], doc: dict[str, Any], where: str, seen: set[str]
) -> Iterator[str]:
    """Where ``schema`` lets an answer hold something the document does not spell out: a value
    of any shape, an optional key, or a key beyond the declared ones."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _vague(doc["components"]["schemas"][name], doc, name, seen)
        return
    if not set(schema) - {"title", "description", "default", "examples"}:
        yield f"{where}: any value"
    for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _vague(alternative, doc, where, seen)
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if not properties or schema.get("additionalProperties") is not False:
            yield f"{where}: keys beyond its properties"
        optional = set(properties) - set(schema.get("required", []))
        if optional:
            yield f"{where}: optional {sorted(optional)}"
        for name, sub in properties.items():
            yield from _vague(sub, doc, f"{where}.{name}", seen)
    if schema.get("type") == "array":
        yield from _vague(schema.get("items", {}), doc, f"{where}[]", seen)


def test_the_document_gives_every_answer_its_exact_shape(bare: TestClient) -> None:
    doc = bare.get("/api/v1/openapi.json").json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success, (method, path)
            for status, response in operation["responses"].items():
                where = f"{method.upper()} {path} {status}"
                schema = response["content"]["application/json"]["schema"]
                if status in success:
                    assert "$ref" in schema, where  # a named model, not an inline object
                assert not list(_vague(schema, doc, where, set())), where


@pytest.mark.slow  # loads an organisation
def test_real_answers_conform_to_their_declared_schemas(web: Web) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web.app())
    admin = web.client("admin")
    with web.store.session() as s:
        # An opportunity with a stage history and engaged contacts, an email with participants.
        opportunity = s.scalar(
            select(StageChange.opportunity_id)
            .join(Activity, Activity.opportunity_id == StageChange.opportunity_id)
            .where(Activity.contact_id.is_not(None))
            .limit(1)
        )
        email = s.scalar(select(Activity.activity_id).where(Activity.kind == "email").limit(1))
    account = admin.get("/api/v1/accounts", params={"limit": 1}).json()["items"][0]["account_id"]
    contact = admin.get("/api/v1/contacts", params={"limit": 1}).json()["items"][0]["contact_id"]
    waiting = admin.get("/api/v1/review", params={"limit": 1}).json()["items"][0]
    choice = {"action": "link", "opportunity_id": waiting["suggestions"][0]["opportunity_id"]}
    meeting = {
        "kind": "meeting",
        "external_id": "documented-1",
        "started_at": "2026-06-28T09:00:00Z",
        "organizer": admin.get(f"/api/v1/reps/{web.rep_a}").json()["emails"][0],
        "attendees": [{"email": "buyer@documented.example", "response": "accepted"}],
    }
    answers: list[tuple[str, str, httpx.Response]] = []

    def get(
        path: str, client: TestClient = admin, query: dict[str, Any] | None = None, **ids: Any
    ) -> httpx.Response:
        answer = client.get(path.format(**ids), params=query)
        answers.append(("GET", path, answer))
        return answer

    def post(path: str, body: dict[str, Any], **ids: Any) -> httpx.Response:
        answer = admin.post(path.format(**ids), json=body)
        answers.append(("POST", path, answer))
        return answer

    get("/api/v1/me")
    get("/api/v1/me", client=web.client("rep_a"))
    get("/api/v1/reps")
    get("/api/v1/reps/{rep_id}", rep_id=web.rep_a)
    get("/api/v1/teams")
    get("/api/v1/accounts", query={"limit": 3})
    get("/api/v1/accounts/{account_id}", account_id=account)
    get("/api/v1/contacts", query={"limit": 3})
    get("/api/v1/contacts/{contact_id}", contact_id=contact)
    get("/api/v1/opportunities", query={"limit": 3})
    deal = get("/api/v1/opportunities/{opportunity_id}", opportunity_id=opportunity).json()
    assert deal["stage_history"] and deal["contacts"], deal
    get("/api/v1/activities", query={"limit": 3})
    assert get("/api/v1/activities/{activity_id}", activity_id=email).json()["participants"]
    get("/api/v1/review", query={"limit": 3})
    get("/api/v1/review/{activity_id}/thread", activity_id=waiting["activity_id"])
    assert post("/api/v1/activities", meeting).status_code == 201
    assert post("/api/v1/activities", meeting).json()["outcome"] == "duplicate"
    post("/api/v1/review/{activity_id}", choice, activity_id=waiting["activity_id"])
    # Errors have their declared shapes too.
    assert get("/api/v1/accounts/{account_id}", account_id="no-such-account").status_code == 404
    assert get("/api/v1/activities", query={"limit": 0}).status_code == 422
    assert post("/api/v1/activities", {**meeting, "organizer": "x@nowhere.example"}).is_error
    statuses = [answer.status_code for *_, answer in answers]
    assert statuses.count(200) == len(answers) - 4, statuses
    for method, path, answer in answers:
        schema[path][method].validate_response(answer)  # raises on any difference
    # The check has teeth: a key the document does not declare is a failure.
    me = answers[0][2]
    extra = httpx.Response(200, json={**me.json(), "extra": 1}, request=me.request)
    extra.elapsed = me.elapsed
    with pytest.raises(AssertionError, match="extra"):
        schema["/api/v1/me"]["GET"].validate_response(extra)


# --- the interactive docs --------------------------------------------------------------------

# Every address a page names: attributes, and the Swagger UI's `url: '...'` for the document.
_ADDRESS = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)|\burl:\s*["']([^"']+)""")


def test_the_api_docs_load_only_local_assets(bare: TestClient) -> None:
    page = bare.get("/api/v1/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]", page.text, re.I), "another host named"
    addresses = [a or b for a, b in _ADDRESS.findall(page.text)]
    assert any(a.endswith(".js") for a in addresses) and any(a.endswith(".css") for a in addresses)
    assert "/api/v1/openapi.json" in addresses
    for address in addresses:
        assert address.startswith("/") and not address.startswith("//"), address
        answer = bare.get(address)
        assert answer.status_code == 200, address
        assert answer.content, address
    script = bare.get(next(a for a in addresses if a.endswith(".js")))
    assert "javascript" in script.headers["content-type"]
