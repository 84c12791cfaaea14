from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quality.services.demo import demo_library_make
from quality.services.encoding import EncoderMissing


class Command(BaseCommand):
    help = (
        "Write a demo library of real audio files (MP3 CBR/VBR/ABR, AAC, ALAC, FLAC 16/44.1, "
        "24/96 and 5.1, Opus, Vorbis, WAV, AIFF; duplicates, re-tagged copies, a few corrupt "
        "files) under DIR/music, and a matching Music Tools DIR/music_tools.db. "
        "Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, required=True, help="number of audio files")
        parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="new folder")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--workers", type=int, default=None, help="default: all cores")

    def handle(self, *args, **options):
        out = Path(options["out"]).expanduser()
        if options["files"] < 1:
            raise CommandError("--files must be at least 1")
        if (out / "music").exists() and any((out / "music").iterdir()):
            raise CommandError(
                f"{out / 'music'} already holds files: give a new --out folder or remove it"
            )
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a folder: give a folder for --out")
        try:
            demo = demo_library_make(
                out=out, files=options["files"], seed=options["seed"], workers=options["workers"]
            )
        except EncoderMissing as error:
            raise CommandError(str(error)) from None
        for kind, count in sorted(demo.by_kind.items()):
            self.stdout.write(f"  {kind:<26} {count}")
        formats = ", ".join(f"{ext} {n}" for ext, n in sorted(demo.by_format.items()))
        self.stdout.write(f"  formats: {formats}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{demo.files} files under {demo.music_dir}; streaming database {demo.streaming_db}"
            )
        )
