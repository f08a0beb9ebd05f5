from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

NAME = "connections: poll every connection"


class Command(BaseCommand):
    help = ("Create or update the django-q2 schedule that polls every connection every --minutes, "
            "staggered: the poll runs each minute and queues the connections due in it (idempotent).")

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=getattr(settings, "SYNC_POLL_MINUTES", 15))

    def handle(self, *args, minutes, **options):
        _, created = Schedule.objects.update_or_create(
            name=NAME,
            defaults={"func": "connections.tasks.poll_connections", "schedule_type": Schedule.MINUTES,
                      "minutes": 1, "args": repr((minutes,)), "repeats": -1},
        )
        self.stdout.write(f"{'Created' if created else 'Updated'} schedule {NAME!r}: each connection every "
                          f"{minutes} min, staggered over the minutes")
