"""Settings that follow one another."""

from portal.config import Config


def test_the_default_base_url_follows_the_port(monkeypatch, tmp_path):
    """`PORT=8000 make run` wrote :5000 into email links."""
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    assert Config().BASE_URL == "http://127.0.0.1:8000"
    monkeypatch.delenv("PORT")
    assert Config().BASE_URL == "http://127.0.0.1:5000"
    monkeypatch.setenv("PORTAL_BASE_URL", "https://members.example.com")
    monkeypatch.setenv("PORT", "8000")
    assert Config().BASE_URL == "https://members.example.com"


def test_run_script_exports_the_port_to_the_worker_and_cron():
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "scripts" / "run.sh").read_text()
    assert "export PORT=" in script


def test_remember_me_lasts_at_most_30_days_also_in_development(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_REMEMBER_DAYS", "365")
    assert Config().REMEMBER_COOKIE_DURATION.days == 30
    monkeypatch.setenv("PORTAL_REMEMBER_DAYS", "7")
    assert Config().REMEMBER_COOKIE_DURATION.days == 7
