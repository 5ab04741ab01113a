#!/usr/bin/env python3
"""Drives the web console in headless Chromium (Debian's chromium + chromium-driver, Selenium)
against a running `feature-service serve` with the simulated feed, and checks what a user sees:

  1. a wrong key gives a clear message;
  2. the live chart's last point advances (pushed by the stream, not polled);
  3. the book table matches GET /features/latest of the same book (a symbol whose book the test
     ingested and that then stays still), and an out-of-sync book shows the banner;
  4. a dataset build started from the page reaches ready and its download link works (field
     errors of a rejected request are shown next to the field);
  5. an invalid registry pasted in the page shows its problems;
plus the data-quality view draws its strip, and the page fits a phone's width. Screenshots of each
view go to --screenshots. Run by ConsoleBrowserTests (ProcessIntegrationTests); exits 1 on the
first failed check, naming it.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 60  # seconds: generous, explicit waits only (a failed wait names what it waited for)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--console", required=True, help="console base URL, e.g. http://127.0.0.1:4501")
    parser.add_argument("--key", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--dataset", required=True, help="JSON: symbol, horizon, train, validation, test ([from, to] each)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    downloads = os.path.join(args.screenshots, "downloads")
    os.makedirs(downloads, exist_ok=True)
    checks = Checks(args, downloads)
    try:
        checks.run()
    except Exception as failure:  # a failed check, or Selenium's own error: the same report
        checks.shot("failure")
        print(f"FAIL: {failure}", flush=True)
        print(f"console browser test: {checks.passed} passed, 1 failed")
        sys.exit(1)
    finally:
        checks.driver.quit()
    print(f"screenshots: {os.path.abspath(args.screenshots)}")
    print(f"console browser test: {checks.passed} passed, 0 failed")


class Failure(Exception):
    pass


class Checks:
    def __init__(self, args, downloads):
        self.args = args
        self.base = args.console.rstrip("/")
        self.passed = 0
        options = Options()
        options.binary_location = args.chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": downloads, "download.prompt_for_download": False,
        })
        self.downloads = downloads
        self.driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)
        self.driver.set_window_size(1280, 800)

    # ------------------------------------------------------------------ helpers

    def ok(self, name):
        self.passed += 1
        print(f"ok: {name}", flush=True)

    def shot(self, name):
        path = os.path.join(self.args.screenshots, f"{name}.png")
        try:
            self.driver.save_screenshot(path)
        except Exception as error:  # a screenshot must not hide the real failure
            print(f"(no screenshot {name}: {error})")

    def wait(self, what, condition, timeout=WAIT):
        try:
            # The page re-renders its live tables: an element found a moment ago may be gone; poll again.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: condition())
        except Exception as error:
            raise Failure(f"waited {timeout} s for {what}: {type(error).__name__} {error}".strip()) from None

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def fresh(self, css, read, empty):
        """`read` of the first element matching `css`, found again if a re-render replaced it."""
        for _ in range(20):
            items = self.finds(css)
            if not items:
                return empty
            try:
                return read(items[0])
            except StaleElementReferenceException:
                time.sleep(0.05)
        return empty

    def text(self, css):
        return self.fresh(css, lambda item: item.text, "")

    def attr(self, css, name):
        return self.fresh(css, lambda item: item.get_attribute(name), None)

    def api(self, path, method="GET", body=None, key=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("X-API-Key", key or self.args.key)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def select(self, css, value):
        """Selects `value` in a <select> once the page has listed it."""
        self.wait(f"option {value} in {css}", lambda: any(o.get_attribute("value") == value for o in self.finds(css + " option")))
        Select(self.find(css)).select_by_value(value)

    def enter_key(self, key):
        field = self.find("#key-input")
        field.clear()
        field.send_keys(key)
        self.find("#key-save").click()

    def view(self, name):
        self.find(f'#tabs a[data-tab="{name}"]').click()
        self.wait(f"the {name} view", lambda: self.find(f"#view-{name}").is_displayed())

    # ------------------------------------------------------------------ the checks

    def run(self):
        self.prepare_symbols()
        self.driver.get(self.base + "/")
        self.wait("the page", lambda: self.find("#key-input").is_displayed())
        self.wrong_key()
        self.live_chart_advances()
        self.book_matches_latest()
        self.out_of_sync_banner()
        self.quality_view()
        self.dataset_build()
        self.invalid_registry()
        self.phone_width()

    def prepare_symbols(self):
        """A book that stays still (one snapshot, then nothing), and one that goes out of sync."""
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}"

        def book(symbol, kind, u, bids, asks):
            return json.dumps({"event_id": f"console-test-{symbol}-{u}", "event_type": "orderbook", "topic": f"orderbook.50.{symbol}",
                               "timestamp": stamp, "received_at": stamp,
                               "payload": {"s": symbol, "type": kind, "u": u, "seq": u, "b": bids, "a": asks}})

        bids = [[f"{100 - i * 0.5:.1f}", f"{1 + i * 0.25:.2f}"] for i in range(12)]
        asks = [[f"{100.5 + i * 0.5:.1f}", f"{2 + i * 0.5:.2f}"] for i in range(12)]
        lines = [
            book("STILLUSDT", "snapshot", 100, bids, asks),
            book("GAPUSDT", "snapshot", 10, bids, asks),
            book("GAPUSDT", "delta", 12, [["99.0", "3"]], []),  # u 11 missing: out of sync
        ]
        status, body = self.api("/ingest", "POST", ("\n".join(lines) + "\n").encode())
        if status != 200 or json.loads(body)["accepted_events"] != 3:
            raise Failure(f"ingest of the test books: {status} {body[:300]!r}")

    def wrong_key(self):
        self.enter_key("not-the-key")
        self.wait("the wrong-key message", lambda: "refused" in self.text("#message"))
        message = self.text("#message")
        if "API key" not in message:
            raise Failure(f"the wrong-key message does not say it is about the API key: {message!r}")
        self.shot("wrong-key")
        self.ok("a wrong key shows a clear message")

    def live_chart_advances(self):
        self.enter_key(self.args.key)
        self.wait("the key to be accepted", lambda: "accepted" in self.text("#key-status"))
        self.select("#live-symbol", "BTCUSDT")
        chart = '#live-charts [data-feature="mid_price"]'
        self.wait("a first point on the mid_price chart", lambda: int(self.attr(chart, "data-points") or 0) >= 1)
        first = int(self.attr(chart, "data-last-ts"))
        self.wait("the chart's last point to advance", lambda: int(self.attr(chart, "data-last-ts") or 0) > first)
        second = int(self.attr(chart, "data-last-ts"))
        self.wait("a third point", lambda: int(self.attr(chart, "data-points") or 0) >= 3)
        if not self.finds(chart + " svg path.line"):
            raise Failure("the mid_price chart has no line")
        if self.text("#live-status").startswith("not connected"):
            raise Failure("live status says not connected")
        self.wait("the vector table", lambda: len(self.finds("#vector-table tr[data-feature]")) > 10)
        self.shot("live")
        self.ok(f"the live chart's last point advances ({first} -> {second} ms)")

    def book_matches_latest(self):
        self.select("#live-symbol", "STILLUSDT")
        self.wait("the STILLUSDT book", lambda: self.attr("#book-summary td[data-field=mid]", "data-value") not in (None, "")
                  and self.attr("#book-table", "data-ts-ns") and self.current_symbol() == "STILLUSDT"
                  and self.book_symbol_is_still())
        status, body = self.api("/features/latest?symbol=STILLUSDT")
        if status != 200:
            raise Failure(f"/features/latest: {status} {body[:200]!r}")
        latest = json.loads(body)["features"]
        page = {field: float(self.attr(f'#book-summary td[data-field="{field}"]', "data-value")) for field in ("mid", "spread", "best_bid")}
        if page["mid"] != latest["mid_price"] or page["spread"] != latest["spread_abs"]:
            raise Failure(f"book table {page} does not match /features/latest mid_price {latest['mid_price']}, "
                          f"spread_abs {latest['spread_abs']}")
        # Read in the page in one go: the ladder re-renders every second (elements found one by one may go stale).
        ladder = self.driver.execute_script(
            "return [...document.querySelectorAll('#book-table tbody tr')].slice(0, 5)"
            ".map(r => [r.cells[0].dataset.value, r.cells[1].dataset.value])")
        bid_sizes = [float(size) for size, _ in ladder]
        if abs(sum(bid_sizes) - latest["depth_bid_top5"]) > 1e-9 * latest["depth_bid_top5"]:
            raise Failure(f"top-5 bid sizes {bid_sizes} do not add up to depth_bid_top5 {latest['depth_bid_top5']}")
        best = float(ladder[0][1])
        if best != page["best_bid"]:
            raise Failure(f"the ladder's first bid {best} is not the best bid {page['best_bid']}")
        if self.find("#book-banner").is_displayed():
            raise Failure("the out-of-sync banner shows for a book in sync")
        self.shot("live-book")
        self.ok(f"the book table matches /features/latest (mid {page['mid']}, spread {page['spread']}, depth top 5)")

    def current_symbol(self):
        return Select(self.find("#live-symbol")).first_selected_option.get_attribute("value")

    def book_symbol_is_still(self):
        # The first STILLUSDT frame: best bid 100 from the ingested snapshot.
        return self.attr("#book-summary td[data-field=best_bid]", "data-value") == "100"

    def out_of_sync_banner(self):
        self.select("#live-symbol", "GAPUSDT")
        self.wait("the out-of-sync banner", lambda: self.find("#book-banner").is_displayed())
        if "out of sync" not in self.find("#book-banner").text:
            raise Failure(f"banner text: {self.find('#book-banner').text!r}")
        if self.attr("#book-summary td[data-field=mid]", "data-value") != "":
            raise Failure("an out-of-sync book shows a mid")
        self.shot("live-out-of-sync")
        self.ok("an out-of-sync book shows the banner")
        self.select("#live-symbol", "BTCUSDT")

    def quality_view(self):
        self.view("quality")
        self.wait("the quality form", lambda: self.attr("#q-from", "value"))
        self.select("#q-symbol", "BTCUSDT")
        self.find("#q-run").click()
        self.wait("the coverage strip", lambda: self.finds("#q-strip svg rect.cell") and self.find("#q-result").is_displayed())
        with_data = int(self.attr("#q-strip", "data-minutes-with-data") or 0)
        if with_data < 1:
            raise Failure("the coverage strip shows no minute with data for the simulated BTCUSDT")
        self.wait("the latency table", lambda: len(self.finds("#q-latency tr")) == 3)
        self.shot("quality")
        self.ok(f"the data-quality view draws the strip ({with_data} minute(s) with data) and latency percentiles")

    def dataset_build(self):
        spec = json.loads(self.args.dataset)
        self.view("datasets")
        self.wait("the dataset form", lambda: self.find("#ds-symbol").is_displayed())

        def fill(css, value):
            field = self.find(css)
            field.clear()
            field.send_keys(value)

        # A rejected request: each problem next to its field.
        fill("#ds-symbol", "not a symbol")
        fill("#ds-horizons", "soon")
        self.find("#ds-submit").click()
        self.wait("field errors", lambda: self.finds('.field[data-path="symbol"] .field-error')
                  and self.finds('.field[data-path="targets.horizons"] .field-error'))
        self.shot("datasets-invalid")
        self.ok("a rejected dataset request shows its problems next to the fields")

        fill("#ds-symbol", spec["symbol"])
        fill("#ds-horizons", spec["horizon"])
        for name in ("train", "validation", "test"):
            fill(f"#ds-{name}", ", ".join(spec[name]))
        self.find("#ds-submit").click()
        self.wait("the build to start", lambda: self.attr("#ds-result", "data-dataset-id"))
        dataset = self.attr("#ds-result", "data-dataset-id")
        row = f'#ds-table tr[data-id="{dataset}"]'
        self.wait(f"dataset {dataset} to reach ready (status now: {self.attr(row, 'data-status')})",
                  lambda: self.attr(row, "data-status") in ("ready", "failed"), timeout=180)
        if self.attr(row, "data-status") != "ready":
            raise Failure(f"dataset {dataset} {self.text(row + ' td.status')}")
        self.wait("the download links", lambda: self.finds(row + ' a.download[data-split="train"]'))
        splits = self.text(row + " td.splits")
        if not all(f"{name} " in splits for name in ("train", "validation", "test")):
            raise Failure(f"dataset {dataset} lists splits {splits!r}, not train, validation and test with their rows")
        self.shot("datasets")
        href = self.attr(row + ' a.download[data-split="train"]', "href")
        path = href[len(self.base):] if href.startswith(self.base) else href
        status, body = self.api(path)
        if status != 200 or body[:4] != b"PAR1" or body[-4:] != b"PAR1":
            raise Failure(f"download link {path}: status {status}, {len(body)} bytes, not a Parquet file")
        status, _ = self.api(path, key="wrong")
        if status != 401:
            raise Failure(f"download link without the key answered {status}")
        # And clicking the link in the page saves the file.
        before = set(os.listdir(self.downloads))
        self.find(row + ' a.download[data-split="train"]').click()
        expected = f"{dataset}-train.parquet"
        self.wait(f"the browser to save {expected}", lambda: expected in os.listdir(self.downloads)
                  and os.path.getsize(os.path.join(self.downloads, expected)) == len(body), timeout=WAIT)
        with open(os.path.join(self.downloads, expected), "rb") as saved:
            if saved.read() != body:
                raise Failure("the file the browser saved differs from the download")
        rows = self.text(row + " td.splits")
        self.ok(f"dataset {dataset} built from the page reached ready ({rows}); its download link works ({len(body)} bytes, "
                f"{len(set(os.listdir(self.downloads)) - before)} file saved)")

    def invalid_registry(self):
        self.view("registry")
        self.wait("the registry in force", lambda: len(self.finds("#reg-features tbody tr")) > 10)
        if not self.text("#reg-active").strip():
            raise Failure("no active registry shown")
        registry = "\n".join([
            'version: "2.0.0"',
            "features:",
            "  - {name: mid, kind: mid_price, sources: [orderbook]}",
            "  - {name: mid, kind: mid_price, sources: [orderbook]}",
            "  - {name: v, kind: vwap, window: 3 seconds, lookahead_forbidden: true, sources: [trade]}",
            "  - {name: w, kind: no_such_kind}",
        ])
        area = self.find("#reg-text")
        area.clear()
        area.send_keys(registry)
        self.find("#reg-validate").click()
        self.wait("the registry's problems", lambda: len(self.finds("#reg-problems li.problem")) >= 3)
        problems = [p.text for p in self.finds("#reg-problems li.problem")]
        self.shot("registry")
        self.ok(f"an invalid registry shows its {len(problems)} problems: {problems}")

    def phone_width(self):
        self.driver.set_window_size(390, 844)
        self.view("live")
        self.wait("the live view at phone width", lambda: int(self.attr('#live-charts [data-feature="mid_price"]', "data-points") or 0) >= 1)
        overflow = self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        self.shot("live-phone")
        if overflow > 1:
            raise Failure(f"the page is {overflow} px wider than a phone's screen")
        self.driver.set_window_size(1280, 800)
        self.ok("the page fits a phone's width")


if __name__ == "__main__":
    main()
