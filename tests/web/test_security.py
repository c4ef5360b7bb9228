"""The page books money, so: sign-in first, CSRF on every form, company access, rate limits, no secrets shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.allocations.tables import Allocation, AllocationState
from syncd.outbox.tables import OutboxCommand
from tests.web.conftest import (
    DB_PASSWORD,
    OTHER_COMPANY,
    PASSWORD,
    SESSION_SECRET,
    DemoWorld,
    csrf_of,
    demo_world,
    login,
    with_password,
)

pytestmark = pytest.mark.integration


def _pages(world: DemoWorld) -> list[str]:
    base = f"/c/{world.key}"
    with world.app.sessions() as session:
        line = session.scalar(select(Allocation.bank_transaction_id).limit(1))
        booking = session.scalar(
            select(Allocation.id).where(Allocation.state == AllocationState.ACCEPTED).limit(1)
        )
    return [
        "/",
        f"{base}/",
        f"{base}/review",
        f"{base}/unmatched",
        f"{base}/unmatched?dismissed=1",
        f"{base}/unmatched/{line}",
        f"{base}/bookings",
        f"{base}/bookings/{booking}",
        f"{base}/files",
    ]


def _actions(world: DemoWorld) -> list[str]:
    base = f"/c/{world.key}"
    return [
        "/logout",
        f"{base}/review",
        f"{base}/unmatched/1/assign",
        f"{base}/unmatched/1/dismiss",
        f"{base}/unmatched/1/undismiss",
        f"{base}/bookings/1/undo",
    ]


def _state(world: DemoWorld) -> tuple[Any, ...]:
    with world.app.sessions() as session:
        return (
            world.decisions(),
            session.scalar(select(func.count()).select_from(OutboxCommand)),
        )


def test_every_page_sends_a_visitor_without_a_session_to_sign_in_and_every_action_is_refused(
    world: DemoWorld,
) -> None:
    client = world.client()
    for page in _pages(world):
        response = client.get(page)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/login?next="), page
    before = _state(world)
    for action in _actions(world):
        assert client.post(action, data={"action": "accept", "ref": "1"}).status_code == 401, action
    assert _state(world) == before


def test_a_forged_or_expired_cookie_is_no_session(world: DemoWorld) -> None:
    client = world.client()
    client.cookies.set("syncd_session", "eyJ1IjoiYWxpY2UifQ.forged.signature")
    assert client.get(f"/c/{world.key}/review").status_code == 303


def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(world: DemoWorld) -> None:
    client = world.client()
    assert login(client).status_code == 303
    review = client.get(f"/c/{world.key}/review")
    group = re.search(r'name="ref" value="([^"]+)"', review.text)
    assert group, review.text
    before = _state(world)
    for token in (None, "", "not-the-token", csrf_of(world.client().get("/login").text)):
        form = {"ref": group.group(1), "action": "accept"}
        if token is not None:
            form["csrf"] = token
        assert client.post(f"/c/{world.key}/review", data=form).status_code == 403
        for action in _actions(world):
            assert client.post(action, data=form).status_code == 403, action
    assert _state(world) == before


def test_a_user_without_access_to_a_company_gets_404_for_its_pages_and_actions(world: DemoWorld) -> None:
    client = world.client()
    assert login(client, "bob").status_code == 303
    assert world.key not in client.get("/").text
    token = csrf_of(client.get("/").text)
    before = _state(world)
    for page in _pages(world)[1:]:
        assert client.get(page).status_code == 404, page
    for action in _actions(world)[1:]:
        assert client.post(action, data={"csrf": token, "ref": "1", "action": "accept"}).status_code == 404
    assert client.get(f"/c/{OTHER_COMPANY}/").status_code == 404  # allowed, but not configured here
    assert _state(world) == before


def test_five_wrong_passwords_lock_that_user_out_from_that_address_even_for_the_right_one(
    world: DemoWorld,
) -> None:
    client = world.client()
    for _ in range(5):
        assert login(client, "alice", "wrong password").status_code == 401
    blocked = login(client, "alice", PASSWORD)
    assert blocked.status_code == 429
    assert "too many failed sign-ins" in blocked.text
    assert "syncd_session" not in blocked.headers.get("set-cookie", "") or "alice" not in blocked.text
    assert client.get(f"/c/{world.key}/review").status_code == 303  # still not signed in
    assert login(world.client(), "carol", PASSWORD).status_code == 303  # another user is not locked out


def test_no_page_shows_the_bokio_token_the_session_secret_a_password_hash_or_the_database_password(
    world: DemoWorld,
) -> None:
    settings = world.app.settings
    token = settings.companies[0].token
    assert token is not None
    secrets = [token.get_secret_value(), SESSION_SECRET, PASSWORD, DB_PASSWORD]
    hashes = [u.password_hash.get_secret_value() for u in settings.web.users if u.password_hash]
    if world.database_url != with_password(
        world.database_url
    ):  # pragma: no cover - the URL always has one on PG
        secrets.append(world.database_url)
    client = world.client()
    pages = [client.get("/login").text]
    assert login(client).status_code == 303
    pages += [client.get(page).text for page in _pages(world)]
    for html in pages:
        for secret in [*secrets, *hashes]:
            assert secret not in html
    cookie = client.cookies.get("syncd_session") or ""
    assert SESSION_SECRET not in cookie


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_a_tls_proxy(
    database: Any, tmp_path: Any
) -> None:
    with demo_world(
        database.url, tmp_path, trusted_proxies=("127.0.0.1",), proxy_header="X-Remote-User"
    ) as world:
        plain = world.client().get("/login").headers["set-cookie"].lower()
        assert "httponly" in plain
        assert "samesite=lax" in plain
        assert "secure" not in plain
        proxied = world.client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" in proxied.headers["set-cookie"].lower()
        # the trusted proxy's header signs the user in; a name it does not know is nobody
        assert (
            world.client().get(f"/c/{world.key}/review", headers={"X-Remote-User": "alice"}).status_code
            == 200
        )
        assert (
            world.client().get(f"/c/{world.key}/review", headers={"X-Remote-User": "mallory"}).status_code
            == 303
        )


def test_the_proxy_header_from_an_address_that_is_not_a_trusted_proxy_is_ignored(
    database: Any, tmp_path: Any
) -> None:
    with demo_world(
        database.url, tmp_path, trusted_proxies=("10.0.0.9",), proxy_header="X-Remote-User"
    ) as world:
        client = world.client()
        assert client.get(f"/c/{world.key}/review", headers={"X-Remote-User": "alice"}).status_code == 303
        secure = client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"].lower()
        assert "secure" not in secure


def test_after_sign_in_the_next_page_is_only_ever_a_path_on_this_site(world: DemoWorld) -> None:
    for target, expected in (
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/c/x/review", "/c/x/review"),
    ):
        client = world.client()
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"csrf": token, "username": "alice", "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == expected
