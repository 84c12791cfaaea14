from pathlib import Path

from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
from musicquality.monitoring.rules import QueryOrigin
from overview.monitoring import metrics_exposition_get


class Command(LibraryCommand):
    help = (
        "Write the monitoring metrics and the four alerts in Prometheus' text format, as "
        "GET /metrics serves them: to stdout, or with --out to FILE (written to a temporary "
        "name and renamed into place, for node_exporter's textfile collector)."
    )
    query_origin = QueryOrigin.MONITORING

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (*.prom)")

    def handle(self, *args, **options):
        out_path = options["out"]
        if out_path is not None and not out_path.parent.is_dir():
            raise CommandError(f"--out {out_path}: folder {out_path.parent} not found")
        text = metrics_exposition_get().decode()
        if out_path is None:
            self.stdout.write(text, ending="")
            return
        partial = out_path.with_name(out_path.name + ".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(out_path)
        self.stdout.write(f"Wrote {out_path}")
