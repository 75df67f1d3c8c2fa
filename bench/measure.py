#!/usr/bin/env python3
"""Measurements of bench/run that need more than a shell: start-up time, first-load transfer, process
figures from /proc, and the final table. Standard library only.

  measure.py start LOG URL CMD...   start CMD (output to LOG), print `PID MS`: ms from spawn to the first HTTP answer from URL
  measure.py cpu PID                process CPU time (user + system) in microseconds
  measure.py rss PID                `VmRSS VmHWM` in KiB
  measure.py redis PID PORT         JSON: the peak RSS of the redis-server PID, its used_memory_peak and its keys
  measure.py first-load URL         JSON: bytes of the page and every /pkg/ file it names, per encoding
  measure.py report DIR OUT         read DIR/*.json, write them to OUT, print the table
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Issue 23's budget: what users feel, read beside the Express peer of the same run (throughput ≥ 5× it and
# p99 added < 5 ms are checked where those rows are made).
CPU_BUDGET_US = 100
WAITS_RSS_BUDGET_MIB = 256
IDLE_RSS_BUDGET_MIB = 20


def start(log, url, cmd):
    out = open(log, "ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            sys.exit(f"measure: {cmd[0]} exited with {proc.returncode} (see {log})")
        try:
            with urllib.request.urlopen(url, timeout=1):
                answered = True
        except urllib.error.HTTPError:
            answered = True
        except (urllib.error.URLError, ConnectionError, OSError):
            answered = False
        if answered:
            print(proc.pid, f"{(time.perf_counter() - t0) * 1000:.1f}")
            return
        time.sleep(0.0005)
    proc.kill()
    sys.exit(f"measure: {url} did not answer within 30 s (see {log})")


def cpu_us(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
    ticks = int(fields[11]) + int(fields[12])
    return ticks * 1_000_000 // CLK_TCK


def rss(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def redis_info(port):
    """Redis's INFO, as a dict of its `name:value` lines (one inline command; the answer is a bulk string)."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as s:
        s.sendall(b"INFO\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536) or sys.exit("measure: redis closed the connection")
        head, _, body = data.partition(b"\r\n")
        if not head.startswith(b"$"):
            sys.exit(f"measure: redis answered {head[:80]!r}")
        size = int(head[1:])
        while len(body) < size:
            body += s.recv(65536) or sys.exit("measure: redis closed the connection")
    lines = body[:size].decode().splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith("#"))


def redis(pid, port):
    info = redis_info(port)
    keys = sum(int(re.search(r"keys=(\d+)", v).group(1)) for k, v in info.items() if re.fullmatch(r"db\d+", k))
    print(json.dumps({"redis_peak_rss_kib": rss(pid)[1], "redis_used_memory_peak": int(info["used_memory_peak"]),
                      "redis_keys": keys}))


def fetch(url, encoding):
    headers = {"Accept": "text/html,*/*", "Accept-Encoding": encoding}
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
        return {
            "bytes": len(body),
            "content_encoding": r.headers.get("Content-Encoding", "identity"),
            "cache_control": r.headers.get("Cache-Control"),
        }, body


def first_load(url):
    origin = re.match(r"https?://[^/]+", url).group(0)
    result = {"url": url, "files": {}, "total": {}}
    _, html = fetch(url, "identity")
    assets = sorted(set(re.findall(r"/pkg/[^\"' )>]+?\.(?:css|js|wasm)\b", html.decode("utf-8", "replace"))))
    files = [("html", url)] + [(path.rsplit(".", 1)[1], origin + path) for path in assets]
    for kind, file_url in files:
        entry = {"url": file_url}
        for label, encoding in (("identity", "identity"), ("gzip", "gzip"), ("br", "br;q=1.0, gzip;q=0.5")):
            info, _ = fetch(file_url, encoding)
            entry[label] = info
        name = "html" if kind == "html" else file_url.rsplit("/", 1)[1]
        result["files"][name] = entry
    for label in ("identity", "gzip", "br"):
        result["total"][label] = sum(f[label]["bytes"] for f in result["files"].values())
    print(json.dumps(result))


def kb(n):
    return f"{n / 1000:.1f} KB"


def report(d, out):
    def load(name):
        path = os.path.join(d, name + ".json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            try:
                return json.load(f)
            except json.JSONDecodeError:
                return None

    meta = load("meta") or {}
    tp = {name: load("throughput-" + name) for name in ("app", "express", "direct")}
    tp_redis = load("throughput-app-redis")
    waits = load("waits")
    waits_redis = load("waits-redis")
    first = load("first-load")
    ssr = load("ssr")
    idle = load("idle")
    cookie = load("cookie")
    instructions = load("instructions")
    rows = []
    nm = "not measured"

    def rps(r):
        return r["requests"] / (r["duration_us"] / 1e6)

    def errors(r):
        return sum(r[k] for k in ("non_2xx_3xx", "connect_errors", "read_errors", "write_errors", "timeouts"))

    figures = {}
    if all(tp.values()):
        a, e, dr = (rps(tp[n]) for n in ("app", "express", "direct"))
        figures["throughput_rps"] = {"app": a, "express": e, "direct": dr, "app_over_express": a / e,
                                     "app_over_direct": a / dr,
                                     "errors": {n: errors(tp[n]) for n in tp}}
        rows.append(("start-auth-intent throughput, in-process store (64 conn, %d s)" % meta.get("duration_s", 0),
                     f"app {a:,.0f}/s, Express {e:,.0f}/s, direct {dr:,.0f}/s; app ÷ Express {a / e:.1f}×, "
                     f"app ÷ direct {a / dr:.2f}; errors {sum(errors(tp[n]) for n in tp)}",
                     "app ≥ 5× Express", "yes" if a / e >= 5 and all(errors(tp[n]) == 0 for n in tp) else "no"))
        p50 = (tp["app"]["p50_us"] - tp["direct"]["p50_us"]) / 1000
        p99 = (tp["app"]["p99_us"] - tp["direct"]["p99_us"]) / 1000
        figures["added_latency_ms"] = {"p50": p50, "p99": p99,
                                       "app": {"p50": tp["app"]["p50_us"] / 1000, "p99": tp["app"]["p99_us"] / 1000},
                                       "direct": {"p50": tp["direct"]["p50_us"] / 1000,
                                                  "p99": tp["direct"]["p99_us"] / 1000},
                                       "express": {"p50": tp["express"]["p50_us"] / 1000,
                                                   "p99": tp["express"]["p99_us"] / 1000}}
        rows.append(("added latency, in-process store (app − direct, same load)",
                     f"p50 {p50:+.2f} ms, p99 {p99:+.2f} ms (app p50 {tp['app']['p50_us'] / 1000:.2f} / p99 "
                     f"{tp['app']['p99_us'] / 1000:.2f} ms; direct {tp['direct']['p50_us'] / 1000:.2f} / "
                     f"{tp['direct']['p99_us'] / 1000:.2f} ms; Express {tp['express']['p50_us'] / 1000:.2f} / "
                     f"{tp['express']['p99_us'] / 1000:.2f} ms)",
                     "p99 added < 5 ms", "yes" if p99 < 5 else "no"))
    else:
        rows.append(("start-auth-intent throughput, in-process store", nm, "app ≥ 5× Express", "-"))
        rows.append(("added latency, in-process store", nm, "p99 added < 5 ms", "-"))
    cpu = {n: (tp[n] or {}).get("cpu_us_per_call") for n in ("app", "express")}
    if all(v is not None for v in cpu.values()):
        figures["cpu_us_per_call"] = cpu
        rows.append(("server CPU per call, in-process store", f"app {cpu['app']:.0f} µs, Express {cpu['express']:.0f} µs",
                     "app < 100 µs", "yes" if cpu["app"] < CPU_BUDGET_US else "no"))
    else:
        rows.append(("server CPU per call, in-process store", nm, "app < 100 µs", "-"))
    # The sign-in with the Redis store, beside Express and direct from the same run.
    if tp_redis and tp["express"] and tp["direct"]:
        a, e, dr = rps(tp_redis), rps(tp["express"]), rps(tp["direct"])
        errs = errors(tp_redis) + errors(tp["express"]) + errors(tp["direct"])
        figures["throughput_rps_redis"] = {"app": a, "express": e, "direct": dr, "app_over_express": a / e,
                                           "app_over_direct": a / dr, "errors": {"app": errors(tp_redis)}}
        rows.append(("start-auth-intent throughput, Redis store (64 conn, %d s)" % meta.get("duration_s", 0),
                     f"app {a:,.0f}/s, Express {e:,.0f}/s, direct {dr:,.0f}/s; app ÷ Express {a / e:.1f}×, "
                     f"app ÷ direct {a / dr:.2f}; errors {errs}",
                     "app ≥ 5× Express", "yes" if a / e >= 5 and errs == 0 else "no"))
        p50 = (tp_redis["p50_us"] - tp["direct"]["p50_us"]) / 1000
        p99 = (tp_redis["p99_us"] - tp["direct"]["p99_us"]) / 1000
        figures["added_latency_ms_redis"] = {"p50": p50, "p99": p99,
                                             "app": {"p50": tp_redis["p50_us"] / 1000, "p99": tp_redis["p99_us"] / 1000}}
        rows.append(("added latency, Redis store (app − direct)",
                     f"p50 {p50:+.2f} ms, p99 {p99:+.2f} ms (app p50 {tp_redis['p50_us'] / 1000:.2f} / p99 "
                     f"{tp_redis['p99_us'] / 1000:.2f} ms; direct {tp['direct']['p50_us'] / 1000:.2f} / "
                     f"{tp['direct']['p99_us'] / 1000:.2f} ms; Express {tp['express']['p50_us'] / 1000:.2f} / "
                     f"{tp['express']['p99_us'] / 1000:.2f} ms)",
                     "p99 added < 5 ms", "yes" if p99 < 5 else "no"))
        c_app, c_redis = tp_redis.get("cpu_us_per_call"), tp_redis.get("redis_cpu_us_per_call")
        c_express = tp["express"].get("cpu_us_per_call")
        figures["cpu_us_per_call_redis"] = {"app": c_app, "redis": c_redis, "express": c_express}
        rows.append(("server CPU per call, Redis store",
                     f"app {c_app:.0f} µs + Redis {c_redis:.0f} µs, Express {c_express:.0f} µs",
                     "app < 100 µs", "yes" if c_app < CPU_BUDGET_US else "no"))
    else:
        rows.append(("start-auth-intent throughput, Redis store", nm, "app ≥ 5× Express", "-"))
        rows.append(("added latency, Redis store", nm, "p99 added < 5 ms", "-"))
        rows.append(("server CPU per call, Redis store", nm, "app < 100 µs", "-"))

    def waits_text(w):
        return (f"{w['connected']:,} connected, {w['errors']} errors, at most {w['max_concurrent_waits']:,} waits "
                f"at once over {w['connections']} h2c connections, {w['elapsed_s']:.1f} s; "
                f"app peak RSS {w['app_peak_rss_kib'] / 1024:.1f} MiB")

    def all_succeed(w):
        return w["connected"] == w["browsers"] and w["errors"] == 0

    if waits:
        peak = waits["app_peak_rss_kib"] / 1024
        figures["waits"] = waits
        rows.append((f"users waiting for in-app approval, in-process store ({waits['browsers']:,} browsers)",
                     waits_text(waits), "all succeed; peak RSS < 256 MiB; no errors",
                     "yes" if all_succeed(waits) and peak < WAITS_RSS_BUDGET_MIB else "no"))
    else:
        rows.append(("users waiting for in-app approval, in-process store", nm,
                     "all 10,000 succeed; peak RSS < 256 MiB", "-"))
    if waits_redis:
        figures["waits_redis"] = waits_redis
        rows.append((f"users waiting for in-app approval, Redis store ({waits_redis['browsers']:,} browsers)",
                     f"{waits_text(waits_redis)}, Redis peak RSS {waits_redis['redis_peak_rss_kib'] / 1024:.1f} MiB",
                     "all succeed; app peak RSS < 256 MiB; no errors",
                     "yes" if all_succeed(waits_redis)
                     and waits_redis["app_peak_rss_kib"] / 1024 < WAITS_RSS_BUDGET_MIB else "no"))
    else:
        rows.append(("users waiting for in-app approval, Redis store", nm,
                     "all 10,000 succeed; app peak RSS < 256 MiB", "-"))
    redis_runs = [(key, label, r) for key, label, r in
                  (("sign_ins", "sign-ins", tp_redis),
                   ("waits", f"{(waits_redis or {}).get('browsers', 0):,} waits", waits_redis))
                  if r and "redis_peak_rss_kib" in r]
    if redis_runs:
        figures["redis"] = {key: {k: r[k] for k in ("redis_peak_rss_kib", "redis_used_memory_peak", "redis_keys")}
                            for key, _, r in redis_runs}
        rows.append(("Redis peak RSS (a fresh redis-server for each figure)",
                     "; ".join(f"{label}: {r['redis_peak_rss_kib'] / 1024:.1f} MiB (used_memory_peak "
                               f"{r['redis_used_memory_peak'] / 1048576:.1f} MiB, {r['redis_keys']:,} keys after)"
                               for _, label, r in redis_runs), "report", "-"))
    else:
        rows.append(("Redis peak RSS", nm, "report", "-"))
    if first:
        t = first["total"]
        figures["first_load_bytes"] = first
        rows.append(("first-load transfer of /connect/linkedin (HTML + CSS + JS + wasm)",
                     f"gzip {kb(t['gzip'])}, brotli {kb(t['br'])} (uncompressed {kb(t['identity'])})",
                     "≤ 100 KB gzip", "yes" if t["gzip"] <= 100_000 else "no"))
    else:
        rows.append(("first-load transfer", nm, "≤ 100 KB gzip", "-"))
    if ssr:
        s_rps = ssr["requests"] / (ssr["duration_us"] / 1e6)
        figures["ssr"] = {"pages_per_s": s_rps, "p50_ms": ssr["p50_us"] / 1000, "p99_ms": ssr["p99_us"] / 1000,
                          "errors": errors(ssr), "cpu_us_per_page": ssr.get("cpu_us_per_call")}
        cpu_page = f", {ssr['cpu_us_per_call']:.0f} µs CPU per page" if ssr.get("cpu_us_per_call") else ""
        rows.append(("SSR of /connect/linkedin (64 conn, as a browser asks)",
                     f"{s_rps:,.0f} pages/s, p50 {ssr['p50_us'] / 1000:.2f} ms, p99 {ssr['p99_us'] / 1000:.2f} ms"
                     f"{cpu_page}; errors {errors(ssr)}", "report; no regression", "-"))
    else:
        rows.append(("SSR", nm, "report; no regression", "-"))
    if cookie:
        figures["cookie"] = cookie
        c, k = cookie["code_checkpoint"], cookie["captcha_checkpoint"]
        rows.append(("flow cookie crypto (seal into Set-Cookie / open from Cookie)",
                     f"code checkpoint ({c['set_cookie_bytes']:,} B, {c['cookies']} cookie): {c['seal_us']:.1f} / "
                     f"{c['open_us']:.1f} µs; CAPTCHA checkpoint ({k['set_cookie_bytes']:,} B, {k['cookies']} cookies): "
                     f"{k['seal_us']:.1f} / {k['open_us']:.1f} µs", "report", "-"))
    else:
        rows.append(("flow cookie crypto", nm, "report", "-"))
    if instructions and instructions["errors"] == 0:
        figures["instructions"] = instructions
        rows.append(("app instructions per sign-in (callgrind, user space)",
                     f"{instructions['per_sign_in'] / 1000:,.1f} k over {instructions['sign_ins']:,} sign-ins",
                     "report", "-"))
    else:
        rows.append(("app instructions per sign-in", nm, "report", "-"))
    if idle:
        figures["idle"] = idle
        mib = idle["rss_kib"] / 1024
        rows.append(("idle memory and start-up",
                     f"RSS {mib:.1f} MiB 3 s after start; first answer {idle['startup_ms']:.0f} ms after spawn",
                     "RSS < 20 MiB; start < 100 ms", "yes" if mib < IDLE_RSS_BUDGET_MIB and idle["startup_ms"] < 100 else "no"))
    else:
        rows.append(("idle memory and start-up", nm, "RSS < 20 MiB; start < 100 ms", "-"))

    results = {"date": meta.get("date"), "machine": meta.get("machine"), "settings": meta, "figures": figures,
               "raw": {"throughput": dict(tp, app_redis=tp_redis), "waits": waits, "waits_redis": waits_redis,
                       "ssr": ssr, "idle": idle, "cookie": cookie, "instructions": instructions}}
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"Measured {meta.get('date')} on {meta.get('machine')}\n")
    print("| figure | measured | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "start":
        start(args[0], args[1], args[2:])
    elif cmd == "cpu":
        print(cpu_us(args[0]))
    elif cmd == "rss":
        print(*rss(args[0]))
    elif cmd == "redis":
        redis(args[0], args[1])
    elif cmd == "first-load":
        first_load(args[0])
    elif cmd == "report":
        report(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
