"""Safe serving: `python build.py serve` listens on 127.0.0.1 unless told otherwise, serves
nothing but output/ (no `..`, encoded `..`, absolute paths or symlinks out of it), and stops
cleanly on Ctrl-C.

The server runs as a subprocess on a free port over a temporary copy of the content, laid out
like the project (pyproject.toml beside content/ and output/), with a secret file beside them
that must never be served. The subprocess is always killed, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CONTENT, ROOT

START_SECONDS = 60
SECRET = f"NIANBAO-SECRET-{uuid.uuid4().hex}"
# Text only files outside output/ hold: the secret, pyproject.toml, site.yaml, /etc/passwd.
LEAKS = (SECRET, 'name = "nianbao"', "# Site-wide settings", "root:x:0:0")


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    base: str
    tmp: Path
    output: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Kill the server's process group (it was started in its own session), bounded."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait(timeout=10)


def _as_from_a_terminal() -> None:
    """Ctrl-C as a terminal user has it: a test run started in the background by a script
    (as `bash .ci/run &` is) ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_server(tmp: Path, *extra: str, base: str = "/") -> Server:
    shutil.copytree(CONTENT, tmp / "content")
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    (tmp / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (tmp / "secret").mkdir()
    (tmp / "secret" / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    port = _free_port()
    log = tmp / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_BASE_URL"}
    env["PYTHONUNBUFFERED"] = "1"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(tmp / "content"),
             "--output", str(tmp / "output"), "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp, env=env,
            start_new_session=True, preexec_fn=_as_from_a_terminal)
    server = Server(proc, port, base, tmp, tmp / "output", log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited ({proc.returncode}):\n{server.log_text()}")
            try:
                status, _, _ = request(port, f"GET {base} HTTP/1.0")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer within {START_SECONDS} s:\n{server.log_text()}")
            time.sleep(0.2)
    except BaseException:
        _stop(proc)
        raise
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`build.py serve` with no --host and no --base-path: the defaults."""
    s = start_server(tmp_path_factory.mktemp("serve"))
    yield s
    _stop(s.proc)


@pytest.fixture(scope="module")
def sub_server(tmp_path_factory):
    """Under a sub-path, as GitHub Pages hosts a project site."""
    s = start_server(tmp_path_factory.mktemp("serve-sub"), "--base-path", "/nianbao/",
                     base="/nianbao/")
    yield s
    _stop(s.proc)


def request(port: int, line: str, host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """Send one raw request line (no client-side normalisation of the path) and read the
    whole answer (HTTP/1.0: the server closes the connection)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"{line}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return status, headers, body


def _listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on port, from /proc/net/tcp{,6}."""
    out = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            addr, hexport = fields[1].split(":")
            if int(hexport, 16) != port or fields[3] != "0A":  # 0A = LISTEN
                continue
            if width == 8:
                out.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
            else:
                words = [bytes.fromhex(addr[i:i + 8])[::-1] for i in range(0, 32, 8)]
                out.append(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return out


def _other_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (best effort)."""
    found = set()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            found.add(s.getsockname()[0])
    except OSError:
        pass
    with contextlib.suppress(OSError):
        found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    return sorted(a for a in found if not a.startswith("127."))


# ---------------------------------------------------------------- binding


def test_binds_loopback_only_by_default(server):
    addresses = _listening(server.port)
    assert addresses == ["127.0.0.1"], addresses
    assert f"at http://127.0.0.1:{server.port}/" in server.log_text()
    for addr in _other_addresses():
        with pytest.raises(OSError):
            socket.create_connection((addr, server.port), timeout=2).close()


def test_serves_the_site(server):
    status, headers, body = request(server.port, "GET / HTTP/1.0")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert body.replace(b"\r\n", b"\n").startswith(
        (server.output / "index.html").read_bytes().replace(b"\r\n", b"\n")[:200])
    status, _, body = request(server.port, "GET /assets/site.css HTTP/1.0")
    assert status == 200 and body == (server.output / "assets" / "site.css").read_bytes()


# ---------------------------------------------------------------- only output/


ESCAPES = (
    "/../pyproject.toml",
    "/../../pyproject.toml",
    "/%2e%2e/pyproject.toml",
    "/%2E%2E/content/site.yaml",
    "/%2e%2e/content/site.yaml",
    "/..%2fpyproject.toml",
    "/%2e%2e%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/....//secret.txt",
    "/assets/../../secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/./../secret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/%2Fetc/passwd",
    "/etc/passwd",
    "/../../../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/index.html%00/../../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/leak.txt",
    "/leakdir/secret.txt",
    "/leakdir/pyproject.toml",
    "/leakdir/",
    "/assets/leak.txt",
)


def _plant_symlinks(output: Path, tmp: Path) -> None:
    """Links inside output/ that point out of it (a file, a folder)."""
    for link, target in ((output / "leak.txt", tmp / "secret.txt"),
                         (output / "leakdir", tmp),
                         (output / "assets" / "leak.txt", tmp / "secret" / "secret.txt")):
        if not link.is_symlink():
            link.symlink_to(target)


def _assert_no_leak(server: Server, path: str) -> None:
    for line in (f"GET {path} HTTP/1.0", f"GET http://127.0.0.1:{server.port}{path} HTTP/1.0",
                 f"HEAD {path} HTTP/1.0"):
        try:
            status, headers, body = request(server.port, line)
        except (OSError, ValueError, IndexError):
            continue  # the server hung up or answered garbage: nothing leaked
        text = body.decode("utf-8", errors="replace")
        leaked = [m for m in LEAKS if m in text]
        assert not leaked, f"{line!r} → {status}: {leaked}"
        assert status != 200 or headers.get("content-type", "").startswith("text/html"), (line, status)


def test_serves_nothing_outside_output(server):
    _plant_symlinks(server.output, server.tmp)
    assert (server.output / "leak.txt").read_text(encoding="utf-8").startswith(SECRET)  # the bait
    for path in ESCAPES:
        _assert_no_leak(server, path)
    status, _, _ = request(server.port, "GET /leak.txt HTTP/1.0")
    assert status in (403, 404)


def test_sub_path_serves_nothing_outside_output(sub_server):
    _plant_symlinks(sub_server.output, sub_server.tmp)
    for path in ESCAPES:
        _assert_no_leak(sub_server, "/nianbao" + path)
        _assert_no_leak(sub_server, path)
    status, _, body = request(sub_server.port, "GET /nianbao/ HTTP/1.0")
    assert status == 200 and b"<!doctype html>" in body[:200].lower()


# ---------------------------------------------------------------- stopping


def test_stops_cleanly_on_ctrl_c(tmp_path):
    s = start_server(tmp_path)
    try:
        os.killpg(s.proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        try:
            code = s.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("serve did not stop on Ctrl-C:\n" + s.log_text())
        assert code == 0, s.log_text()
        assert "Traceback" not in s.log_text()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
        assert not list(tmp_path.glob(".nianbao-*")) and not list(tmp_path.glob(".output.old-*"))
    finally:
        _stop(s.proc)


TGKILL = {"x86_64": 234, "aarch64": 131}  # syscall numbers


def test_stops_on_ctrl_c_that_lands_on_a_worker_thread(tmp_path):
    """The kernel gives a process's SIGINT to any of its threads. Python raises
    KeyboardInterrupt in the main thread only when that thread next runs, so an idle event
    loop must still wake up: send SIGINT to the file watcher's thread itself (tgkill)."""
    import ctypes
    import platform

    if platform.machine() not in TGKILL or not Path("/proc/self/task").is_dir():
        pytest.skip("tgkill: Linux on x86_64 or aarch64 only")
    s = start_server(tmp_path)
    try:
        deadline = time.monotonic() + 10
        while True:
            names = {int(t): (Path(f"/proc/{s.proc.pid}/task/{t}/comm").read_text().strip())
                     for t in os.listdir(f"/proc/{s.proc.pid}/task") if int(t) != s.proc.pid}
            watcher = [t for t, name in names.items() if name.startswith("notify")]
            if watcher or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert watcher, names
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.syscall(TGKILL[platform.machine()], s.proc.pid, watcher[0], signal.SIGINT) == 0
        try:
            assert s.proc.wait(timeout=15) == 0, s.log_text()
        except subprocess.TimeoutExpired:
            pytest.fail("serve did not stop:\n" + s.log_text())
    finally:
        _stop(s.proc)


def test_serve_prints_the_problems_each_build_found_that_the_last_did_not(tmp_path, capsys):
    """A maintainer who drops a second file for an agency-year into content/ while serving
    saw only the count of agency-years fall. Each build now lists its new errors and
    warnings by file (the first build all of them), and how many went."""
    from nianbao.serve import LiveSite

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    live = LiveSite(content, tmp_path / "output", search=False)
    assert live.build()
    first = capsys.readouterr().out
    assert "zhengzhou-zhongmu-shangwuju-2020.txt" in first and "cells-misaligned" in first

    original = content / "reports" / "2020" / "beijing-tongzhou-shangwuju-2020.txt"
    copy = original.with_name("tongzhou-copy.txt")
    shutil.copy(original, copy)
    assert live.build()
    second = capsys.readouterr().out
    assert "duplicate-report" in second and "2020/tongzhou-copy.txt" in second
    assert "cells-misaligned" not in second  # known already

    copy.unlink()
    assert live.build()
    third = capsys.readouterr().out
    assert "duplicate-report" not in third
    assert "2 errors or warnings from the last build are gone" in third
