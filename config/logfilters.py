"""A logging filter that keeps credentials out of every log line: query parameters and JSON keys
that carry a token or secret (`access_token=…`, `"client_secret": "…"`, `token=…`) are written as
`[redacted]`, whatever logger wrote them (httpx request lines, gunicorn access lines, Django's
request errors, our own)."""

import logging
import re

SECRET_NAMES = r"(?:access_token|public_token|refresh_token|client_secret|secret|token|api_key)"
# In a URL `code` is an OAuth authorization code too (Stripe's callback).
_QUERY = re.compile(rf"(?i)([?&;](?:{SECRET_NAMES}|code)=)[^&\s\"']+")
_JSON = re.compile(rf'(?i)("{SECRET_NAMES}"\s*:\s*")[^"]*(")')
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    text = _QUERY.sub(r"\1[redacted]", text)
    text = _JSON.sub(r"\1[redacted]\2", text)
    return _BEARER.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
