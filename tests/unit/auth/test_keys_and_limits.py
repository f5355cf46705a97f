"""Access-key secrets are stored hashed; repeated failures lock a caller out for a while."""

from __future__ import annotations

from podium.auth.keys import hash_secret, new_secret, verify_secret
from podium.auth.limits import FailureLimiter


def test_a_secret_verifies_only_against_its_own_hash() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert secret not in stored
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(secret, hash_secret(secret + "x"))
    assert hash_secret(secret) != stored  # salted


def test_a_malformed_stored_hash_never_verifies() -> None:
    for stored in ["", "garbage", "scrypt$a$b$c$d$e", "bcrypt$1$2$3$4$5", "scrypt$16384$8$1$!$!"]:
        assert not verify_secret("secret", stored)


def test_a_key_is_refused_after_the_limit_until_its_oldest_failure_leaves_the_window() -> None:
    limiter = FailureLimiter(limit=3, window_s=60)
    for at in (0.0, 10.0, 20.0):
        assert limiter.retry_after(["addr:1"], at) == 0
        limiter.failed(["addr:1"], at)
    assert limiter.retry_after(["addr:1"], 30.0) == 30.0  # the first failure leaves at 60
    assert limiter.retry_after(["addr:2"], 30.0) == 0  # other callers are not affected
    assert limiter.retry_after(["addr:2", "addr:1"], 30.0) == 30.0
    assert limiter.retry_after(["addr:1"], 60.0) == 0


def test_the_limiter_forgets_the_least_recent_keys_beyond_its_size() -> None:
    limiter = FailureLimiter(limit=1, window_s=60, max_keys=2)
    for n, key in enumerate(["a", "b", "c"]):
        limiter.failed([key], float(n))
    assert limiter.retry_after(["a"], 3.0) == 0
    assert limiter.retry_after(["b"], 3.0) > 0
    assert limiter.retry_after(["c"], 3.0) > 0
