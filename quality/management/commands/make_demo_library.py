from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from musicquality.progress import ProgressBar
from quality.services.demo import demo_library_make, recordings_default
from quality.services.encoding import EncoderMissing


class Command(BaseCommand):
    help = (
        "Write a demo library of real audio files under DIR/music: distinct recordings (each "
        "its own music-like audio, 20-22 s, a few full-length) in MP3 CBR/VBR/ABR, AAC, ALAC, "
        "FLAC 16/44.1, 24/96 and 5.1, Opus, Vorbis, WAV and AIFF; the same recordings again "
        "as other formats, exact copies, re-tagged copies and other rips; planted fakes "
        "(FLAC from MP3/AAC/Vorbis, upsampled, padded), damaged files, decoys and non-UTF-8 "
        "names. DIR/manifest.json says what each file is; DIR/music_tools.db is a matching "
        "Music Tools database. Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, required=True, help="number of audio files")
        parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="new folder")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--recordings",
            type=int,
            default=None,
            help="distinct recordings (default: 80%% of the files, at most 2,500); the build "
            "time grows with this number, the other files hold the audio of one of them",
        )
        parser.add_argument("--workers", type=int, default=None, help="default: all cores")

    def handle(self, *args, **options):
        out = Path(options["out"]).expanduser()
        files = options["files"]
        if files < 1:
            raise CommandError("--files must be at least 1")
        recordings = options["recordings"]
        if recordings is not None and not 1 <= recordings <= files:
            raise CommandError(f"--recordings must be between 1 and --files ({files})")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a folder: give a folder for --out")
        if (out / "music").exists() and any((out / "music").iterdir()):
            raise CommandError(
                f"{out / 'music'} already holds files: give a new --out folder or remove it"
            )
        bar = ProgressBar(self.stdout, label="Making", total=files)
        try:
            demo = demo_library_make(
                out=out,
                files=files,
                seed=options["seed"],
                recordings=recordings or recordings_default(files),
                workers=options["workers"],
                progress=bar.update,
            )
        except EncoderMissing as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
        for kind, count in sorted(demo.by_kind.items()):
            self.stdout.write(f"  {kind:<16} {count}")
        formats = ", ".join(f"{ext} {n}" for ext, n in sorted(demo.by_format.items()))
        self.stdout.write(f"  formats: {formats}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{demo.files} files ({demo.recordings} recordings, "
                f"{demo.total_bytes / 1e9:.2f} GB) under {demo.music_dir} in {demo.seconds:.0f} s; "
                f"manifest {demo.manifest}; streaming database {demo.streaming_db}"
            )
        )
