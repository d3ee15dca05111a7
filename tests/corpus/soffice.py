"""The other programs that write the test files (LibreOffice, chromium), run as
converters of untrusted documents: a private profile folder, no restore, a time
limit after which the whole process group is killed (soffice.bin outlives the
soffice script, chromium its renderers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 300  # seconds for one run (LibreOffice starts in about 5)
INSTALL = "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui"


class ConversionError(RuntimeError):
    pass


def run(command: list[str], timeout: float = TIMEOUT) -> None:
    """Run a converter in a session of its own, so that on timeout its children die with it."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConversionError(f"{command[0]} took over {timeout} s") from None
    if process.returncode:
        raise ConversionError(f"{command[0]} failed: {output.decode(errors='replace')[-500:]}")


def convert(sources: list[Path], target: str, out: Path, timeout: float = TIMEOUT) -> list[Path]:
    """Each file converted by LibreOffice in one run into `out`, as `target` (an
    extension, or ``ext:Filter Name`` such as ``xls:MS Excel 97``); the files made."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise ConversionError(f"soffice is missing: {INSTALL}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="soffice-profile-") as profile:
        run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                *map(str, sources),
            ],
            timeout,
        )
    extension = target.split(":", 1)[0]
    made = [out / f"{source.stem}.{extension}" for source in sources]
    missing = [path.name for path in made if not path.is_file()]
    if missing:
        raise ConversionError(f"LibreOffice made no {', '.join(missing)}")
    return made
