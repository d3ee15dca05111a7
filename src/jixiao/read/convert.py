"""Word 97–2003 (DOC), Kingsoft WPS, OpenDocument (ODT) and RTF files: converted
to DOCX by LibreOffice headless, then read by `load.word` like any DOCX, so
that grids and merged cells come from the converted file and offsets point
into its text.

LibreOffice runs once per file as ``soffice --headless --convert-to docx`` on a
copy of the file under a plain ASCII name, with no shell, in a throw-away
folder that also holds its profile (``-env:UserInstallation``): conversions in
parallel never share a profile, and nothing a document leaves in one outlives
its conversion. A conversion that outlasts its time limit is killed with the
whole process group LibreOffice starts (its ``soffice`` launcher leaves
``oosplash`` and ``soffice.bin`` behind it).

Macros never run: a document loaded for ``--convert-to`` is given no macro
execution mode, for which LibreOffice's loader takes NEVER_EXECUTE, and the
profile disables macros besides. tests/test_convert.py checks it with a document
whose macro runs when LibreOffice opens it with macros allowed.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from jixiao.document import Format, Loaded
from jixiao.read.base import LoadError
from jixiao.read.ole import OLE2_MAGIC
from jixiao.read.word import load_docx

SOFFICE_ENV = "JIXIAO_SOFFICE"
TIMEOUT_ENV = "JIXIAO_SOFFICE_TIMEOUT"
# A long report converts in seconds; a minute more is for a slow, busy machine.
DEFAULT_TIMEOUT = 120.0

RTF_MAGIC = b"{\\rtf"
ODT_MIMETYPES = frozenset(
    {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template"}
)

# Where LibreOffice's installers put it when it is not on PATH.
_INSTALLED = (
    Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
    Path("C:/Program Files/LibreOffice/program/soffice.exe"),
)
_INSTALL = (
    "install LibreOffice (Debian/Ubuntu: apt-get install libreoffice-writer-nogui;"
    " macOS: brew install --cask libreoffice; Windows: choco install libreoffice-fresh;"
    " others: https://www.libreoffice.org/download/), then put its soffice on PATH"
    f" or set {SOFFICE_ENV} to it"
)
_RESAVE = "open it in Word, WPS or LibreOffice and save it as .docx, or convert it to PDF"
_LABELS: dict[Format, str] = {"doc": "DOC/WPS", "odt": "ODT", "rtf": "RTF"}
# The profile's settings: no macro of any document runs, whatever the load asks.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""


def load_doc(path: Path, data: bytes, digest: str) -> Loaded:
    # An OLE2 file reaches here only once its streams name it a Word document.
    if not data.startswith(OLE2_MAGIC):
        raise LoadError(path, "not a valid DOC or WPS file (not an OLE2 compound file)", _RESAVE)
    return _converted(path, data, digest, "doc")


def load_odt(path: Path, data: bytes, digest: str) -> Loaded:
    if not is_odt(data):
        raise LoadError(
            path, "not a valid ODT (not a ZIP archive of an OpenDocument text)", _RESAVE
        )
    return _converted(path, data, digest, "odt")


def load_rtf(path: Path, data: bytes, digest: str) -> Loaded:
    if not data.startswith(RTF_MAGIC):
        raise LoadError(path, "not a valid RTF (it does not start with {\\rtf)", _RESAVE)
    return _converted(path, data, digest, "rtf")


def is_odt(data: bytes) -> bool:
    """Whether `data` is an OpenDocument text, by the mimetype it declares."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A declared type is a short line: a large "mimetype" could be a zip bomb.
            if archive.getinfo("mimetype").file_size > 100:
                return False
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error, NotImplementedError):
        return False
    return declared in ODT_MIMETYPES


def _converted(path: Path, data: bytes, digest: str, kind: Format) -> Loaded:
    loaded = load_docx(path, to_docx(path, data, kind), digest)
    return replace(loaded, format=kind)


def find_soffice() -> str | None:
    """LibreOffice's soffice program: the one JIXIAO_SOFFICE names, else the
    first on PATH, else where its installer puts it."""
    named = os.environ.get(SOFFICE_ENV)
    if named:
        return shutil.which(named)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((str(place) for place in _INSTALLED if place.is_file()), None)


def to_docx(path: Path, data: bytes, kind: Format) -> bytes:
    """The DOCX LibreOffice makes of `data`, a file of format `kind` read from `path`."""
    program = find_soffice()
    if program is None:
        raise _not_installed(path, kind)
    with tempfile.TemporaryDirectory(prefix="jixiao-soffice-") as folder:
        work = Path(folder)
        source = work / f"report.{kind}"
        source.write_bytes(data)
        (work / "tmp").mkdir()
        settings = work / "profile" / "user" / "registrymodifications.xcu"
        settings.parent.mkdir(parents=True)
        settings.write_text(_PROFILE_SETTINGS, encoding="utf-8")
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--convert-to",
            "docx",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        log = _run(path, command, work)
        converted = work / "out" / "report.docx"
        if not converted.is_file():
            raise LoadError(path, f"LibreOffice could not read it ({log})", _RESAVE)
        return converted.read_bytes()


def _not_installed(path: Path, kind: Format) -> LoadError:
    named = os.environ.get(SOFFICE_ENV)
    if named:
        problem = (
            f"a {_LABELS[kind]} file is read with LibreOffice, and {SOFFICE_ENV}={named}"
            " is not a program that can be run"
        )
        return LoadError(
            path, problem, f"set {SOFFICE_ENV} to LibreOffice's soffice, or {_INSTALL}"
        )
    problem = f"a {_LABELS[kind]} file is read with LibreOffice, which is not installed"
    return LoadError(path, problem, _INSTALL)


def _timeout() -> float:
    try:
        seconds = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return seconds if seconds > 0 else DEFAULT_TIMEOUT


def _run(path: Path, command: list[str], work: Path) -> str:
    """Run LibreOffice in `work`, killing it and all it started at the time limit;
    the last line it wrote."""
    timeout = _timeout()
    # Its temporary files go into the throw-away folder too.
    scratch = str(work / "tmp")
    env = os.environ | {"TMPDIR": scratch, "TMP": scratch, "TEMP": scratch}
    log = work / "soffice.log"
    process: subprocess.Popen[bytes] | None = None
    with log.open("wb") as output:
        try:
            with _ctrl_c_held():
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=work,
                    env=env,
                    start_new_session=True,
                )
            process.wait(timeout)
        except OSError as error:
            raise LoadError(
                path,
                f"LibreOffice ({command[0]}) could not be started ({error.strerror})",
                f"check its installation, or set {SOFFICE_ENV} to a working soffice",
            ) from error
        except subprocess.TimeoutExpired:
            raise LoadError(
                path,
                f"converting it with LibreOffice took over {timeout:g} s, and was stopped",
                f"check that it opens in LibreOffice; a very long document may need more"
                f" time: set {TIMEOUT_ENV} (seconds)",
            ) from None
        finally:
            # At the time limit, and when jixiao itself is stopped (Ctrl-C does
            # not reach LibreOffice's own session).
            if process is not None and process.returncode is None:
                _kill_group(process)
    return _last_line(log.read_text(encoding="utf-8", errors="replace"))


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C put off until the block ends. Arriving while `Popen` starts the
    program, after it runs but before its id is known, it would leave it
    running with no one to stop it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python raises KeyboardInterrupt in the main thread only
        return
    pressed: list[FrameType | None] = []
    previous = signal.signal(signal.SIGINT, lambda _number, frame: pressed.append(frame))
    try:
        yield
    finally:
        # None: a handler set outside Python, which cannot be put back; Python's default then.
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
        if pressed:
            if callable(previous):
                previous(signal.SIGINT, pressed[0])
            else:
                signal.raise_signal(signal.SIGINT)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill `process` and everything it started. Its group is killed before the
    process is reaped, so that its id cannot yet belong to another group."""
    if os.name == "posix":
        os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()
    process.wait()


def _last_line(log: str) -> str:
    # Warnings about Java, which a conversion does not need, say nothing of the file.
    lines = [line.strip() for line in log.splitlines() if line.strip() and "javaldx" not in line]
    return lines[-1][:200] if lines else "it said nothing"
