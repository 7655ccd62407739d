"""Run Windows' crypt32 (as implemented by Wine) against CTL files.

``ctlclient.c`` is compiled with mingw-w64 and run under Wine in a private,
throw-away WINEPREFIX.  Tests normally use the session fixtures of
``tests/interop/conftest.py`` (``wine_client`` gives the .exe, the prefix is set
up once per session); ``run_ctl(exe, stl_path)`` then returns the parsed output.

Debian packages: ``wine`` (the /usr/bin/wine and /usr/bin/wineserver wrappers,
a Recommends of wine64), ``wine64`` (/usr/lib/wine/wine64, the real loader) and
``gcc-mingw-w64-x86-64``.  Without the ``wine`` wrapper package we fall back to
/usr/lib/wine/wine64 and /usr/lib/wine/wineserver64.

Things a caller must know about crypt32's view of a CTL (found on Wine 8.0):

* ``sequence`` is printed most-significant byte first, so it equals the DER
  INTEGER's content octets (crypt32 itself holds it little-endian).
* ``listid`` is the raw OCTET STRING content, trailing UTF-16 NUL (00 00) kept.
* attribute values (``entry_list[i]["attrs"]``) are the DER-encoded values as
  crypt32 gives them, i.e. the whole ``04 len ...`` OCTET STRING TLV, not the
  property bytes.
* ``algparams`` is the DER parameters (``0500`` for NULL).
* ``verify`` is only a check of the RSA signature over the signed attributes:
  Wine never compares the messageDigest attribute with the content.  Its own
  ``computeddigest`` is over the CTL's full TLV (``30 len ...``) whereas
  Microsoft's messageDigest covers only the content octets, so the two differ
  even for genuine Microsoft files.  Check ``messagedigest`` yourself.
* Wine's CTL decoder rejects entries without subjectAttributes (the
  disallowedcert layout): ``CtlDecodeError`` with code 0x80093103
  (CRYPT_E_ASN1_CORRUPT).  Real Windows accepts them.

Serialized stores (``run_sst_save`` / ``run_sst_load``), Wine 8.0:

* the writer puts each certificate's properties before it (as Windows does),
  leaves out the hash properties (3, 4, 15 ...) and enumerates the memory
  store newest-first, so certificates come out in reverse order of adding;
* the reader attaches a property to the *previous* certificate and gives up at
  a property that comes before any certificate -- so it loads nothing from a
  Windows SST, nor from its own SST once a certificate has a friendly name.
  An SST without properties is the only kind both read the same way.
* ``prop 3`` shows up in ``props`` even when the file had none: loading
  computes and caches SHA-1 (presumably the CERT_STORE_ADD_NEW duplicate check).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests import peers

HERE = Path(__file__).resolve().parent
CLIENT_SOURCE = HERE / "ctlclient.c"
MINGW_GCC = "x86_64-w64-mingw32-gcc"
MINGW_PACKAGE = "gcc-mingw-w64-x86-64"
WINE_PACKAGES = "wine wine64"

BOOT_TIMEOUT = 300  # first-time prefix creation: ~5-60 s depending on the machine
RUN_TIMEOUT = 120
CRYPT_E_ASN1_CORRUPT = 0x80093103


class CtlClientError(RuntimeError):
    """ctlclient crashed, timed out, or printed something we do not understand."""


class CtlDecodeError(CtlClientError):
    """crypt32 could not decode the file; ``code`` is GetLastError().

    ``result`` holds whatever was still parsed (the signature lines are printed
    even when CertCreateCTLContext fails).
    """

    def __init__(self, message: str, code: int | None, result: dict):
        super().__init__(message)
        self.code = code
        self.result = result


# --------------------------------------------------------------------------- tools

def find_wine() -> tuple[str, str] | None:
    """(wine, wineserver) paths, or None when Wine is not installed."""
    for name in ("wine", "wine64"):
        path = shutil.which(name)
        if path:
            server = shutil.which("wineserver") or _sibling_server(Path(path))
            if server:
                return path, server
    for loader in ("/usr/lib/wine/wine64", "/usr/lib64/wine/wine64"):
        if os.access(loader, os.X_OK):
            server = _sibling_server(Path(loader))
            if server:
                return loader, server
    return None


def _sibling_server(loader: Path) -> str | None:
    real = loader.resolve().parent
    for name in ("wineserver", "wineserver64"):
        cand = real / name
        if os.access(cand, os.X_OK):
            return str(cand)
    return None


def require_wine() -> tuple[str, str]:
    found = find_wine()
    if found is None:
        peers.missing(f"wine not installed (Debian packages {WINE_PACKAGES})")
    return found


def build_client(dest: os.PathLike | str) -> Path:
    """Compile ctlclient.c into ``dest`` (a directory) and return the .exe path.

    Re-uses an existing .exe that is newer than the source.
    """
    gcc = peers.require_tool(MINGW_GCC, MINGW_PACKAGE)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    exe = dest / "ctlclient.exe"
    if exe.exists() and exe.stat().st_mtime >= CLIENT_SOURCE.stat().st_mtime:
        return exe
    proc = subprocess.run(
        [gcc, "-O2", "-Wall", "-Wextra", "-o", str(exe), str(CLIENT_SOURCE), "-lcrypt32", "-lshell32"],
        capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )
    if proc.returncode != 0:
        raise CtlClientError(f"building ctlclient.exe failed:\n{proc.stderr}")
    return exe


# --------------------------------------------------------------------------- prefix

@dataclass
class WineRunner:
    """One private WINEPREFIX with a persistent wineserver for the session."""

    wine: str
    wineserver: str
    prefix: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WINE")}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        env["WINEPREFIX"] = str(self.prefix)
        env["WINEDEBUG"] = "-all"
        env["WINEDLLOVERRIDES"] = "mscoree,mshtml="  # no Mono/Gecko install prompts
        env["WINEARCH"] = "win64"
        if Path(self.wine).name == "wine64" and "/lib" in self.wine:
            env["WINELOADER"] = self.wine  # what the /usr/bin/wine wrapper would set
        return env

    def boot(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Create the prefix (slow the first time) and keep a wineserver alive."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        env = self.env()
        log = self.prefix.parent / "wineboot.log"
        # Never give these a pipe: the daemonized wineserver and the services
        # wineboot starts (services.exe, explorer.exe, ...) inherit it and keep it
        # open, so reading to EOF would hang until they exit.
        with open(log, "wb") as out:
            try:
                # -p: persistent until "wineserver -k"; it daemonizes and returns.
                subprocess.run([self.wineserver, "-p"], env=env, timeout=60,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                               check=False)
                proc = subprocess.run([self.wine, "wineboot", "--init"], env=env,
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                      timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                self.shutdown()
                raise CtlClientError(f"{exc.cmd} did not finish in {exc.timeout} s") from exc
        if proc.returncode != 0 or not (self.prefix / "dosdevices" / "z:").exists():
            tail = log.read_bytes()[-2000:].decode(errors="replace")
            raise CtlClientError(f"wineboot failed (rc {proc.returncode}):\n{tail}")

    def shutdown(self) -> None:
        """Stop this prefix's wineserver and every Wine process in the prefix."""
        if self.prefix.exists():
            subprocess.run([self.wineserver, "-k"], env=self.env(), timeout=60,
                           capture_output=True, check=False)

    def server_dirs(self) -> list[Path]:
        """Wine's socket dir(s) for this prefix: <tmp>/wine-XXXXXX/server-<dev>-<ino>."""
        st = self.prefix.stat()
        name = f"server-{st.st_dev:x}-{st.st_ino:x}"
        return [p for p in Path(tempfile.gettempdir()).glob(f"wine-*/{name}") if p.is_dir()]

    def remove(self) -> None:
        """shutdown(), then delete the prefix and Wine's (now empty) socket dir."""
        if not self.prefix.exists():
            return
        self.shutdown()
        stale = self.server_dirs()
        shutil.rmtree(self.prefix, ignore_errors=True)
        for d in stale:
            shutil.rmtree(d, ignore_errors=True)
            try:
                d.parent.rmdir()
            except OSError:
                pass

    def run(self, exe: Path, args: list[str], timeout: float = RUN_TIMEOUT,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        env = self.env()
        env.update(extra_env or {})
        try:
            return subprocess.run([self.wine, str(exe), *args], env=env,
                                  cwd=str(Path(exe).parent), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise CtlClientError(f"{exe.name} {args} timed out after {timeout} s") from exc


_default_runner: WineRunner | None = None


def set_default_runner(runner: WineRunner | None) -> None:
    global _default_runner
    _default_runner = runner


def default_runner() -> WineRunner:
    """The session's runner; outside pytest, one is created on first use."""
    global _default_runner
    if _default_runner is None:
        wine, server = require_wine()
        tmp = Path(tempfile.mkdtemp(prefix="ctlbuild-wine-"))
        runner = WineRunner(wine, server, tmp / "prefix")
        runner.boot()

        def _cleanup() -> None:
            runner.remove()
            shutil.rmtree(tmp, ignore_errors=True)

        atexit.register(_cleanup)
        _default_runner = runner
    return _default_runner


def to_windows_path(path: os.PathLike | str) -> str:
    """Absolute unix path -> Z:\\... (Z: maps to / in every fresh prefix)."""
    p = Path(path).resolve()
    return "Z:" + str(p).replace("/", "\\")


# --------------------------------------------------------------------------- ctl

def parse_ctl_output(text: str) -> dict:
    res: dict = {
        "usages": [], "subjects": [], "entry_list": [], "extensions": [],
        "entries": None, "sequence": None, "listid": None, "algorithm": None,
        "verify": None, "verify_error": None, "decode_error": None,
    }
    entry = None
    attr = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, _, val = line.partition(" ")
        if key == "subject":
            entry = {"subject": val, "attrs": []}
            res["entry_list"].append(entry)
            res["subjects"].append(val)
        elif key == "attrs":
            entry["nattrs"] = int(val)
        elif key == "attr":
            attr = (val, [])
            entry["attrs"].append(attr)
        elif key == "value":
            attr[1].append(val)
        elif key == "usage":
            res["usages"].append(val)
        elif key == "extension":
            oid, crit, hexval = val.split(" ")
            res["extensions"].append((oid, crit == "1", "" if hexval == "-" else hexval))
        elif key in ("version", "entries", "thisupdate", "nextupdate", "certs", "signers"):
            res[key] = int(val)
        elif key in ("sequence", "listid", "algparams", "messagedigest", "computeddigest",
                     "signercert", "algorithm", "innertype"):
            res[key] = None if val == "-" else val
        elif key == "verify":
            if val == "ok":
                res["verify"] = True
            else:
                res["verify"] = False
                res["verify_error"] = int(val.split()[-1], 16)
        elif key == "extensions":
            pass
        else:
            raise CtlClientError(f"unexpected ctlclient output line: {line!r}")
    return res


def run_ctl(exe: os.PathLike | str, stl_path: os.PathLike | str,
            runner: WineRunner | None = None, timeout: float = RUN_TIMEOUT) -> dict:
    """Run ``ctlclient ctl`` on stl_path under Wine and parse the result.

    Keys: entries, sequence (hex, big-endian), listid (hex or None), usages,
    algorithm, algparams, thisupdate/nextupdate (FILETIME ints), extensions,
    subjects (hex, in order), entry_list (subject + attrs per entry), innertype,
    certs, signers, messagedigest, computeddigest, signercert, verify (bool),
    verify_error (int or None), stdout/stderr.  Raises CtlDecodeError when
    crypt32 cannot decode the file, CtlClientError on any other failure.
    """
    runner = runner or default_runner()
    exe = Path(exe)
    proc = runner.run(exe, ["ctl", to_windows_path(stl_path)], timeout=timeout)
    out = proc.stdout.decode("ascii", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode not in (0, 1):
        raise CtlClientError(f"ctlclient exited {proc.returncode}:\n{err[-2000:]}")
    res = parse_ctl_output(out)
    res["stdout"], res["stderr"] = out, err
    if proc.returncode == 1:
        code = None
        for line in err.splitlines():
            if line.startswith("ctl decode failed 0x"):
                code = int(line.split()[3], 16)
                break
        if code is None:  # e.g. "cannot read FILE"
            raise CtlClientError(f"ctlclient failed on {stl_path}: {err.strip()}")
        res["decode_error"] = code
        raise CtlDecodeError(f"crypt32 could not decode {stl_path}: {err.strip()}", code, res)
    if res["verify"] is None or res["entries"] is None:
        raise CtlClientError(f"incomplete ctlclient output:\n{out[-2000:]}\n{err[-2000:]}")
    return res


# --------------------------------------------------------------------------- sst

# Wine turns the Unix argv into UTF-16 with the locale's charset: make it UTF-8 so
# friendly names outside ASCII reach CertSetCertificateContextProperty intact.
_UTF8_LOCALE = {"LC_ALL": "C.UTF-8"}


def run_sst_save(exe: os.PathLike | str, out_path: os.PathLike | str,
                 certs: list[tuple[os.PathLike | str, str | None]],
                 runner: WineRunner | None = None, timeout: float = RUN_TIMEOUT) -> int:
    """Have crypt32 write a serialized store (CertSaveStore, CERT_STORE_SAVE_AS_STORE)
    holding ``certs``: (DER file ending in .der, friendly name or None) pairs, added in
    this order. Returns the number of certificates saved."""
    runner = runner or default_runner()
    args = ["sst-save", to_windows_path(out_path)]
    for cert_path, name in certs:
        if not str(cert_path).lower().endswith(".der"):
            raise ValueError(f"ctlclient tells certificates from names by .der: {cert_path}")
        args.append(to_windows_path(cert_path))
        if name is not None:
            if not name or name.lower().endswith(".der"):
                raise ValueError(f"friendly name {name!r} would be taken for a certificate")
            args.append(name)
    proc = runner.run(Path(exe), args, timeout=timeout, extra_env=_UTF8_LOCALE)
    out = proc.stdout.decode("ascii", errors="replace").strip()
    if proc.returncode != 0 or not out.startswith("saved "):
        err = proc.stderr.decode("utf-8", errors="replace")
        raise CtlClientError(f"ctlclient sst-save exited {proc.returncode}: {err.strip()[-2000:]}")
    return int(out.split()[1])


def parse_sst_output(text: str) -> dict:
    """``{"certs": [{"sha1", "name", "name_hex", "props"}], "cert_count", "crl_count",
    "ctl_count"}``; ``props`` maps property id → hex of what the store loaded."""
    res: dict = {"certs": [], "cert_count": None, "crl_count": None, "ctl_count": None}
    props: dict[int, str | None] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, _, val = line.partition(" ")
        if key == "prop":
            pid, _, hexval = val.partition(" ")
            props[int(pid)] = None if hexval == "-" else hexval
        elif key == "cert":
            current = {"sha1": val, "name": None, "name_hex": None, "props": props}
            props = {}
            res["certs"].append(current)
        elif key == "name":
            if val != "-":
                current["name_hex"] = val
                text_name = bytes.fromhex(val).decode("utf-16-le")
                current["name"] = text_name[:-1] if text_name.endswith("\0") else text_name
        elif key in ("certs", "crls", "ctls"):
            res[key[:-1] + "_count"] = int(val)
        else:
            raise CtlClientError(f"unexpected ctlclient output line: {line!r}")
    return res


def run_sst_load(exe: os.PathLike | str, sst_path: os.PathLike | str,
                 runner: WineRunner | None = None, timeout: float = RUN_TIMEOUT) -> dict:
    """Open ``sst_path`` with CertOpenStore(CERT_STORE_PROV_FILENAME_W) and list what
    crypt32 loaded (see parse_sst_output)."""
    runner = runner or default_runner()
    proc = runner.run(Path(exe), ["sst-load", to_windows_path(sst_path)], timeout=timeout)
    out = proc.stdout.decode("ascii", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise CtlClientError(f"ctlclient sst-load exited {proc.returncode}: {err.strip()[-2000:]}")
    res = parse_sst_output(out)
    if res["cert_count"] is None or res["cert_count"] != len(res["certs"]):
        raise CtlClientError(f"incomplete ctlclient output:\n{out[-2000:]}\n{err[-2000:]}")
    res["stdout"], res["stderr"] = out, err
    return res


# --------------------------------------------------------------------------- mirror roots

def run_crt_dir(exe: os.PathLike | str, folder: os.PathLike | str,
                runner: WineRunner | None = None, timeout: float = RUN_TIMEOUT) -> dict[str, str | None]:
    """``ctlclient crt-dir``: every FOLDER/*.crt through CertCreateCertificateContext.
    Returns file name → SHA-1 (lower-case hex) crypt32 computed, or None where it failed."""
    runner = runner or default_runner()
    proc = runner.run(Path(exe), ["crt-dir", to_windows_path(folder)], timeout=timeout)
    out = proc.stdout.decode("ascii", errors="replace")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", errors="replace")
        raise CtlClientError(f"ctlclient crt-dir exited {proc.returncode}: {err.strip()[-2000:]}")
    found: dict[str, str | None] = {}
    count = None
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["crt"] and len(parts) >= 3:
            found[parts[1]] = None if parts[2] == "fail" else parts[2]
        elif parts[:1] == ["crts"]:
            count = int(parts[1])
        elif parts:
            raise CtlClientError(f"unexpected ctlclient output line: {line!r}")
    if count != len(found):
        raise CtlClientError(f"incomplete ctlclient output:\n{out[-2000:]}")
    return found


# --------------------------------------------------------------------------- registry

def regedit_import(reg_file: os.PathLike | str, runner: WineRunner | None = None,
                   timeout: float = RUN_TIMEOUT) -> None:
    """``regedit /S FILE`` in the session's prefix (Wine's regedit, as an administrator would)."""
    runner = runner or default_runner()
    proc = _run_builtin(runner, ["regedit", "/S", to_windows_path(reg_file)], timeout)
    if proc.returncode != 0:
        raise CtlClientError(f"regedit /S {reg_file} exited {proc.returncode}: "
                             f"{proc.stderr.decode('utf-8', errors='replace')[-2000:]}")


def reg_query(key: str, value: str, runner: WineRunner | None = None,
              timeout: float = RUN_TIMEOUT) -> str | None:
    """The data of ``key``'s ``value`` as ``reg query KEY /v VALUE`` prints it; None when absent."""
    runner = runner or default_runner()
    proc = _run_builtin(runner, ["reg", "query", key, "/v", value], timeout)
    out = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        return None
    for line in out.splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) == 3 and parts[0].lower() == value.lower() and parts[1].startswith("REG_"):
            return parts[2]
    raise CtlClientError(f"reg query printed no {value}:\n{out[-2000:]}")


def _run_builtin(runner: WineRunner, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([runner.wine, *args], env=runner.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CtlClientError(f"wine {' '.join(args)} timed out after {timeout} s") from exc
