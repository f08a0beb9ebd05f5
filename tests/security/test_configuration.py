"""Production refuses weak configuration: the published development SECRET_KEY (or a short one)
stops the process, and `check --deploy` fails without TOKEN_ENCRYPTION_KEY."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[2]
DEV_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
STRONG = "x" * 50


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY",
                                                               "DJANGO_SETTINGS_MODULE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "ALLOWED_HOSTS": "tieout.example", **env}, timeout=120)


def test_production_refuses_the_published_development_key_and_short_keys():
    for key in (DEV_KEY, "short-key"):
        result = _manage("check", DEBUG="0", SECRET_KEY=key)
        assert result.returncode != 0 and "SECRET_KEY is the published development key" in result.stderr


def test_check_deploy_refuses_a_missing_token_encryption_key():
    result = _manage("check", "--deploy", "--fail-level", "ERROR", DEBUG="0", SECRET_KEY=STRONG)
    assert result.returncode != 0 and "tieout.E001" in result.stderr


def test_check_deploy_names_the_missing_token_encryption_key(settings):
    from config.checks import tieout_deploy_checks

    settings.SECRET_KEY, settings.TOKEN_ENCRYPTION_KEY = STRONG, "x" * 44
    assert tieout_deploy_checks(None) == []
    settings.TOKEN_ENCRYPTION_KEY = ""
    try:
        call_command("check", "--deploy", "--fail-level", "ERROR")
    except SystemCheckError as exc:
        assert "tieout.E001" in str(exc)
    else:
        raise AssertionError("check --deploy passed without TOKEN_ENCRYPTION_KEY")
