"""Fuzzed and malformed credentials (headers, tokens, cookies, token requests) never give a
server error: they are refused with Conductor's error JSON, and nothing secret is echoed.

Header values are sent as raw ASGI bytes (`raw_request`): through httpx a byte string that is
not UTF-8 would arrive re-encoded, while a real server passes the client's bytes unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.auth.limits import FailureLimiter
from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import new_app, security, token
from tests.api.test_external_jwt import AUDIENCE, ISSUER, Jwks
from tests.support.postgres import postgres_database

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROXY = ("10.1.2.3", 40000)
STRANGER = ("192.0.2.7", 40000)
PATHS = [
    ("GET", "/api/metadata/taskdefs"),
    ("GET", "/api/token/userInfo"),
    ("POST", "/api/workflow/fuzzed"),  # audited: refusals are recorded with the principal
    ("GET", "/api/tasks/poll/batch/fuzz_work"),  # the hot path
    ("GET", "/health"),  # open: credentials are still looked at when a proxy names someone
    ("GET", "/ui/"),  # a page: no session sends the browser to sign in
    ("POST", "/ui/logout"),  # open, but reads the session cookie to check its CSRF token
]

Headers = list[tuple[bytes, bytes]]


# -- the servers under test -------------------------------------------------------------------
@dataclass
class Target:
    """A running app and what must never appear in any of its answers."""

    client: TestClient
    secrets: list[bytes] = field(default_factory=list)
    sign: dict[str, Callable[[bytes], bytes]] = field(default_factory=dict)
    """Signatures the fuzzer may put on a token: by the cluster's key, the issuer's, ..."""


def _start(tmp: Path, **options: Any) -> TestClient:
    config = Settings(db=f"sqlite:///{tmp / 'fuzz.db'}", auth=True, **options)
    return TestClient(build_app(config), raise_server_exceptions=False)


def _with_cluster_secrets(client: TestClient) -> Target:
    """The target, knowing a key secret and the signing secret, and signing with the latter."""
    _app_id, key_id, secret = new_app(client, "ADMIN")
    assert client.portal is not None
    signing = client.portal.call(security(client).signer).secret
    issued = token(client, key_id, secret)
    target = Target(client, [secret.encode(), *_encodings(signing), issued.encode()])
    target.sign["HS256-cluster"] = lambda data: hmac.new(signing, data, hashlib.sha256).digest()
    # The UI's cookies are signed with a key derived from the same secret.
    ui_key = hmac.new(signing, b"podium ui cookies", hashlib.sha256).digest()
    target.secrets.extend(_encodings(ui_key))
    target.sign["HS256-ui"] = lambda data: hmac.new(ui_key, data, hashlib.sha256).digest()
    return target


def _encodings(raw: bytes) -> list[bytes]:
    return [raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with _start(tmp_path_factory.mktemp("plain")) as client:
        yield _with_cluster_secrets(client)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    idp = Jwks()
    options = {"jwt_jwks_url": idp.url, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    try:
        with _start(tmp_path_factory.mktemp("jwks"), **options) as client:
            target = _with_cluster_secrets(client)
            private = idp.key.private_key
            assert isinstance(private, rsa.RSAPrivateKey)
            public_pem = idp.key.as_pem(private=False)
            target.secrets.append(idp.key.as_pem(private=True))
            target.sign["RS256-issuer"] = lambda data: private.sign(
                data, padding.PKCS1v15(), hashes.SHA256()
            )
            # The algorithm-confusion attack: the issuer's public key as an HMAC secret.
            target.sign["HS256-public-key"] = lambda data: hmac.new(
                public_pem, data, hashlib.sha256
            ).digest()
            yield target
    finally:
        idp.server.shutdown()
        idp.server.server_close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def proxied(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """Behind a trusted proxy that covers `PROXY`, on both databases: PostgreSQL refuses some
    characters SQLite stores (a proxy-named principal goes into the audit record)."""
    only = os.environ.get("PODIUM_TEST_DB")
    if only and only != request.param:
        pytest.skip(f"PODIUM_TEST_DB={only}")
    with ExitStack() as stack:
        if request.param == "postgres":
            database = stack.enter_context(postgres_database())
        else:
            database = f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'fuzz.db'}"
        settings = Settings(db=database, auth=True, trusted_proxy=("10.1.0.0/16",))
        client = stack.enter_context(TestClient(build_app(settings), raise_server_exceptions=False))
        yield _with_cluster_secrets(client)


# -- one request, as raw ASGI ------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    content: bytes
    error: str = ""

    def json(self) -> Any:
        return orjson.loads(self.content)


def raw_request(
    target: Target,
    method: str,
    path: str,
    headers: Headers,
    *,
    body: bytes = b"",
    peer: tuple[str, int] = ("testclient", 50000),
) -> Answer:
    """Send `headers` byte for byte to the app (in the client's event loop)."""
    app = target.client.app
    assert isinstance(app, FastAPI)
    assert target.client.portal is not None
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"timeout=0" if "poll" in path else b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": peer,
        "server": ("testserver", 80),
        "state": {},
    }
    answer: Answer = target.client.portal.call(_call, app, scope, body)
    return answer


async def _call(app: FastAPI, scope: dict[str, Any], body: bytes) -> Answer:
    answer = Answer(0, b"")
    done = anyio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
        elif message["type"] == "http.response.body":
            answer.content += message.get("body", b"")
            if not message.get("more_body", False):
                done.set()

    try:
        with anyio.fail_after(10):
            await app(scope, receive, send)
    except Exception:  # the app let an exception out: a server error whatever was sent
        answer.status, answer.error = 500, traceback.format_exc()
    return answer


def assert_refused_properly(target: Target, answer: Answer, sent: bytes = b"") -> None:
    """No server error; a 401 in Conductor's shape; no secret (nor a long credential) echoed."""
    assert answer.status < 500, (answer.status, answer.content[:500], answer.error)
    if answer.status == 401:
        body = answer.json()
        assert body["status"] == 401
        assert body["error"] in {"INVALID_TOKEN", "EXPIRED_TOKEN"}
        assert isinstance(body["message"], str)
        assert body["message"]
    for secret in target.secrets:
        assert secret not in answer.content
    if len(sent) >= 16:
        assert sent not in answer.content


# -- strategies --------------------------------------------------------------------------------
def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


HUGE = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(max_value=-(2**63) + 2, min_value=-(2**70)),
    st.just(10**400),
    st.floats(),
)
SCALARS = st.one_of(st.none(), st.booleans(), HUGE, st.text(max_size=16))
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
TIMES = st.one_of(HUGE, st.text(max_size=12), st.sampled_from(["1e99", "NaN", ""]), JSON)
HEADER_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "alg": st.sampled_from(["none", "None", "HS256", "HS512", "RS256", "ES256", "", "x"]) | JSON,
    "kid": st.sampled_from(["k1", "k2", "", "../../etc/passwd"]) | JSON,
    "typ": st.sampled_from(["JWT", "at+jwt"]) | JSON,
    "crit": st.sampled_from([["b64"], ["exp"], [], "b64", ["unknown"]]) | JSON,
    "b64": st.booleans() | JSON,
    "jku": st.sampled_from(["http://127.0.0.1:9/jwks", "file:///etc/passwd"]) | JSON,
    "x5u": st.sampled_from(["http://127.0.0.1:9/cert"]) | JSON,
    "jwk": JSON,
    "x5c": JSON,
    "enc": st.sampled_from(["A256GCM"]) | JSON,
    "zip": st.sampled_from(["DEF"]) | JSON,
}
HEADER = st.fixed_dictionaries({}, optional=HEADER_FIELDS)
CLAIMS = st.dictionaries(
    st.sampled_from(["iss", "sub", "aud", "exp", "nbf", "iat", "kid", "roles", "name", "email"]),
    JSON,
    max_size=6,
)


def _valid_claims() -> dict[str, Any]:
    now = 1_700_000_000  # the past: valid from then on
    return {
        "iss": "podium",
        "sub": "app:fuzz",
        "aud": AUDIENCE,
        "kid": "k",
        "roles": ["ADMIN"],
        "iat": now,
        "nbf": now,
        "exp": 4_000_000_000,
    }


@st.composite
def near_valid_claims(draw: st.DrawFn, issuer: str) -> dict[str, Any]:
    """Claims that pass every check, but for a few mutated, removed or of another type."""
    claims = {**_valid_claims(), "iss": issuer}
    for name in draw(st.lists(st.sampled_from(sorted(claims)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del claims[name]
        else:
            claims[name] = draw(TIMES if name in {"exp", "nbf", "iat"} else JSON)
    return claims


def _json_segment(value: object) -> str:
    # The standard library writes NaN, Infinity and integers of any size (orjson would not).
    return b64(json.dumps(value).encode())


SEGMENT = st.one_of(
    JSON.map(_json_segment),
    st.binary(max_size=48).map(b64),
    st.text(max_size=40),
    st.sampled_from(["", "=", "e30", "bnVsbA", "W10", "!!!", "e30==="]),
)


@st.composite
def jwt_shaped(draw: st.DrawFn, signers: dict[str, Callable[[bytes], bytes]]) -> str:
    header = draw(HEADER.map(_json_segment) | SEGMENT)
    near_valid = near_valid_claims(ISSUER) | near_valid_claims("podium")
    payload = draw(CLAIMS.map(_json_segment) | near_valid.map(_json_segment) | SEGMENT)
    signing_input = f"{header}.{payload}".encode()
    signer = draw(st.sampled_from([None, *sorted(signers)]))
    signature = draw(SEGMENT) if signer is None else b64(signers[signer](signing_input))
    tail = draw(st.sampled_from(["", "", "", ".", ".x", "..", ".a.b", "\n"]))
    return f"{header}.{payload}.{signature}{tail}"


@st.composite
def well_signed(draw: st.DrawFn, target: Target, signer: str, header: dict[str, Any]) -> str:
    """A token signed with a key the server trusts, its claims or header fields mutated (alg,
    kid of another type, crit, jku, b64...), now and then signed by another of `target`'s."""
    mutated = draw(st.just({}) | st.fixed_dictionaries({}, optional=HEADER_FIELDS))
    issuer = ISSUER if signer == "RS256-issuer" else "podium"
    payload = _json_segment(draw(near_valid_claims(issuer)))
    signing_input = f"{_json_segment({**header, **mutated})}.{payload}".encode()
    signer = draw(st.sampled_from([signer] * 3 + sorted(target.sign)))
    return f"{signing_input.decode()}.{b64(target.sign[signer](signing_input))}"


def one_credential(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[Headers]:
    """The token alone, in either header the SDKs use."""
    name = st.sampled_from([(b"x-authorization", b""), (b"authorization", b"Bearer ")])
    return st.tuples(name, tokens).map(lambda p: [(p[0][0], p[0][1] + p[1].encode())])


RAW_VALUE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.text(st.characters(max_codepoint=255), max_size=200).map(lambda t: t.encode("latin-1")),
    st.sampled_from([b"A" * 70_000, b"\xff" * 9000, b"." * 5000, b"a." * 3000, b"\x00"]),
)


def token_headers(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[Headers]:
    """Credentials in the headers the SDKs use, in any scheme, possibly repeated."""
    as_bytes = tokens.map(lambda t: t.encode("utf-8")) | RAW_VALUE
    scheme = st.sampled_from([b"Bearer ", b"bearer ", b"BEARER  ", b"Basic ", b"Digest ", b""])
    authorization = st.tuples(scheme, as_bytes).map(lambda p: (b"authorization", p[0] + p[1]))
    x_authorization = as_bytes.map(lambda v: (b"x-authorization", v))
    cookie = RAW_VALUE.map(lambda v: (b"cookie", v))
    return st.lists(authorization | x_authorization | cookie, min_size=1, max_size=3)


COOKIES = (
    st.lists(
        st.tuples(st.text(max_size=12), st.text(max_size=40)).map(lambda p: f"{p[0]}={p[1]}"),
        max_size=5,
    ).map(lambda parts: "; ".join(parts).encode("utf-8"))
    | RAW_VALUE
)


# -- the properties ----------------------------------------------------------------------------
def _send_all(target: Target, headers: Headers, path: int, peer: tuple[str, int]) -> None:
    method, url = PATHS[path]
    answer = raw_request(target, method, url, headers, peer=peer)
    for _name, value in headers:
        assert_refused_properly(target, answer, value)


PATH = st.integers(min_value=0, max_value=len(PATHS) - 1)


@FUZZ
@given(headers=token_headers(st.text(max_size=300)), path=PATH)
def test_arbitrary_credentials_are_refused_never_a_server_error(
    plain: Target, headers: Headers, path: int
) -> None:
    _send_all(plain, headers, path, ("testclient", 50000))


@FUZZ
@given(data=st.data(), path=PATH)
def test_jwt_shaped_tokens_with_mutated_parts_are_refused_never_a_server_error(
    plain: Target, data: st.DataObject, path: int
) -> None:
    headers = data.draw(token_headers(jwt_shaped(plain.sign)))
    _send_all(plain, headers, path, ("testclient", 50000))


@FUZZ
@given(data=st.data(), path=PATH)
def test_tokens_signed_with_the_real_key_but_odd_claims_never_give_a_server_error(
    plain: Target, data: st.DataObject, path: int
) -> None:
    tokens = well_signed(plain, "HS256-cluster", {"alg": "HS256", "typ": "JWT"})
    headers = data.draw(one_credential(tokens) | token_headers(tokens | jwt_shaped(plain.sign)))
    _send_all(plain, headers, path, ("testclient", 50000))


@FUZZ
@given(data=st.data(), path=PATH)
def test_with_an_external_issuer_mutated_tokens_never_give_a_server_error(
    issuer: Target, data: st.DataObject, path: int
) -> None:
    tokens = well_signed(issuer, "RS256-issuer", {"alg": "RS256", "kid": "k1"})
    headers = data.draw(one_credential(tokens) | token_headers(tokens | jwt_shaped(issuer.sign)))
    _send_all(issuer, headers, path, ("testclient", 50000))


@FUZZ
@given(cookie=COOKIES, path=PATH)
def test_random_cookies_are_refused_never_a_server_error(
    plain: Target, cookie: bytes, path: int
) -> None:
    _send_all(plain, [(b"cookie", cookie)], path, ("testclient", 50000))


SESSION_CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "typ": st.sampled_from(["podium-ui-session", "podium-ui-login", ""]) | JSON,
        "sid": st.text(max_size=20) | JSON,
        "sub": st.text(max_size=20) | JSON,
        "name": st.text(max_size=20) | JSON,
        "roles": st.lists(st.sampled_from(["ADMIN", "USER", "x"])) | JSON,
        "groups": st.lists(st.text(max_size=8)) | JSON,
        "exp": TIMES | st.just(4_000_000_000),
        "state": JSON,
        "next": st.text(max_size=20) | JSON,
    },
)


@st.composite
def session_cookies(draw: st.DrawFn, target: Target) -> bytes:
    """A UI session cookie, signed with the UI's key (or another), its claims mutated."""
    name = draw(st.sampled_from(["podium_session", "__Host-podium_session", "podium_login"]))
    header = _json_segment({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header}.{_json_segment(draw(SESSION_CLAIMS))}".encode()
    signer = draw(st.sampled_from(["HS256-ui", "HS256-ui", *sorted(target.sign)]))
    value = f"{signing_input.decode()}.{b64(target.sign[signer](signing_input))}"
    value = draw(st.just(value) | jwt_shaped(target.sign))
    return f"{name}={value}".encode()


@FUZZ
@given(data=st.data(), path=PATH, csrf=st.none() | st.text(max_size=60))
def test_forged_and_mutated_session_cookies_never_give_a_server_error(
    plain: Target, data: st.DataObject, path: int, csrf: str | None
) -> None:
    headers = [(b"cookie", data.draw(session_cookies(plain)))]
    if csrf is not None:
        headers.append((b"x-csrf-token", csrf.encode("utf-8")))
    _send_all(plain, headers, path, ("testclient", 50000))


IDENTITY = st.lists(
    st.tuples(
        st.sampled_from(
            [b"x-user", b"x-user-email", b"x-user-roles", b"X-User", b"x-forwarded-for"]
        ),
        RAW_VALUE | st.sampled_from([b"ADMIN", b"ADMIN, WORKER", b"ops", b" ", b""]),
    ),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(
    identity=IDENTITY, extra=token_headers(st.text(max_size=50)), path=PATH, trusted=st.booleans()
)
def test_identity_headers_with_odd_bytes_never_give_a_server_error(
    proxied: Target, identity: Headers, extra: Headers, path: int, trusted: bool
) -> None:
    method, url = PATHS[path]
    answer = raw_request(
        proxied, method, url, identity + extra, peer=PROXY if trusted else STRANGER
    )
    assert_refused_properly(proxied, answer)
    if not trusted:  # refused (a page by sending the browser to sign in), unless open anyway
        refused = answer.status in (401, 403) or (url == "/ui/" and answer.status == 303)
        assert refused or url in ("/health", "/ui/logout")


# -- POST /api/token ---------------------------------------------------------------------------
TOKEN_BODY_VALUES = st.one_of(JSON, st.text(max_size=10_000), st.just("k" * 200_000))
TOKEN_BODIES = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"keyId": TOKEN_BODY_VALUES, "keySecret": TOKEN_BODY_VALUES}
    ).map(lambda d: json.dumps(d).encode()),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.sampled_from([b"{", b"\xff\xfe{}", b'{"keyId": "a", "keySecret": "\\ud800"}', b"[" * 5000]),
)
CONTENT_TYPES = st.sampled_from(
    [
        b"application/json",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=x",
        b"text/plain; charset=\xff",
        b"",
        b"application/json; charset=utf-16",
    ]
)


@FUZZ
@given(body=TOKEN_BODIES, content_type=CONTENT_TYPES)
def test_malformed_token_requests_never_give_a_server_error(
    plain: Target, body: bytes, content_type: bytes
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    answer = raw_request(plain, "POST", "/api/token", headers, body=body)
    assert_refused_properly(plain, answer)
    assert answer.status in (400, 401, 413, 429), answer.content[:300]


@FUZZ
@given(secret=st.text(max_size=300), key_id=st.text(max_size=300))
def test_a_wrong_secret_is_refused_and_never_echoed(
    plain: Target, secret: str, key_id: str
) -> None:
    security(plain.client).limiter = FailureLimiter()  # every example reaches the secret check
    answer = plain.client.post("/api/token", json={"keyId": key_id, "keySecret": secret})
    assert_refused_properly(plain, Answer(answer.status_code, answer.content), secret.encode())
    assert answer.status_code in (400, 401), answer.text
