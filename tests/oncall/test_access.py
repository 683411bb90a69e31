"""The pure rules of who may do what: password check, login rate limit, read networks, next URLs."""

from __future__ import annotations

import dataclasses
from ipaddress import ip_network

from argon2 import PasswordHasher

from infra.inventory import Inventory
from infra.oncall.auth import (
    LoginLimiter,
    Role,
    User,
    Users,
    access_settings,
    may_read_without_login,
    safe_next,
)
from tests.conftest import LAB_SECRETS, ONCALL_PASSWORDS

NETWORKS = (ip_network("127.0.0.0/8"), ip_network("10.127.0.0/16"), ip_network("fd00:127::/64"))


def test_read_without_login_only_from_the_configured_networks() -> None:
    assert may_read_without_login("10.127.3.4", NETWORKS)
    assert may_read_without_login("127.0.0.1", NETWORKS)
    assert may_read_without_login("::ffff:10.127.0.9", NETWORKS)  # dual-stack socket
    assert may_read_without_login("fd00:127::5", NETWORKS)
    assert not may_read_without_login("10.128.0.1", NETWORKS)
    assert not may_read_without_login("192.0.2.1", NETWORKS)
    assert not may_read_without_login("testclient", NETWORKS)  # not an address: not on the network
    assert not may_read_without_login(None, NETWORKS)
    assert not may_read_without_login("10.127.3.4", ())


def test_a_password_is_checked_against_its_argon2id_hash() -> None:
    hashed = PasswordHasher().hash("right-horse-battery")
    users = Users([User("an", Role.OPERATOR, password_hash=hashed)])
    user = users.check("an", "right-horse-battery")
    assert user is not None and user.may_silence
    assert users.check("an", "wrong") is None
    assert users.check("nobody", "right-horse-battery") is None
    assert hashed not in repr(user)  # a logged user never shows its hash


def test_a_broken_hash_refuses_instead_of_failing() -> None:
    users = Users([User("an", Role.VIEWER, password_hash="not-a-hash")])
    assert users.check("an", "anything") is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_the_address_and_the_user_name_for_the_window() -> None:
    clock = Clock()
    limiter = LoginLimiter(max_failures=5, window_s=300, clock=clock)
    for _ in range(4):
        limiter.failed("192.0.2.7", "truc-ban")
        clock.now += 10
    assert limiter.retry_after("192.0.2.7", "truc-ban") is None
    limiter.failed("192.0.2.7", "truc-ban")
    wait = limiter.retry_after("192.0.2.7", "truc-ban")
    assert wait is not None and 259 <= wait <= 261  # the first failure (40 s ago) ages out at 300 s
    # the same name from another address, and another name from the same address: locked too
    assert limiter.retry_after("198.51.100.1", "TRUC-BAN") is not None
    assert limiter.retry_after("192.0.2.7", "xem") is not None
    assert limiter.retry_after("198.51.100.1", "xem") is None
    clock.now += wait
    assert limiter.retry_after("192.0.2.7", "truc-ban") is None


def test_a_success_forgets_the_user_name_but_not_the_address() -> None:
    clock = Clock()
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=clock)
    for _ in range(3):
        limiter.failed("192.0.2.7", "truc-ban")
    limiter.succeeded("192.0.2.7", "truc-ban")
    assert limiter.retry_after("198.51.100.1", "truc-ban") is None
    assert limiter.retry_after("192.0.2.7", "truc-ban") is not None


def test_the_limiter_keeps_bounded_memory() -> None:
    limiter = LoginLimiter(max_keys=100, clock=Clock())
    for i in range(1000):
        limiter.failed("192.0.2.7", f"user{i}")
    assert len(limiter._failures) <= 100


def test_after_login_only_a_path_of_the_board() -> None:
    assert safe_next("/silences?alert=ab12") == "/silences?alert=ab12"
    for bad in (None, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        assert safe_next(bad) == "/"


def test_the_settings_take_users_networks_and_key_from_the_inventory(example_inventory: Inventory) -> None:
    got = access_settings(example_inventory)
    assert [(u.name, u.role, u.may_silence) for u in got["users"]] == [
        ("truc-ban", Role.OPERATOR, True),
        ("xem", Role.VIEWER, False),
    ]
    assert Users(got["users"]).check("truc-ban", ONCALL_PASSWORDS[0]) is not None
    assert Users(got["users"]).check("xem", ONCALL_PASSWORDS[0]) is None
    assert got["session_key"] in LAB_SECRETS and got["session_hours"] == 12
    assert ip_network("10.127.0.0/16") in got["read_networks"]
    without = dataclasses.replace(example_inventory, oncall=None)
    assert access_settings(without) == {}  # nobody logs in; the board's default networks read
