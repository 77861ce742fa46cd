"""The console's own defences, tried over HTTP against the running console (ASVS 3, 4, 14)."""

import re

import httpx
import pytest

from tests.console.platform import ConsolePlatform

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _form_token(http: httpx.Client, url: str) -> str:
    page = http.get(url)
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


@pytest.fixture
def http(console_platform: ConsolePlatform) -> httpx.Client:
    return httpx.Client(base_url=console_platform.url(), trust_env=False, follow_redirects=False)


def test_every_page_answers_with_a_strict_content_security_policy_and_no_caching(
    http: httpx.Client,
) -> None:
    for path in ("/sign-in", "/account/reset", "/account/invitation", "/help", "/nowhere"):
        answer = http.get(path)
        policy = answer.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
    assert http.get("/nowhere").status_code == 404


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing__TOM_T5(
    http: httpx.Client,
) -> None:
    token = _form_token(http, "/sign-in")
    form = {"email": "someone@example.test", "password": "whatever it is"}
    assert http.post("/sign-in", data=form).status_code == 403
    assert http.post("/sign-in", data=form | {"csrf_token": "0" * 64}).status_code == 403
    # The right token from this browser is accepted (the sign-in itself then fails, generically).
    answer = http.post("/sign-in", data=form | {"csrf_token": token})
    assert answer.status_code == 400
    assert "Sign-in failed" in answer.text or "Aanmelden mislukt" in answer.text


def test_a_token_taken_from_another_browser_is_refused(
    console_platform: ConsolePlatform, http: httpx.Client
) -> None:
    other = httpx.Client(base_url=console_platform.url(), trust_env=False)
    stolen = _form_token(other, "/sign-in")
    _form_token(http, "/sign-in")  # this browser's own cookie
    answer = http.post(
        "/sign-in", data={"email": "a@b.test", "password": "x", "csrf_token": stolen}
    )
    assert answer.status_code == 403


def test_a_post_from_another_site_is_refused_even_with_a_token(http: httpx.Client) -> None:
    token = _form_token(http, "/sign-in")
    form = {"email": "a@b.test", "password": "x", "csrf_token": token}
    assert (
        http.post("/sign-in", data=form, headers={"sec-fetch-site": "cross-site"}).status_code
        == 403
    )
    assert (
        http.post("/sign-in", data=form, headers={"origin": "https://evil.example"}).status_code
        == 403
    )


def test_the_session_cookie_is_httponly_and_samesite_and_names_no_secret_of_identity(
    console_platform: ConsolePlatform, http: httpx.Client
) -> None:
    http.get("/sign-in")
    cookie = http.cookies.jar
    names = {c.name for c in cookie}
    assert names == {"pactum_csrf"}  # a stranger gets no session at all
    raw = http.get("/sign-in").headers.get_list("set-cookie")
    assert not raw  # the CSRF cookie is set once


def test_bad_input_to_the_console_gets_a_page_not_a_crash(http: httpx.Client) -> None:
    token = _form_token(http, "/sign-in")
    for form in (
        {"email": "x" * 5000, "password": "y", "csrf_token": token},
        {"email": "\x00\x01", "password": "\x00", "csrf_token": token},
        {"next": "//evil.example", "email": "a@b.test", "password": "p", "csrf_token": token},
    ):
        answer = http.post("/sign-in", data=form)
        assert 400 <= answer.status_code < 500, (form, answer.status_code)
    # Bytes that are not UTF-8 at all (a lone surrogate's encoding, a stray continuation byte).
    raw = f"csrf_token={token}&email=%ED%A0%80%FF&password=%C0".encode()
    answer = http.post(
        "/sign-in", content=raw, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= answer.status_code < 500
    assert http.get("/sign-in", params={"next": "https://evil.example"}).status_code == 200
    assert http.get("/inbox/%00").status_code in (303, 404)
