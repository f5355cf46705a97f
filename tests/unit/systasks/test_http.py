"""The HTTP system task against a real local server, its input parsing and its outbound guard."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from podium.systasks.http import (
    BlockedDestination,
    HttpInputError,
    HttpOutcome,
    HttpRequestSpec,
    OutboundGuard,
    new_client,
    run_http_task,
)
from podium.systasks.http_guard import Destination
from podium.systasks.http_response import parse_body
from podium.systasks.http_transport import pinned

LOCAL = OutboundGuard(allow=["127.0.0.1"])


def fake_dns(table: Mapping[str, Sequence[str]], calls: list[str] | None = None) -> Any:
    """A resolver answering from `table` (and recording every lookup in `calls`)."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


# ----------------------------------------------------------------------------- the local server


@dataclass
class Server:
    base: str
    paths: list[str] = field(default_factory=list)


def _app(server: Server, release: asyncio.Event) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "method": request.method,
                "path": request.path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": await request.text(),
            }
        )

    async def tagged(request: web.Request) -> web.Response:
        headers = [("X-Tag", "a"), ("X-Tag", "b"), ("Set-Cookie", "session=s1; Path=/")]
        return web.Response(text="plain words", content_type="text/plain", headers=headers)

    async def number(request: web.Request) -> web.Response:
        return web.Response(text="42", content_type="application/json")

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"error": "nope"}, status=int(request.match_info["code"]))

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def redirect(request: web.Request) -> web.Response:
        code = int(request.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": request.query["to"]})

    async def loop(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/loop"})

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        server.paths.append(request.path)
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[record])
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/tagged", tagged)
    app.router.add_get("/number", number)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_get("/loop", loop)
    return app


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Server]:
    server, release = Server(base=""), asyncio.Event()
    runner = web.AppRunner(_app(server, release))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield server
    finally:
        release.set()  # let a sleeping handler finish before shutdown
        await runner.cleanup()


def call(
    make_input: Callable[[str], Mapping[str, Any]], guard: OutboundGuard = LOCAL
) -> tuple[HttpOutcome, Server]:
    """Run one HTTP task against a fresh local server; its base URL feeds `make_input`."""

    async def scenario() -> tuple[HttpOutcome, Server]:
        async with serving() as server, new_client() as client:
            return await run_http_task(make_input(server.base), client, guard), server

    return asyncio.run(scenario())


def request(uri: str, method: str = "GET", **fields: Any) -> dict[str, Any]:
    return {"http_request": {"uri": uri, "method": method, **fields}}


def response_of(outcome: HttpOutcome) -> dict[str, Any]:
    response: dict[str, Any] = outcome.output["response"]
    return response


# ----------------------------------------------------------------------------- calls


def test_get_completes_with_the_parsed_json_body_status_and_headers() -> None:
    outcome, _ = call(lambda base: request(base + "/echo", "get"))
    assert outcome.status == "COMPLETED"
    assert outcome.reason is None
    response = response_of(outcome)
    assert response["statusCode"] == 200
    assert response["reasonPhrase"] == "OK"
    assert response["body"]["method"] == "GET"
    assert response["body"]["headers"]["accept"] == "application/json"
    assert "content-type" not in response["body"]["headers"]  # no body, no content type
    assert response["headers"]["content-type"] == ["application/json; charset=utf-8"]


def test_post_sends_an_object_body_as_json_with_the_custom_headers() -> None:
    body = {"order": 7, "items": ["a", "b"], "paid": True}
    headers = {"X-Request-Id": "r-1", "X-Count": 3}
    outcome, _ = call(lambda base: request(base + "/echo", "POST", body=body, headers=headers))
    echoed = response_of(outcome)["body"]
    assert echoed["body"] == '{"order":7,"items":["a","b"],"paid":true}'
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["x-request-id"] == "r-1"
    assert echoed["headers"]["x-count"] == "3"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", "hello there"), ("application/json", '{"already":"json"}')],
)
def test_a_string_body_is_sent_verbatim_whatever_the_content_type(
    content_type: str, body: str
) -> None:
    outcome, _ = call(
        lambda base: request(base + "/echo", "PUT", body=body, contentType=content_type)
    )
    echoed = response_of(outcome)["body"]
    assert echoed["method"] == "PUT"
    assert echoed["body"] == body
    assert echoed["headers"]["content-type"] == content_type


def test_the_input_root_works_as_the_request_and_extra_fields_are_ignored() -> None:
    outcome, _ = call(lambda base: {"uri": base + "/echo", "method": "DELETE", "vipAddress": "x"})
    assert outcome.status == "COMPLETED"
    assert response_of(outcome)["body"]["method"] == "DELETE"


def test_a_text_body_stays_text_and_repeated_response_headers_are_listed() -> None:
    outcome, _ = call(lambda base: request(base + "/tagged"))
    response = response_of(outcome)
    assert response["body"] == "plain words"
    assert response["headers"]["x-tag"] == ["a", "b"]


def test_a_bare_number_body_becomes_a_double_as_in_conductor() -> None:
    outcome, _ = call(lambda base: request(base + "/number"))
    body = response_of(outcome)["body"]
    assert body == 42.0
    assert isinstance(body, float)


def test_head_has_no_body() -> None:
    outcome, _ = call(lambda base: request(base + "/echo", "HEAD"))
    assert outcome.status == "COMPLETED"
    assert response_of(outcome)["body"] is None


@pytest.mark.parametrize(("code", "phrase"), [(404, "Not Found"), (503, "Service Unavailable")])
def test_a_non_2xx_status_fails_the_task_but_keeps_the_response(code: int, phrase: str) -> None:
    outcome, _ = call(lambda base: request(f"{base}/status/{code}"))
    assert outcome.status == "FAILED"
    assert outcome.reason == f"Failed to invoke HTTP task due to: {code} {phrase}"
    response = response_of(outcome)
    assert response["statusCode"] == code
    assert response["reasonPhrase"] == phrase
    assert response["body"] == {"error": "nope"}


def test_cookies_never_carry_over_between_tasks_sharing_the_client() -> None:
    async def scenario() -> HttpOutcome:
        async with serving() as server, new_client() as client:
            await run_http_task(request(server.base + "/tagged"), client, LOCAL)
            return await run_http_task(request(server.base + "/echo"), client, LOCAL)

    assert "cookie" not in response_of(asyncio.run(scenario()))["body"]["headers"]


def test_a_slow_server_fails_the_task_after_the_read_timeout() -> None:
    outcome, _ = call(lambda base: request(base + "/slow", readTimeOut=200))
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert "timed out after 200 ms waiting for 127.0.0.1:" in outcome.reason


def test_a_refused_connection_fails_the_task_without_leaking_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="podium.systasks.http")
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        uri = f"http://user:s3cret@127.0.0.1:{port}/pay?token=t0ken"
        outcome, _ = call(lambda _: request(uri, headers={"Authorization": "Bearer b3arer"}))
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        f"Failed to invoke HTTP task due to: could not connect to 127.0.0.1:{port}"
    )
    assert outcome.output == {
        "response": outcome.reason.removeprefix("Failed to invoke HTTP task due to: ")
    }
    logged = [repr(record.__dict__) for record in caplog.records]
    assert logged
    for text in [outcome.reason, repr(outcome.output), *logged]:
        assert not any(secret in text for secret in ("s3cret", "t0ken", "b3arer"))


def test_a_guarded_destination_is_never_contacted() -> None:
    outcome, server = call(lambda base: request(base + "/echo"), guard=OutboundGuard())
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert "refused by the outbound guard" in outcome.reason
    assert "loopback" in outcome.reason
    assert server.paths == []


def test_the_connection_goes_to_the_address_the_guard_checked() -> None:
    lookups: list[str] = []
    guard = OutboundGuard(
        allow=["127.0.0.1"], resolver=fake_dns({"svc.test": ["127.0.0.1"]}, lookups)
    )
    # svc.test exists only in the fake DNS: the call can succeed only over the pinned address
    outcome, _ = call(lambda base: request(base.replace("127.0.0.1", "svc.test") + "/echo"), guard)
    assert outcome.status == "COMPLETED"
    assert response_of(outcome)["body"]["headers"]["host"].startswith("svc.test:")
    assert lookups == ["svc.test"]


def test_while_pinned_an_unchecked_host_is_refused_at_connect_time() -> None:
    async def scenario() -> None:
        async with serving() as server, new_client() as client:
            elsewhere = Destination("elsewhere.test", 80, ("127.0.0.1",))
            with pinned(elsewhere), pytest.raises(BlockedDestination, match="not checked"):
                await client.get(server.base + "/echo")

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- redirects


def test_a_redirect_is_followed_and_303_switches_to_get() -> None:
    outcome, server = call(
        lambda base: request(base + "/redirect?code=303&to=/echo", "POST", body={"a": 1})
    )
    assert outcome.status == "COMPLETED"
    assert response_of(outcome)["body"]["method"] == "GET"
    assert server.paths == ["/redirect", "/echo"]


def test_a_307_redirect_keeps_the_method_and_the_body() -> None:
    outcome, _ = call(lambda base: request(base + "/redirect?code=307&to=/echo", "POST", body=[1]))
    echoed = response_of(outcome)["body"]
    assert (echoed["method"], echoed["body"]) == ("POST", "[1]")


def test_a_redirect_to_a_forbidden_address_is_not_followed() -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    outcome, _ = call(lambda base: request(f"{base}/redirect?to={metadata}"))
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert "redirect to 169.254.169.254 refused by the outbound guard" in outcome.reason
    assert "cloud metadata" in outcome.reason


def test_a_redirect_to_another_origin_drops_the_authorization_header() -> None:
    guard = OutboundGuard(allow=["127.0.0.1"], resolver=fake_dns({"other.test": ["127.0.0.1"]}))

    def make(base: str) -> dict[str, Any]:
        target = base.replace("127.0.0.1", "other.test") + "/echo"
        return request(f"{base}/redirect?to={target}", headers={"Authorization": "Bearer x"})

    outcome, _ = call(make, guard)
    assert outcome.status == "COMPLETED"
    assert "authorization" not in response_of(outcome)["body"]["headers"]


def test_redirects_stop_after_five() -> None:
    outcome, server = call(lambda base: request(base + "/loop"))
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert "more than 5 redirects" in outcome.reason
    assert len(server.paths) == 6


# ----------------------------------------------------------------------------- input parsing


def test_input_defaults_follow_conductor() -> None:
    spec = HttpRequestSpec.from_input(request("https://api.example.com/x", "post"))
    assert spec == HttpRequestSpec(
        uri="https://api.example.com/x",
        method="POST",
        headers={},
        body=None,
        accept="application/json",
        content_type="application/json",
        connection_timeout_ms=3000,
        read_timeout_ms=3000,
    )


def test_input_values_are_normalised() -> None:
    spec = HttpRequestSpec.from_input(
        {
            "uri": "http://h.example/",
            "method": "Patch",
            "accept": ["application/json", "text/plain"],
            "headers": {"X-N": 5, "X-B": True, "X-Gone": None, "X-L": ["a", "b"]},
            "connectionTimeOut": "1500",
            "readTimeOut": 250.0,
        }
    )
    assert spec.method == "PATCH"
    assert spec.accept == "application/json, text/plain"
    assert spec.headers == {"X-N": "5", "X-B": "true", "X-L": "a, b"}
    assert (spec.connection_timeout_ms, spec.read_timeout_ms) == (1500, 250)


@pytest.mark.parametrize(
    ("task_input", "message"),
    [
        ({"http_request": {"method": "GET"}}, "Missing HTTP URI"),
        ({"http_request": {"uri": "http://h.example/"}}, "No HTTP method specified"),
        ({"other": 1}, "Missing HTTP request"),
        ({"http_request": "http://h.example/"}, "must be an object"),
        (request("http://h.example/", "FETCH"), "Unsupported HTTP method 'FETCH'"),
        (request(42), "uri must be a string"),  # type: ignore[arg-type]
        (request("h.example/path"), "needs a scheme and a host"),
        (request("http://h.example/", headers=["X"]), "headers must be an object"),
        (request("http://h.example/", headers={"X": {"a": 1}}), "header 'X' must be a string"),
        (
            request("http://h.example/", headers={"Authorization": "Bearer t0ken\n"}),
            "header 'Authorization' must not contain line breaks",
        ),
        (request("http://h.example/", readTimeOut="soon"), "readTimeOut must be a whole number"),
        (request("http://h.example/", connectionTimeOut=-1), "connectionTimeOut must be"),
        (request("http://h.example/", readTimeOut=True), "readTimeOut must be"),
        (request("http://h.example/", body={"a": 1}, contentType="text/plain"), "Cannot send"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    task_input: Mapping[str, Any], message: str
) -> None:
    with pytest.raises(HttpInputError, match=message) as caught:
        HttpRequestSpec.from_input(task_input)
    assert message in caught.value.message


def test_an_invalid_header_name_fails_the_task_without_quoting_headers() -> None:
    outcome, server = call(lambda base: request(base + "/echo", headers={"X Bad": "s3cret"}))
    assert outcome.status == "FAILED"
    assert outcome.reason is not None
    assert "not valid HTTP" in outcome.reason
    assert "s3cret" not in outcome.reason
    assert server.paths == []


def test_bad_input_fails_the_task_without_a_call() -> None:
    outcome, server = call(lambda base: {"http_request": {"method": "GET"}})
    assert outcome == HttpOutcome(
        "FAILED",
        {},
        "Missing HTTP URI.  See documentation for HttpTask for required input parameters",
    )
    assert server.paths == []


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ('{"a": [1, 2.5]}', {"a": [1, 2.5]}),
        ("[1]", [1]),
        ("7", 7.0),
        ('"quoted"', "quoted"),
        ("true", "true"),
        ("null", "null"),
        ("NaN", "NaN"),
        ('{"a": 1e999}', '{"a": 1e999}'),
        ("<html/>", "<html/>"),
        ("", None),
    ],
)
def test_response_bodies_are_read_like_conductor_does(text: str, body: Any) -> None:
    assert parse_body(text) == body


# ----------------------------------------------------------------------------- the guard


def check(guard: OutboundGuard, uri: str) -> None:
    asyncio.run(guard.check(uri))


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.8.9.10:8080/", "loopback"),
        ("http://localhost:8080/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 spelled as a number
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("ftp://files.example.com/a", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_the_default_guard_refuses_local_and_metadata_destinations(uri: str, why: str) -> None:
    with pytest.raises(BlockedDestination, match=why):
        check(OutboundGuard(), uri)


def test_private_ranges_are_allowed_by_default_and_can_be_denied() -> None:
    check(OutboundGuard(), "http://10.1.2.3:8080/")
    check(OutboundGuard(), "https://192.168.1.20/")
    with pytest.raises(BlockedDestination, match=r"denied range 10\.0\.0\.0/8"):
        check(OutboundGuard(deny=["10.0.0.0/8"]), "http://10.1.2.3/")


def test_every_resolved_address_is_checked() -> None:
    guard = OutboundGuard(resolver=fake_dns({"mixed.test": ["10.0.0.1", "127.0.0.1"]}))
    with pytest.raises(BlockedDestination, match=r"mixed\.test \(127\.0\.0\.1\) is a loopback"):
        check(guard, "http://mixed.test/")


def test_the_allow_list_opens_addresses_and_hostnames() -> None:
    dns = fake_dns({"metadata.internal": ["169.254.169.254"]})
    check(OutboundGuard(allow=["127.0.0.0/8"]), "http://127.0.0.2/")
    check(OutboundGuard(allow=["[::1]"]), "http://[::1]:9000/")
    destination = asyncio.run(
        OutboundGuard(allow=["metadata.internal"], resolver=dns).resolve(
            "http://metadata.internal/"
        )
    )
    assert destination == Destination("metadata.internal", 80, ("169.254.169.254",))


def test_denied_hostnames_and_a_strict_allow_list() -> None:
    dns = fake_dns({"api.corp.example": ["10.0.0.5"], "ok.example": ["203.0.113.7"]})
    with pytest.raises(BlockedDestination, match="deny list"):
        check(OutboundGuard(deny=["*.corp.example"], resolver=dns), "https://API.corp.example./")
    strict = OutboundGuard(allow=["203.0.113.7"], deny=["0.0.0.0/0", "::/0"], resolver=dns)
    check(strict, "https://ok.example/")
    with pytest.raises(BlockedDestination, match=r"denied range 0\.0\.0\.0/0"):
        check(strict, "https://198.51.100.1/")


def test_a_malformed_list_entry_fails_fast() -> None:
    with pytest.raises(ValueError, match="not a hostname, IP or CIDR"):
        OutboundGuard(allow=["http://x/"])
