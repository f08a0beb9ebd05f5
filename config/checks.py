"""Deployment checks (`manage.py check --deploy`): what production must not run without."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def tieout_deploy_checks(app_configs, **kwargs):
    errors = []
    if not settings.TOKEN_ENCRYPTION_KEY:
        errors.append(Error(
            "TOKEN_ENCRYPTION_KEY is not set: provider tokens would be encrypted with a key derived "
            "from SECRET_KEY, and rotating SECRET_KEY would make them unreadable.",
            hint='Set it to the output of python -c "from cryptography.fernet import Fernet; '
                 'print(Fernet.generate_key().decode())"', id="tieout.E001"))
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        errors.append(Error("SECRET_KEY is the published development key.", id="tieout.E002"))
    return errors
