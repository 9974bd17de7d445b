import pytest
from argon2 import extract_parameters

from portal import create_app
from portal.auth import passwords
from portal.config import Config


def test_production_settings_hash_with_argon2id_at_46_mib(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ARGON2_MEMORY_KIB", raising=False)
    settings = Config()
    assert settings.ARGON2_MEMORY_KIB >= 46 * 1024 and settings.ARGON2_TIME_COST >= 1
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        hashed = passwords.hash_password("a perfectly fine passphrase")
        params = extract_parameters(hashed)
        assert hashed.startswith("$argon2id$")
        assert params.memory_cost >= 47104 and params.time_cost >= 1
        assert passwords.verify_password(hashed, "a perfectly fine passphrase")
        assert not passwords.verify_password(hashed, "a perfectly fine passphrasE")
        assert not passwords.verify_password("not a hash", "anything")


def test_weaker_hashes_are_flagged_for_rehash(plain_app):
    plain_app.config["ARGON2_MEMORY_KIB"] = 8192
    weak = passwords.hash_password("correct horse battery")
    plain_app.config["ARGON2_MEMORY_KIB"] = 47104
    assert passwords.needs_rehash(weak)


@pytest.mark.parametrize("password", ["short", "1234567", "password", "12345678", "iloveyou", "Qwerty123"])
def test_short_and_common_passwords_are_refused(plain_app, password):
    assert passwords.password_problem(password) is not None


def test_personal_data_is_refused_as_a_password(plain_app):
    assert passwords.password_problem("mei@example.com", email="mei@example.com") is not None
    assert passwords.password_problem("meilin88", email="meilin88@example.com") is not None


@pytest.mark.parametrize("password", ["portal-demo", "correct horse 9", "長城長城長城長城"])
def test_reasonable_passwords_are_accepted(plain_app, password):
    assert passwords.password_problem(password, email="mei@example.com", name="Mei Lin") is None
