"""python manage.py partner_create NAME --origin ORIGIN: a partner and its first API key."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from companies.services import api_key_create, partner_create


class Command(BaseCommand):
    help = "Create a partner and print its API key (shown once; only a hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--origin", action="append", default=[], dest="origins",
                            help="Origin allowed to frame the dashboard (repeatable), e.g. https://app.example.com")
        parser.add_argument("--key-name", default="default")

    def handle(self, *args, name, origins, key_name, **options):
        try:
            with transaction.atomic():
                partner = partner_create(name=name, allowed_origins=origins)
                _, raw = api_key_create(partner=partner, name=key_name)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"Partner {partner.name} ({partner.public_id})")
        self.stdout.write("API key (store it now, it is not shown again):")
        self.stdout.write(f"  {raw}")
