"""`make bench`: serve a large data set with gunicorn (production settings, 2 workers) on
127.0.0.1 and load each route with wrk for a fixed time; print and save the figures.

python -m bench.run [--published 20000] [--closed 100000] [--duration 10] [--connections 8]
Figures are ratios to /healthz measured in the same run, so they hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key"  # noqa: S105 -- throwaway benchmark server

TARGETS = {
    "browse": ("ratio", 0.35),
    "filter (htmx)": ("ratio", 0.5),
    "listing page": ("ratio", 0.5),
    "search": ("p99_ms", 30.0),
    "dashboard": ("p99_ms", 150.0),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(instance: Path) -> dict:
    env = dict(os.environ)
    env.update(
        REEMPLOI_INSTANCE_PATH=str(instance),
        FLASK_SECRET_KEY=SECRET,
        FLASK_MAIL_SERVER="",
        PYTHONPATH=str(ROOT),
    )
    return env


def prepare(published: int, closed: int, agents: int, services: int) -> Path:
    """Build the data set once per size; later runs reuse it."""
    instance = CACHE / f"p{published}-c{closed}-a{agents}-s{services}"
    marker = instance / "ready"
    migrations = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    env = env_for(instance)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    if marker.exists():
        if json.loads(marker.read_text()) != migrations:
            # A newer schema: migrate the data set rather than build it again.
            subprocess.run([*flask, "db", "upgrade"], check=True, env=env, cwd=ROOT)
            marker.write_text(json.dumps(migrations))
        return instance
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    build_dataset(env, published, closed, agents, services)
    marker.write_text(json.dumps(migrations))
    return instance


def build_dataset(env: dict, published: int, closed: int, agents: int, services: int) -> None:
    """Migrate the database `env` points at and fill it with the bench data set."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], check=True, env=env, cwd=ROOT, capture_output=True)
    print(f"Building the data set ({published} online, {closed} closed listings)…", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dataset",
            f"--published={published}",
            f"--closed={closed}",
            f"--agents={agents}",
            f"--services={services}",
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the real form (CSRF on) and return the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/connexion")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urlencode({"csrf_token": token, "email": email, "password": password})
    conn.request(
        "POST",
        "/connexion",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"http://127.0.0.1:{port}/connexion",
        },
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"sign-in failed for {email}: {response.status}")
    session = response.getheader("Set-Cookie").split(";", 1)[0]
    conn.close()
    return session


def first_request(port: int, path: str, cookie: str) -> tuple[int, float]:
    """Status and milliseconds of one request (the first: nothing cached yet)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def parse_wrk(output: str) -> dict:
    def latency_ms(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency_ms(50),
        "p99_ms": latency_ms(99),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def run_wrk(port, path, cookie, duration, connections, headers=()) -> dict:
    command = [
        "wrk",
        "--threads=2",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
    ]
    for header in headers:
        command += ["-H", header]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return parse_wrk(output)


def queries_per_request(instance: Path, routes: list[tuple]) -> dict:
    """Count SQL statements per route in-process, on the same data set."""
    script = r"""
import json, sys
from sqlalchemy import event
from app import create_app
from app.extensions import db
app = create_app({"WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
routes = json.loads(sys.argv[1])
out = {}
with app.app_context():
    engine = db.engine
count = [0]
event.listen(engine, "before_cursor_execute", lambda *a: count.__setitem__(0, count[0] + 1))
for name, path, email, headers in routes:
    client = app.test_client()
    client.post("/connexion", data={"email": email, "password": "bench-password"})
    client.get(path, headers=dict(headers))
    count[0] = 0
    response = client.get(path, headers=dict(headers))
    out[name] = count[0] if response.status_code == 200 else None
print(json.dumps(out))
"""
    payload = json.dumps([[n, p, e, [h.split(": ", 1) for h in hs]] for n, p, e, hs in routes])
    result = subprocess.run(
        [sys.executable, "-c", script, payload],
        check=True,
        capture_output=True,
        text=True,
        env=env_for(instance),
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--published", type=int, default=20000)
    parser.add_argument("--closed", type=int, default=100000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per route")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only", default="", help="comma-separated words: load only the routes whose name has one"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (make bench installs it when run as root)")
        return 2

    instance = prepare(args.published, args.closed, args.agents, args.services)
    port = free_port()
    logs = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={args.workers}",
            f"--bind=127.0.0.1:{port}",
            "--error-logfile=-",
            "wsgi:app",
        ],
        env=env_for(instance),
        cwd=ROOT,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                logs.seek(0)
                print(logs.read())
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)

        agent = sign_in(port, "agent7@bench.example", "bench-password")
        moderator = sign_in(port, "agent0@bench.example", "bench-password")
        listing_id = 12345 % max(args.published, 1) + 1
        routes = [
            ("baseline /healthz", "/healthz", agent, ()),
            ("browse", "/annonces/", agent, ()),
            ("filter (htmx)", "/annonces/?category=3&sort=available", agent, ("HX-Request: true",)),
            ("search", "/annonces/?q=armoire+grise", agent, ("HX-Request: true",)),
            ("listing page", f"/annonces/{listing_id}", agent, ()),
            ("dashboard", "/statistiques/", moderator, ()),
        ]
        if args.only:
            words = args.only.split(",")
            routes = [r for r in routes if r[1] == "/healthz" or any(w in r[0] for w in words)]
        emails = {agent: "agent7@bench.example", moderator: "agent0@bench.example"}
        results = {}
        for name, path, cookie, headers in routes:
            status, first_ms = first_request(port, path, cookie)
            if status != 200:
                results[name] = {"path": path, "skipped": f"HTTP {status}"}
                continue
            figures = run_wrk(port, path, cookie, args.duration, args.connections, headers)
            # A query string the cache has never seen: rendered anew by a warm worker.
            fresh = sorted(
                first_request(port, f"{path}{'&' if '?' in path else '?'}x={n}", cookie)[1]
                for n in range(5)
            )
            results[name] = {
                "path": path,
                "first_ms": round(first_ms, 1),
                "uncached_ms": round(fresh[2], 1),
                **figures,
            }
        counts = queries_per_request(
            instance, [(n, p, emails[c], h) for n, p, c, h in routes if n != "baseline /healthz"]
        )
        rss = {pid: round(peak_rss_mb(pid), 1) for pid in worker_pids(server.pid)}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    baseline = results["baseline /healthz"].get("rps") or 1.0
    print()
    print(
        f"{'route':22s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'ratio':>6s} "
        f"{'queries':>7s} {'first ms':>8s} {'uncached':>8s}  target"
    )
    verdicts = []
    for name, figures in results.items():
        if "skipped" in figures:
            print(f"{name:22s} skipped ({figures['skipped']})")
            continue
        figures["ratio"] = round(figures["rps"] / baseline, 3)
        figures["queries"] = counts.get(name)
        target = TARGETS.get(name)
        verdict = ""
        if target:
            key, bound = target
            value = figures[key]
            met = value >= bound if key == "ratio" else value <= bound
            verdict = (
                f"{key} {'≥' if key == 'ratio' else '≤'} {bound}: {'met' if met else 'MISSED'}"
            )
            verdicts.append(met)
        print(
            f"{name:22s} {figures['rps']:9.1f} {figures['p50_ms'] or 0:8.2f} "
            f"{figures['p99_ms'] or 0:8.2f} {figures['ratio']:6.3f} "
            f"{'' if figures['queries'] is None else figures['queries']:>7} "
            f"{figures['first_ms']:8.1f} {figures['uncached_ms']:8.1f}  {verdict}"
        )
    worst = max(rss.values(), default=0)
    print(
        "\n'first ms': the route's first request, on a worker that has served nothing yet;"
        "\n'uncached': the median of 5 requests the cache has never seen, on a warm worker (the"
        "\nbrowse page, the listing page and the dashboard are otherwise reused until data change)."
    )
    print(f"Peak RSS per worker: {', '.join(f'{v} MB' for v in rss.values())} (target ≤ 120 MB)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "at": stamp,
        "size": vars(args),
        "routes": results,
        "worker_peak_rss_mb": list(rss.values()),
        "targets_met": all(verdicts) and worst <= 120,
    }
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"Figures saved to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
