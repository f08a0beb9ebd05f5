import sys

from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection, ConnectionStatus
from connections.services import connection_sync


class Command(BaseCommand):
    help = "Sync connections now, in this process, with a progress bar on stderr."

    def add_arguments(self, parser):
        parser.add_argument("--company", type=int, help="only this company's connections")
        parser.add_argument("--connection", type=int, help="only this connection")

    def handle(self, *args, company=None, connection=None, **options):
        connections = Connection.objects.exclude(status=ConnectionStatus.DISABLED).order_by("id")
        if company:
            connections = connections.filter(company_id=company)
        if connection:
            connections = connections.filter(pk=connection)
        if not connections.exists():
            raise CommandError("no connection matches")
        for conn in connections:
            run = connection_sync(connection=conn, on_page=lambda run, conn=conn: self._bar(conn, run))
            sys.stderr.write("\n")
            self.stdout.write(f"{conn.ref}: {run.status}, {run.records} records in {run.pages} pages, "
                              f"{run.duration_ms} ms" + (f" — {run.errors[-1]}" if run.errors else ""))

    def _bar(self, conn, run) -> None:
        # Page totals are unknown up front (cursor APIs), so the bar counts what is done.
        spin = "|/-\\"[run.pages % 4]
        sys.stderr.write(f"\r{spin} {conn.ref} {run.progress_entity:<12} pages {run.pages:>6} "
                         f"records {run.records:>9}")
        sys.stderr.flush()
