"""Stored webhook bodies keep no credentials: Rutter's carry the connection's access_token, and
rejected deliveries were kept whole. Existing rows are brought in line with what
connections.services.webhooks stores from now on (verified bodies redacted, rejected ones empty)."""

import json

from django.db import migrations

SECRET_KEYS = frozenset({"access_token", "public_token", "secret", "client_secret", "refresh_token"})


def _redact(value):
    if isinstance(value, dict):
        return {k: "[redacted]" if k in SECRET_KEYS else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def forward(apps, schema_editor):
    WebhookEvent = apps.get_model("connections", "WebhookEvent")
    WebhookEvent.objects.filter(signature_ok=False).update(body=b"")
    for event in WebhookEvent.objects.filter(signature_ok=True).only("pk", "body").iterator(chunk_size=500):
        try:
            payload = json.loads(bytes(event.body))
        except ValueError:
            WebhookEvent.objects.filter(pk=event.pk).update(body=b"")
            continue
        redacted = json.dumps(_redact(payload), separators=(",", ":")).encode()
        if redacted != bytes(event.body):
            WebhookEvent.objects.filter(pk=event.pk).update(body=redacted)


class Migration(migrations.Migration):
    dependencies = [("connections", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
