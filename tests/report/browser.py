"""A page opened in Debian's chromium, headless, driven over the DevTools protocol.

:func:`open_page` loads a file, waits until the page says its charts are settled
(``document.body.dataset.chartsDrawn``), and returns what the browser saw: the console's
errors and uncaught exceptions, every network request, an evaluated JavaScript value and
a screenshot.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
#: The page's own flag: set once every chart's promise has settled.
SETTLED = "document.body && document.body.dataset.chartsDrawn !== undefined"


@dataclass
class PageVisit:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    value: Any = None
    screenshot: bytes = b""
    #: The fonts the browser drew the text of ``fonts_of`` with: family -> glyphs drawn.
    fonts: dict[str, int] = field(default_factory=dict)


class DevTools:
    """One DevTools session (flattened) on one page target."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 60) -> dict[str, Any]:
        call_id = next(self.ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")


def rendered_fonts(tools: DevTools, selector: str) -> dict[str, int]:
    """The platform fonts the browser drew the first ``selector`` element's text with."""
    tools.send("DOM.enable")
    tools.send("CSS.enable")
    root = tools.send("DOM.getDocument")["root"]["nodeId"]
    node = tools.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    if not node:
        raise LookupError(f"no element matches {selector!r}")
    fonts = tools.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def problems(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(console errors and uncaught exceptions, URLs requested) among the events."""
    errors, requests = [], []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                   for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(details.get("exception", {}).get("description")
                          or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
    return errors, requests


def open_page(path: Path, expression: str, fonts_of: str | None = None,
              timeout: float = 120) -> PageVisit:
    """Load ``path`` in headless chromium, wait for the charts, evaluate ``expression``;
    ``fonts_of``: a CSS selector whose element's rendered fonts to report."""
    profile = Path(tempfile.mkdtemp(prefix="kizuna-chromium-"))
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking",
         "--remote-debugging-port=0", f"--user-data-dir={profile}",
         "--window-size=1280,900", "about:blank"],
        # its singleton socket folder too goes into the profile, removed below
        env={**os.environ, "TMPDIR": str(profile)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = _devtools_url(browser, profile, timeout=60)
        with connect(url, max_size=None, open_timeout=30) as ws:
            tools = DevTools(ws)
            target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            tools.session = tools.send("Target.attachToTarget",
                                       {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Page", "Network"):
                tools.send(f"{domain}.enable")
            tools.send("Page.navigate", {"url": path.resolve().as_uri()})
            deadline = time.monotonic() + timeout
            while not tools.evaluate(SETTLED):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the charts of {path} did not settle in {timeout}s")
                time.sleep(0.25)
            visit = PageVisit(value=tools.evaluate(expression))
            if fonts_of:
                visit.fonts = rendered_fonts(tools, fonts_of)
            shot = tools.send("Page.captureScreenshot",
                              {"format": "png", "captureBeyondViewport": True})
            visit.screenshot = base64.b64decode(shot["data"])
            visit.errors, visit.requests = problems(tools.events)
            return visit
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_url(browser: subprocess.Popen[bytes], profile: Path, timeout: float) -> str:
    """The browser's DevTools WebSocket address: chromium writes the port it took and the
    browser's path to ``DevToolsActivePort`` in its profile folder."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            raise RuntimeError(f"chromium exited with {browser.returncode} before its "
                               "DevTools server started")
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise TimeoutError(f"chromium did not start its DevTools server in {timeout}s")
