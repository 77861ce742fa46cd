"""make run's NATS users: one password per user, generated once, readable by its owner only."""

import stat
from pathlib import Path

from deploy.embedded import bus_passwords
from shared.bus_access import bus_users


def test_each_nats_user_gets_its_own_password_once_readable_by_the_owner_only__TOM_T5(
    tmp_path: Path,
) -> None:
    users = tmp_path / "nats" / "users"
    first = bus_passwords(users)
    assert set(first) == set(bus_users())
    passwords = {user: path.read_text() for user, path in first.items()}
    assert len(set(passwords.values())) == len(passwords)  # no two users share one
    assert all(len(password) == 64 for password in passwords.values())
    assert stat.S_IMODE(users.stat().st_mode) == 0o700
    for path in first.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    again = bus_passwords(users)  # the next `make run`, or a second process of the Procfile
    assert {user: path.read_text() for user, path in again.items()} == passwords
    assert sorted(p.name for p in users.iterdir()) == sorted(f"{u}.password" for u in bus_users())
