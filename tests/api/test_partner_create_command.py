"""manage.py partner_create prints a new key once; only its hash is stored."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from companies.models import ApiKey, Partner
from companies.services import api_key_authenticate


def test_it_creates_a_partner_and_prints_a_working_key_once(db):
    out = StringIO()
    call_command("partner_create", "Acme Bank", "--origin", "https://app.acme.test", stdout=out)
    raw = next(line.split()[-1] for line in out.getvalue().splitlines() if "tk_" in line)
    partner = Partner.objects.get(name="Acme Bank")
    assert partner.allowed_origins == ["https://app.acme.test"]
    assert api_key_authenticate(raw_key=raw).partner == partner
    assert raw not in str(list(ApiKey.objects.values()))


def test_it_refuses_a_bad_origin(db):
    with pytest.raises(CommandError):
        call_command("partner_create", "Acme", "--origin", "app.acme.test", stdout=StringIO())
    assert not Partner.objects.exists()
