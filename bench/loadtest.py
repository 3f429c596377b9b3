"""`make loadtest`: concurrent writers on SQLite, then the same load with a worker killed.

gunicorn (4 workers, production settings) serves a copy of the bench data set on 127.0.0.1.
Client threads mix browsing with posting, contacting and closing listings for a bounded time
and count. Afterwards the database must hold exactly the writes the clients were told
succeeded (a write cut by the killed worker may or may not have landed: it is counted apart),
with zero 5xx, zero "database is locked", and PRAGMA integrity_check = ok. A backup taken
during the load is restored into a scratch folder and opened.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bench.run import ROOT, env_for, free_port, prepare, worker_pids

TITLE_PREFIX = "Charge"
PASSWORD = "bench-password"  # noqa: S105 -- throwaway benchmark accounts


class Client:
    """One agent with a keep-alive connection, a session cookie and its CSRF token."""

    def __init__(self, port: int, email: str):
        self.port, self.email = port, email
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.token = ""

    def request(self, method, path, form=None, headers=None):
        body = urlencode(form, doseq=True) if form is not None else None
        all_headers = {"Cookie": self.cookie, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return None, ""
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("reemploi_session="):
            self.cookie = cookie.split(";", 1)[0]
        return response, data

    def sign_in(self):
        response, html = self.request("GET", "/connexion")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response, _ = self.request(
            "POST", "/connexion", {"csrf_token": token, "email": self.email, "password": PASSWORD}
        )
        assert response is not None and response.status == 302, "sign-in failed"
        _, html = self.request("GET", "/profil")
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def run_load(port, db_path, duration, max_ops, threads, kill_midway, backup_dir):
    """Run the mixed load; return the tallies of what the clients were told."""
    db = sqlite3.connect(db_path)
    category_id, site_id = (
        db.execute("SELECT min(id) FROM category").fetchone()[0],
        db.execute("SELECT min(id) FROM site").fetchone()[0],
    )
    agents = db.execute(
        "SELECT id, email FROM user_account WHERE is_moderator = 0 ORDER BY id LIMIT ?",
        (threads,),
    ).fetchall()
    service_id = db.execute("SELECT min(id) FROM service").fetchone()[0]
    own = {
        uid: [
            row[0]
            for row in db.execute(
                "SELECT id FROM listing WHERE poster_id = ? AND status = 'published' LIMIT 50",
                (uid,),
            )
        ]
        for uid, _ in agents
    }
    others = [
        row[0] for row in db.execute("SELECT id FROM listing WHERE status = 'published' LIMIT 3000")
    ]
    db.close()

    tallies = Counter()
    acknowledged = {"posted": set(), "contacted": set(), "closed": set()}
    cut = Counter()
    lock = threading.Lock()
    stop_at = time.time() + duration
    done_ops = [0]

    def worker(index, uid, email):
        rng = random.Random(index)
        client = Client(port, email)
        client.sign_in()
        mine = list(own[uid])
        while time.time() < stop_at:
            with lock:
                if done_ops[0] >= max_ops:
                    return
                done_ops[0] += 1
                n = done_ops[0]
            op = rng.choices(
                ["browse", "filter", "page", "post", "contact", "close"], [40, 15, 15, 12, 12, 6]
            )[0]
            if op == "browse":
                response, _ = client.request("GET", "/annonces/")
            elif op == "filter":
                response, _ = client.request(
                    "GET",
                    f"/annonces/?q=chaise&category={category_id}",
                    headers={"HX-Request": "true"},
                )
            elif op == "page":
                response, _ = client.request("GET", f"/annonces/{rng.choice(others)}")
            elif op == "post":
                title = f"{TITLE_PREFIX} {index}-{n}"
                response, _ = client.request(
                    "POST",
                    "/annonces/nouvelle",
                    {
                        "csrf_token": client.token,
                        "title": title,
                        "description": "Charge de test",
                        "category_id": category_id,
                        "quantity": 2,
                        "condition": "good",
                        "estimated_value": "12,50",
                        "site_id": site_id,
                        "professional_use_confirmed": "y",
                    },
                )
                if response is not None and response.status == 302:
                    with lock:
                        acknowledged["posted"].add(title)
                elif response is None:
                    cut["post"] += 1
            elif op == "contact":
                target = rng.choice(others)
                response, _ = client.request(
                    "POST",
                    f"/annonces/{target}/contact",
                    {"csrf_token": client.token, "message": "Intéressé pour notre service."},
                )
                if response is not None and response.status in (200, 302, 303):
                    with lock:
                        acknowledged["contacted"].add((uid, target))
                elif response is None:
                    cut["contact"] += 1
            else:
                if not mine:
                    continue
                target = mine.pop()
                response, _ = client.request(
                    "POST",
                    f"/annonces/{target}/cloturer",
                    {
                        "csrf_token": client.token,
                        "reason": "exchanged",
                        "quantity": "",
                        "receiving_service_id": service_id,
                        "receiving_user_id": "",
                        "destination": "",
                        "detail": "",
                    },
                )
                if response is not None and response.status == 302:
                    with lock:
                        acknowledged["closed"].add(target)
                elif response is None:
                    cut["close"] += 1
            with lock:
                if response is None:
                    tallies["connection cut"] += 1
                else:
                    tallies[f"{op} {response.status}"] += 1

    pool = [
        threading.Thread(target=worker, args=(i, uid, email), daemon=True)
        for i, (uid, email) in enumerate(agents)
    ]
    started = time.time()
    for thread in pool:
        thread.start()
    if kill_midway is not None or backup_dir is not None:
        time.sleep(duration / 2)
        if backup_dir is not None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "wsgi",
                    "reemploi",
                    "backup",
                    str(backup_dir),
                ],
                check=True,
                env=kill_midway["env"] if kill_midway else env_for(Path(db_path).parent),
                cwd=ROOT,
                capture_output=True,
            )
        if kill_midway is not None:
            victims = worker_pids(kill_midway["master"])
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                tallies["workers killed"] += 1
    for thread in pool:
        thread.join(timeout=duration + 120)
    elapsed = time.time() - started
    return tallies, acknowledged, cut, elapsed


def check_database(db_path, acknowledged, cut) -> list[str]:
    """What the database holds against what the clients were told; empty list = all good."""
    problems = []
    db = sqlite3.connect(db_path)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    titles = {
        row[0]
        for row in db.execute(
            "SELECT title FROM listing WHERE title LIKE ?", (f"{TITLE_PREFIX} %",)
        )
    }
    missing = acknowledged["posted"] - titles
    extra = len(titles - acknowledged["posted"])
    if missing:
        problems.append(f"{len(missing)} acknowledged listings missing")
    if extra > cut["post"]:
        problems.append(f"{extra} listings nobody was told about (only {cut['post']} cut)")
    contacts = set(db.execute("SELECT requester_id, listing_id FROM contact_request").fetchall())
    if acknowledged["contacted"] - contacts:
        problems.append(
            f"{len(acknowledged['contacted'] - contacts)} acknowledged contacts missing"
        )
    closed = {row[0] for row in db.execute("SELECT id FROM listing WHERE status = 'closed'")}
    if acknowledged["closed"] - closed:
        problems.append(f"{len(acknowledged['closed'] - closed)} acknowledged closures missing")
    db.close()
    return problems


def serve(instance: Path, workers: int, port: int, log):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--error-logfile=-",
            "--timeout=60",
            "wsgi:app",
        ],
        env=env_for(instance),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_up(port, server):
    deadline = time.time() + 60
    while time.time() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def one_round(name, base: Path, args, kill: bool) -> bool:
    scratch = Path(tempfile.mkdtemp(prefix=f"reemploi-load-{name}-"))
    instance = scratch / "instance"
    shutil.copytree(base, instance, ignore=shutil.ignore_patterns("ready"))
    db_path = instance / "reemploi.sqlite"
    port = free_port()
    log_path = scratch / "gunicorn.log"
    with log_path.open("w+") as log:
        server = serve(instance, args.workers, port, log)
        try:
            wait_up(port, server)
            backup_dir = scratch / "backup" if kill else None
            tallies, acknowledged, cut, elapsed = run_load(
                port,
                db_path,
                args.duration,
                args.max_ops,
                args.threads,
                {"master": server.pid, "env": env_for(instance)} if kill else None,
                backup_dir,
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    log_text = log_path.read_text()
    problems = check_database(db_path, acknowledged, cut)
    errors_5xx = sum(v for k, v in tallies.items() if re.search(r" 5\d\d$", k))
    locked = log_text.count("database is locked")
    if errors_5xx:
        problems.append(f"{errors_5xx} responses 5xx")
    if locked:
        problems.append(f"'database is locked' {locked} times in the log")
    if kill:
        restored = scratch / "restored"
        restored.mkdir()
        env = env_for(restored)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "reemploi",
                "restore",
                str(scratch / "backup"),
                "--yes",
            ],
            check=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        check = sqlite3.connect(restored / "reemploi.sqlite")
        restored_rows = check.execute("SELECT count(*) FROM listing").fetchone()[0]
        restored_ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        check.close()
        if restored_ok != "ok" or restored_rows == 0:
            problems.append("the backup taken during the load did not restore")
        else:
            tallies["backup restored, listings"] = restored_rows
    total = sum(
        v for k, v in tallies.items() if k[0].isalpha() and " " in k and k.split()[-1].isdigit()
    )
    print(
        f"\n== {name}: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s), "
        f"{args.workers} workers, {args.threads} clients"
    )
    for key in sorted(tallies):
        print(f"   {key:28s} {tallies[key]}")
    print(
        f"   acknowledged: {len(acknowledged['posted'])} posted, "
        f"{len(acknowledged['contacted'])} contacts, {len(acknowledged['closed'])} closed; "
        f"cut by the kill: {dict(cut) or 0}"
    )
    print(
        "   "
        + (
            "OK: database matches, integrity ok, no 5xx, no lock error"
            if not problems
            else "PROBLEMS: " + "; ".join(problems)
        )
    )
    if not problems:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"   kept for inspection: {scratch}")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--published", type=int, default=5000)
    parser.add_argument("--closed", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=30, help="seconds per round (bound)")
    parser.add_argument("--max-ops", type=int, default=6000, help="requests per round (bound)")
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    base = prepare(args.published, args.closed, 200, 40)
    ok = one_round("steady", base, args, kill=False)
    ok = one_round("worker killed midway, backup during load", base, args, kill=True) and ok
    print(json.dumps({"passed": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
