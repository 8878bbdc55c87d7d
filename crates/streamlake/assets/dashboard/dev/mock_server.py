#!/usr/bin/env python3
"""Mock StreamLake dashboard server (Python 3 standard library only; development use).

Serves the dashboard assets at the paths of `streamlake serve` (/, /assets/app.js,
/assets/style.css) and deterministic, realistic mock JSON for every /api/* endpoint of the
contract (3 event dates, ~600 titles, ~60 countries, 5 devices), honouring ?from=&to=.

Usage:
    python3 dev/mock_server.py [--port 8765] [--seed 7] [--fail ENDPOINT]... [--unhealthy]
                               [--latency MS] [--empty]

    --port 0         pick a free port (the URL is printed on stdout either way)
    --fail NAME      make /api/NAME answer HTTP 500 (repeatable; e.g. --fail rows_per_date)
    --unhealthy      make the ledgers_balance health check (and the overall status) red
    --latency MS     add up to MS milliseconds of random delay to every API answer
    --empty          serve a lake without any data (no dates)
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ASSETS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/assets/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/assets/style.css": ("style.css", "text/css; charset=utf-8"),
}

CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"

DATES = ["2026-11-29", "2026-11-30", "2026-12-01"]
DEVICES = ["TV", "MOBILE", "WEB", "TABLET", "CONSOLE"]
DEVICE_SHARE = {"TV": 0.42, "MOBILE": 0.27, "WEB": 0.16, "TABLET": 0.09, "CONSOLE": 0.06}
EVENT_SHARE = {
    "HEARTBEAT": 0.62, "PLAY_START": 0.07, "PLAY_STOP": 0.064, "PAUSE": 0.07, "RESUME": 0.066,
    "SEEK": 0.035, "REBUFFER_START": 0.04, "REBUFFER_END": 0.039, "PLAYBACK_ERROR": 0.006,
}
REASONS = {
    "MISSING_FIELD": 0.22, "INVALID_FIELD": 0.19, "MALFORMED_JSON": 0.15,
    "UNKNOWN_EVENT_TYPE": 0.11, "INVALID_COUNTRY": 0.1, "UNKNOWN_DEVICE_TYPE": 0.08,
    "FROM_FUTURE": 0.06, "TOO_OLD": 0.05, "CORRUPT_OBJECT": 0.04,
}
COUNTRIES = (
    "US CA MX BR AR CO CL PE GB IE FR DE ES IT PT NL BE CH AT SE NO DK FI PL CZ HU RO GR TR "
    "IL SA AE EG ZA NG KE MA IN PK BD LK ID MY SG TH VN PH KR JP TW HK AU NZ UA RS HR BG SK "
    "SI LT EE LV IS UY"
).split()
ADJ = ("Silent Crimson Hidden Last Broken Golden Midnight Frozen Electric Wild Lost Burning "
       "Distant Quiet Savage Hollow Iron Velvet Neon Northern Eternal Shattered Secret Bitter "
       "Sunken Restless Wicked Fallen Paper Glass").split()
NOUN = ("Harbor Protocol Kingdom Signal Empire Garden Frontier Witness Circuit Orchard Tide "
        "Detective Dynasty Horizon Lighthouse Ritual Heist Archive Compass Crown Station Verdict "
        "Voyage Labyrinth Season Republic Ember Meridian Cartel Summit").split()


def build(seed):
    rng = random.Random(seed)
    titles, seen = [], set()
    while len(titles) < 600:
        name = f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
        if rng.random() < 0.25:
            name = "The " + name
        if rng.random() < 0.2:
            name += f": Season {rng.randint(2, 6)}"
        if name in seen:
            continue
        seen.add(name)
        runtime = rng.choice([24, 30, 42, 45, 52, 58, 95, 104, 118, 132])
        titles.append({"title_id": f"tt{1000001 + len(titles) * 37}", "title_name": name,
                       "runtime": runtime, "pop": 1.0 / (len(titles) + 3) ** 0.9})
    cweights = {c: 1.0 / (i + 1.4) ** 1.1 for i, c in enumerate(COUNTRIES)}
    cw_total = sum(cweights.values())
    data = {"titles": {}, "geo": {}, "events": {}, "dq": {}, "reasons": {}, "quality": {}}
    for di, date in enumerate(DATES):
        day_plays = 21000 + di * 1700 + rng.randint(-800, 800)
        pop_total = sum(t["pop"] for t in titles)
        rows = []
        for t in titles:
            plays = max(0, int(round(day_plays * t["pop"] / pop_total * rng.uniform(0.7, 1.3))))
            hours = plays * t["runtime"] / 60.0 * rng.uniform(0.35, 0.75)
            rows.append({"title_id": t["title_id"], "title_name": t["title_name"], "plays": plays,
                         "hours_viewed": hours, "views": hours * 60.0 / t["runtime"],
                         "unique_profiles": int(plays * rng.uniform(0.8, 0.95))})
        data["titles"][date] = rows
        total_hours = sum(r["hours_viewed"] for r in rows)
        total_plays = sum(r["plays"] for r in rows)
        geo = []
        for c in COUNTRIES:
            for d in DEVICES:
                w = cweights[c] / cw_total * DEVICE_SHARE[d] * rng.uniform(0.8, 1.2)
                plays = int(total_plays * w)
                geo.append({"country": c, "device_type": d, "plays": plays,
                            "sessions": int(plays * rng.uniform(1.02, 1.1)),
                            "hours_viewed": total_hours * w})
        data["geo"][date] = geo
        events = int(total_plays / EVENT_SHARE["PLAY_START"])
        data["events"][date] = {k: int(events * v * rng.uniform(0.97, 1.03))
                                for k, v in EVENT_SHARE.items()}
        q = {}
        for d in DEVICES:
            dev = [g for g in geo if g["device_type"] == d]
            sessions = sum(g["sessions"] for g in dev)
            playing = sum(g["hours_viewed"] for g in dev)
            base = {"TV": 0.004, "MOBILE": 0.013, "WEB": 0.008, "TABLET": 0.01, "CONSOLE": 0.005}[d]
            errs = int(sessions * base * 0.9 * rng.uniform(0.8, 1.2))
            q[d] = {"sessions": sessions, "playing_hours": playing,
                    "rebuffer_hours": playing * base * rng.uniform(0.85, 1.15),
                    "error_sessions": errs,
                    "ttfh": {"TV": (9, 31), "MOBILE": (14, 52), "WEB": (11, 40),
                             "TABLET": (13, 47), "CONSOLE": (8, 27)}[d]}
        data["quality"][date] = q
        records_in = int(sum(data["events"][date].values()) * 1.015)
        quarantined = int(records_in * 0.005 * rng.uniform(0.8, 1.25))
        dups = int(records_in * 0.01 * rng.uniform(0.9, 1.1))
        data["dq"][date] = {"raw_objects": 38 + rng.randint(0, 9), "records_in": records_in,
                            "written": records_in - quarantined - dups,
                            "quarantined": quarantined, "duplicates_dropped": dups}
        reasons, left = {}, quarantined
        for i, (k, v) in enumerate(REASONS.items()):
            n = left if i == len(REASONS) - 1 else min(left, int(quarantined * v * rng.uniform(0.85, 1.15)))
            reasons[k] = n
            left -= n
        data["reasons"][date] = reasons
    return data


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def parse_range(qs):
    out = []
    for name in ("from", "to"):
        v = qs.get(name, [None])[-1]
        if v in (None, ""):
            out.append(None)
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            raise ApiError(400, f"invalid {name} date {v!r}: expected YYYY-MM-DD")
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            raise ApiError(400, f"invalid {name} date {v!r}: no such day")
        out.append(v)
    if out[0] and out[1] and out[0] > out[1]:
        raise ApiError(400, f"from ({out[0]}) is after to ({out[1]})")
    return out


def group(rows, key, fields):
    acc = {}
    for r in rows:
        a = acc.setdefault(r[key], {key: r[key], **{f: 0 for f in fields}})
        for f in fields:
            a[f] += r[f]
    return list(acc.values())


def nearest_rank(values, p):
    values = sorted(values)
    return values[max(0, math.ceil(p * len(values)) - 1)] if values else None


class Api:
    def __init__(self, data, unhealthy):
        self.data, self.unhealthy = data, unhealthy
        self.dates = sorted(data["titles"])

    def days(self, frm, to):
        return [d for d in self.dates if (frm is None or d >= frm) and (to is None or d <= to)]

    def dispatch(self, name, qs):
        if name == "dates":
            return {"dates": self.dates, "min": self.dates[0] if self.dates else None,
                    "max": self.dates[-1] if self.dates else None}
        if name == "health":
            return self.health()
        frm, to = parse_range(qs)
        days = self.days(frm, to)
        fn = getattr(self, "api_" + name, None)
        if fn is None:
            raise ApiError(404, f"no such endpoint /api/{name}")
        return fn(days, qs, frm, to)

    def api_summary(self, days, qs, frm, to):
        geo = [g for d in days for g in self.data["geo"][d]]
        titles = [t for d in days for t in self.data["titles"][d]]
        dq = [self.data["dq"][d] for d in days]
        records_in = sum(x["records_in"] for x in dq)
        quarantined = sum(x["quarantined"] for x in dq)
        return {"from": days[0] if days else frm, "to": days[-1] if days else to,
                "events": sum(sum(self.data["events"][d].values()) for d in days),
                "plays": sum(t["plays"] for t in titles),
                "sessions": sum(g["sessions"] for g in geo),
                "hours_viewed": sum(t["hours_viewed"] for t in titles),
                "views": sum(t["views"] for t in titles),
                "quarantined": quarantined,
                "duplicates_dropped": sum(x["duplicates_dropped"] for x in dq),
                "records_in": records_in,
                "rejection_rate": quarantined / records_in if records_in else 0.0}

    def api_rows_per_date(self, days, *_):
        return {"rows": [{"event_date": d, "rows": sum(self.data["events"][d].values())} for d in days]}

    def api_event_types(self, days, *_):
        acc = {}
        for d in days:
            for k, v in self.data["events"][d].items():
                acc[k] = acc.get(k, 0) + v
        total = sum(acc.values())
        rows = [{"event_type": k, "events": v, "share": v / total if total else 0.0} for k, v in acc.items()]
        return {"rows": sorted(rows, key=lambda r: (-r["events"], r["event_type"]))}

    def api_top_titles(self, days, qs, *_):
        raw = qs.get("limit", ["10"])[-1]
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise ApiError(400, f"invalid limit {raw!r}: expected an integer in 1..1000")
        acc = {}
        for d in days:
            for t in self.data["titles"][d]:
                a = acc.setdefault(t["title_id"], {"title_id": t["title_id"], "title_name": t["title_name"],
                                                   "views": 0.0, "hours_viewed": 0.0, "plays": 0})
                for f in ("views", "hours_viewed", "plays"):
                    a[f] += t[f]
        rows = sorted(acc.values(), key=lambda r: (-r["views"], r["title_id"]))
        return {"rows": rows[: int(raw)]}

    def api_hours_by_date(self, days, *_):
        rows = []
        for d in days:
            geo = self.data["geo"][d]
            rows.append({"event_date": d,
                         "hours_viewed": sum(t["hours_viewed"] for t in self.data["titles"][d]),
                         "plays": sum(t["plays"] for t in self.data["titles"][d]),
                         "sessions": sum(g["sessions"] for g in geo)})
        return {"rows": rows}

    def _geo(self, days, key):
        rows = group([g for d in days for g in self.data["geo"][d]], key, ("hours_viewed", "plays", "sessions"))
        return {"rows": sorted(rows, key=lambda r: (-r["hours_viewed"], r[key]))}

    def api_countries(self, days, *_):
        return self._geo(days, "country")

    def api_devices(self, days, *_):
        return self._geo(days, "device_type")

    def api_playback_quality(self, days, *_):
        rows = []
        for dev in DEVICES:
            qs = [self.data["quality"][d][dev] for d in days]
            if not qs:
                continue
            sessions = sum(q["sessions"] for q in qs)
            playing = sum(q["playing_hours"] for q in qs)
            rebuf = sum(q["rebuffer_hours"] for q in qs)
            errs = sum(q["error_sessions"] for q in qs)
            med, p95 = qs[0]["ttfh"]
            sample = [med] * 50 + [med + 4] * 30 + [p95 - 6] * 15 + [p95] * 5
            rows.append({"device_type": dev, "sessions": sessions, "playing_hours": playing,
                         "rebuffer_hours": rebuf, "rebuffer_ratio": rebuf / playing if playing else None,
                         "error_sessions": errs,
                         "error_sessions_per_1000": errs * 1000.0 / sessions if sessions else 0.0,
                         "ttfh_median_s": nearest_rank(sample, 0.5), "ttfh_p95_s": nearest_rank(sample, 0.95)})
        return {"rows": rows}

    def api_rejections(self, days, *_):
        acc = {}
        for d in days:
            for k, v in self.data["reasons"][d].items():
                acc[k] = acc.get(k, 0) + v
        rows = [{"reason_code": k, "quarantined": v} for k, v in acc.items() if v > 0]
        return {"rows": sorted(rows, key=lambda r: (-r["quarantined"], r["reason_code"]))}

    def api_data_quality(self, days, *_):
        rows = []
        for d in days:
            x = self.data["dq"][d]
            rows.append({"ingest_date": d, **x,
                         "rejection_rate": x["quarantined"] / x["records_in"] if x["records_in"] else 0.0})
        return {"rows": rows}

    def health(self):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        ledgers = sum(self.data["dq"][d]["raw_objects"] for d in self.dates)
        rate = self.api_summary(self.dates, {}, None, None)["rejection_rate"]
        latest = self.dates[-1] if self.dates else "none"
        checks = [
            ("raw_arrivals", "Raw zone receives new objects", True,
             "4 objects in the last hour", "The newest raw object arrived 6 minutes ago."),
            ("transform_backlog", "Transform backlog", True,
             "0 raw objects without a ledger", f"All {ledgers} raw objects have been transformed."),
            ("processed_fresh", "Processed data is fresh", bool(self.dates),
             f"newest partition {latest}", "The newest processed partition is from today (UTC)."),
            ("ledgers_balance", "Ledgers balance", not self.unhealthy,
             f"1 of {ledgers} ledgers unbalanced" if self.unhealthy else f"{ledgers} of {ledgers} ledgers balance",
             "records_in != written + quarantined + duplicates_dropped for raw/netflix/2026/12/01/03/netflix-playback-1-2026-12-01-03-12-09-7f3a.gz."
             if self.unhealthy else "Every ledger satisfies records_in = written + quarantined + duplicates_dropped."),
            ("quarantine_rate", "Quarantine rate under threshold", rate < 0.02,
             f"{rate * 100:.2f}% (threshold 2.00%)", "Share of records quarantined over the whole lake."),
            ("queries_latest_date", "Queries return the latest date", bool(self.dates),
             f"latest date {latest}", "rows_per_date returns the newest registered event_date."),
        ]
        cs = [{"id": i, "label": l, "ok": ok, "value": v, "detail": de} for i, l, ok, v, de in checks]
        return {"ok": all(c["ok"] for c in cs), "as_of": now.isoformat().replace("+00:00", "Z"), "checks": cs}


def make_handler(api, fail, latency_ms):
    class Handler(BaseHTTPRequestHandler):
        server_version = "StreamLakeMock/1.0"

        def log_message(self, fmt, *args):
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

        def send(self, status, body, ctype):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            # The page needs nothing beyond its own origin (no inline script or style, no CDN).
            self.send_header("Content-Security-Policy", CSP)
            self.end_headers()
            self.wfile.write(body)

        def send_json(self, status, obj):
            self.send(status, json.dumps(obj).encode(), "application/json")

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path in STATIC:
                fname, ctype = STATIC[url.path]
                with open(os.path.join(ASSETS, fname), "rb") as f:
                    return self.send(200, f.read(), ctype)
            if not url.path.startswith("/api/"):
                return self.send_json(404, {"error": f"not found: {url.path}"})
            name = url.path[len("/api/"):]
            if latency_ms:
                time.sleep(random.uniform(0, latency_ms) / 1000.0)
            if name in fail:
                return self.send_json(500, {"error": f"mock failure of /api/{name} (--fail {name})"})
            try:
                self.send_json(200, api.dispatch(name, urllib.parse.parse_qs(url.query)))
            except ApiError as e:
                self.send_json(e.status, {"error": str(e)})

    return Handler


def main():
    p = argparse.ArgumentParser(description="Mock StreamLake dashboard server")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--fail", action="append", default=[], metavar="ENDPOINT")
    p.add_argument("--unhealthy", action="store_true")
    p.add_argument("--latency", type=int, default=0, metavar="MS")
    p.add_argument("--empty", action="store_true")
    a = p.parse_args()
    data = build(a.seed)
    if a.empty:
        data = {k: {} for k in data}
    fail = {f.strip("/").split("/")[-1] for f in a.fail}
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(Api(data, a.unhealthy), fail, a.latency))
    print(f"Serving the StreamLake dashboard on http://127.0.0.1:{srv.server_address[1]}/", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
