"""``report.html`` in a real headless browser (Debian's ``chromium``; skipped where absent).

The page must load from ``file://`` without console errors or exceptions, fetch nothing but
itself and its ``data:`` images, and render every image (non-zero natural width). A full-page
screenshot is saved to the test's tmp folder and copied to ``/tmp/report-screenshot.png``.

The browser is driven over the Chrome DevTools Protocol with a minimal stdlib WebSocket client
(below), so the test needs no extra Python package. Every wait is bounded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mlpsel.report.html import write_html
from mlpsel.report.loading import load_run_report
from mlpsel.store import RunFolder
from tests.report_support import copy_run, holdout_run

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_COPY = Path("/tmp/report-screenshot.png")
EXPECTED_FIGURES = {"learning_curves", "grid_learning_curves", "validation_curves",
                    "confusion_matrix", "per_class", "precision_recall"}
STARTUP_SECONDS = 60
STEP_SECONDS = 60
WINDOW_WIDTH = 1280

# CI installs chromium and sets MLPSEL_REQUIRE_BROWSER=1: there, a missing browser is a failure.
if os.environ.get("MLPSEL_REQUIRE_BROWSER") == "1" and not CHROMIUM.exists():
    raise RuntimeError(f"MLPSEL_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"),
]


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: masked text frames out, text in."""

    def __init__(self, url: str, timeout: float) -> None:
        address = url.removeprefix("ws://")
        host_port, _, path = address.partition("/")
        host, _, port = host_port.partition(":")
        self.socket = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = (f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n")
        self.socket.sendall(request.encode("ascii"))
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.socket.recv(4096)
            if not chunk:
                raise ConnectionError("the browser closed the connection during the handshake")
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status_line:
            raise ConnectionError(f"WebSocket handshake refused: {head.decode(errors='replace')}")

    def _read_exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.socket.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.socket.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read_exactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read_exactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read_exactly(8))[0]
            mask = self._read_exactly(4) if second & 0x80 else b""
            payload = self._read_exactly(length)
            if mask:
                payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("the browser closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode("utf-8")

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.socket.close()


class DevTools:
    """Commands to one page target; events are kept in ``self.events``."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.websocket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            message = json.loads(self.websocket.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"no answer to {method} within {STEP_SECONDS} s")

    def wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            for message in self.events:
                if message["method"] == event:
                    return message
            message = json.loads(self.websocket.receive())
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"no {event} within {STEP_SECONDS} s")


def start_chromium(profile: Path) -> tuple[subprocess.Popen, int]:
    """Start headless chromium on a free DevTools port; return the process and the port."""
    process = subprocess.Popen(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--remote-debugging-port=0",
         f"--window-size={WINDOW_WIDTH},900", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode} at start")
        if port_file.is_file():
            lines = port_file.read_text().split()
            if lines and lines[0].isdigit():
                return process, int(lines[0])
        time.sleep(0.1)
    process.kill()
    raise TimeoutError(f"chromium did not open its DevTools port within {STARTUP_SECONDS} s")


def page_websocket_url(port: int) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.loads(response.read())
        pages = [t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise TimeoutError("chromium has no page target")


@pytest.fixture
def report_html(tmp_path_factory, tmp_path) -> Path:
    source = holdout_run(tmp_path_factory.getbasetemp())
    run = copy_run(source, tmp_path / "runs", "20260101-000000-browser-ffff")
    return write_html(load_run_report(RunFolder(run)))


def test_report_renders_in_chromium(report_html, tmp_path):
    process, port = start_chromium(tmp_path / "chromium-profile")
    websocket = None
    try:
        websocket = WebSocket(page_websocket_url(port), timeout=STEP_SECONDS)
        devtools = DevTools(websocket)
        for domain in ("Page", "Runtime", "Log", "Network"):
            devtools.call(f"{domain}.enable")
        devtools.call("Page.navigate", url=report_html.resolve().as_uri())
        devtools.wait_for("Page.loadEventFired")
        images = json.loads(devtools.call(
            "Runtime.evaluate", returnByValue=True,
            expression="JSON.stringify(Array.from(document.images, image => ({"
                       "figure: image.dataset.figure, complete: image.complete, "
                       "width: image.naturalWidth, height: image.naturalHeight})))",
        )["result"]["value"])
        metrics = devtools.call("Page.getLayoutMetrics")
        height = int(metrics["cssContentSize"]["height"])
        devtools.call("Emulation.setDeviceMetricsOverride", width=WINDOW_WIDTH,
                      height=min(height, 16000), deviceScaleFactor=1, mobile=False)
        screenshot = base64.b64decode(devtools.call(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
        events = devtools.events
    finally:
        if websocket is not None:
            websocket.close()
        process.kill()
        process.wait(timeout=30)

    errors = [event["params"] for event in events
              if event["method"] == "Runtime.exceptionThrown"
              or (event["method"] == "Runtime.consoleAPICalled"
                  and event["params"]["type"] in ("error", "assert"))
              or (event["method"] == "Log.entryAdded"
                  and event["params"]["entry"]["level"] == "error")]
    assert errors == []
    fetched = [event["params"]["request"]["url"] for event in events
               if event["method"] == "Network.requestWillBeSent"]
    assert fetched and all(url.startswith(("file:", "data:")) for url in fetched), fetched
    assert {image["figure"] for image in images} == EXPECTED_FIGURES
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
    assert height > 2000  # the whole report, not an empty page

    path = tmp_path / "report-screenshot.png"
    path.write_bytes(screenshot)
    assert screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    width, shot_height = struct.unpack("!II", screenshot[16:24])
    assert width == WINDOW_WIDTH and shot_height >= min(height, 16000) - 1
    try:
        shutil.copyfile(path, SCREENSHOT_COPY)
    except OSError:  # a shared machine may not let us write there; the tmp copy remains
        pass
