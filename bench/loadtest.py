"""`make loadtest`: concurrent writers on SQLite, then the same load with a worker killed.

gunicorn (4 workers, production settings) serves a copy of the bench data set on 127.0.0.1.
Client threads mix browsing with posting, contacting and closing listings for a bounded time
and count. Afterwards the database must hold exactly the writes the clients were told
succeeded (a write cut by the killed worker may or may not have landed: it is counted apart),
with zero 5xx, zero "database is locked", and PRAGMA integrity_check = ok. A backup taken
during the load is restored into a scratch folder and opened.

With --postgres (`make loadtest-postgres`) the same runs against the PostgreSQL database named
by TEST_DATABASE_URL: the data set is built there once, each round gets a copy of it (CREATE
DATABASE … TEMPLATE), amcheck stands in for integrity_check, and the backup is restored into a
scratch database.
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.run import ROOT, build_dataset, env_for, free_port, prepare, worker_pids

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


def run_load(port, url, duration, max_ops, threads, kill_midway, backup):
    """Run the mixed load; return the tallies of what the clients were told."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as db:
        category_id = db.scalar(sa.text("SELECT min(id) FROM category"))
        site_id = db.scalar(sa.text("SELECT min(id) FROM site"))
        service_id = db.scalar(sa.text("SELECT min(id) FROM service"))
        agents = db.execute(
            sa.text(
                "SELECT id, email FROM user_account WHERE NOT is_moderator ORDER BY id LIMIT :n"
            ),
            {"n": threads},
        ).all()
        own = {
            uid: list(
                db.scalars(
                    sa.text(
                        "SELECT id FROM listing WHERE poster_id = :uid AND status = 'published'"
                        " ORDER BY id LIMIT 50"
                    ),
                    {"uid": uid},
                )
            )
            for uid, _ in agents
        }
        others = list(
            db.scalars(
                sa.text("SELECT id FROM listing WHERE status = 'published' ORDER BY id LIMIT 3000")
            )
        )
    engine.dispose()

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
    if kill_midway is not None or backup is not None:
        time.sleep(duration / 2)
        if backup is not None:
            flask_command("backup", str(backup["dir"]), env=backup["env"])
        if kill_midway is not None:
            victims = worker_pids(kill_midway)
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                tallies["workers killed"] += 1
    for thread in pool:
        thread.join(timeout=duration + 120)
    elapsed = time.time() - started
    return tallies, acknowledged, cut, elapsed


def check_database(url, acknowledged, cut) -> list[str]:
    """What the database holds against what the clients were told; empty list = all good."""
    problems = []
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as db:
        titles = set(
            db.scalars(
                sa.text("SELECT title FROM listing WHERE title LIKE :prefix"),
                {"prefix": f"{TITLE_PREFIX} %"},
            )
        )
        contacts = {
            tuple(row)
            for row in db.execute(sa.text("SELECT requester_id, listing_id FROM contact_request"))
        }
        closed = set(db.scalars(sa.text("SELECT id FROM listing WHERE status = 'closed'")))
    engine.dispose()
    missing = acknowledged["posted"] - titles
    extra = len(titles - acknowledged["posted"])
    if missing:
        problems.append(f"{len(missing)} acknowledged listings missing")
    if extra > cut["post"]:
        problems.append(f"{extra} listings nobody was told about (only {cut['post']} cut)")
    if acknowledged["contacted"] - contacts:
        problems.append(
            f"{len(acknowledged['contacted'] - contacts)} acknowledged contacts missing"
        )
    if acknowledged["closed"] - closed:
        problems.append(f"{len(acknowledged['closed'] - closed)} acknowledged closures missing")
    return problems


def check_integrity(url) -> tuple[str, list[str]]:
    """Run the engine's own consistency check; return what was checked and the problems."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as db:
            if engine.dialect.name == "sqlite":
                result = db.scalar(sa.text("PRAGMA integrity_check"))
                return "integrity_check ok", [] if result == "ok" else [f"integrity: {result}"]
            return _amcheck(db)
    finally:
        engine.dispose()


def _amcheck(db) -> tuple[str, list[str]]:
    """amcheck on every B-tree index (with heapallindexed) and every table of the schema."""
    try:
        with db.begin():
            db.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    except sa.exc.DBAPIError as error:
        # Without the extension (or the right to create it) only the counts stand.
        return f"amcheck unavailable ({error.orig}), counts only", []
    try:
        indexes = db.execute(
            sa.text(
                "SELECT c.relname, bt_index_check(c.oid, true) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am a ON a.oid = c.relam"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE a.amname = 'btree' AND n.nspname = 'public' AND i.indisvalid"
            )
        ).all()
        tables, corrupt = db.execute(
            sa.text(
                "SELECT count(DISTINCT c.oid), count(v.blkno) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " LEFT JOIN LATERAL verify_heapam(c.oid) v ON true"
                " WHERE c.relkind = 'r' AND n.nspname = 'public'"
            )
        ).one()
    except sa.exc.DBAPIError as error:
        return "amcheck", [f"amcheck: {str(error.orig).splitlines()[0]}"]
    done = f"amcheck ok on {len(indexes)} B-tree indexes and {tables} tables"
    return done, [] if not corrupt else [f"verify_heapam: {corrupt} corrupt tuples"]


def flask_command(*args, env):
    """Run `flask --app wsgi reemploi …` as IT would, failing loudly."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reemploi", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"flask reemploi {args[0]} failed: {result.stderr.strip()[-500:]}")


def env_with(instance: Path, url: str) -> dict:
    """The benchmark environment, pointed at this database."""
    return {**env_for(instance), "FLASK_SQLALCHEMY_DATABASE_URI": url}


def serve(env: dict, workers: int, port: int, log):
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
        env=env,
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


def admin_execute(url: str, statement: str) -> None:
    """Run one statement outside a transaction in the cluster's `postgres` database."""
    engine = sa.create_engine(
        sa.make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as db:
        db.execute(sa.text(statement))
    engine.dispose()


def fresh_database(base, scratch: Path, slug: str) -> str:
    """A copy of the bench data set for one round; return its URL."""
    if isinstance(base, Path):
        shutil.copytree(base, scratch / "instance", ignore=shutil.ignore_patterns("ready"))
        return f"sqlite:///{scratch / 'instance' / 'reemploi.sqlite'}"
    (scratch / "instance").mkdir()
    template = sa.make_url(base).database
    admin_execute(base, f'DROP DATABASE IF EXISTS "{slug}"')
    admin_execute(base, f'CREATE DATABASE "{slug}" TEMPLATE "{template}"')
    return sa.make_url(base).set(database=slug).render_as_string(hide_password=False)


def empty_database(like: str, scratch: Path, slug: str) -> str:
    """An empty database of the same engine to restore a backup into; return its URL."""
    if like.startswith("sqlite"):
        return f"sqlite:///{scratch / 'reemploi.sqlite'}"
    admin_execute(like, f'DROP DATABASE IF EXISTS "{slug}"')
    admin_execute(like, f'CREATE DATABASE "{slug}"')
    return sa.make_url(like).set(database=slug).render_as_string(hide_password=False)


def restore_and_count(backup: Path, url: str, scratch: Path, slug: str):
    """Restore a backup into an empty database; return its listing count and integrity."""
    restored = scratch / "restored"
    restored.mkdir()
    target = empty_database(url, restored, slug)
    flask_command("restore", str(backup), "--yes", env=env_with(restored, target))
    engine = sa.create_engine(target, poolclass=NullPool)
    with engine.connect() as db:
        rows = db.scalar(sa.text("SELECT count(*) FROM listing"))
    engine.dispose()
    return rows, check_integrity(target)


def one_round(name, slug, base, args, kill: bool) -> bool:
    """Serve a fresh copy of the data set under load, check it, print the figures."""
    scratch = Path(tempfile.mkdtemp(prefix=f"reemploi-load-{slug}-"))
    url = fresh_database(base, scratch, f"reemploi_load_{slug}")
    env = env_with(scratch / "instance", url)
    port = free_port()
    log_path = scratch / "gunicorn.log"
    with log_path.open("w+") as log:
        server = serve(env, args.workers, port, log)
        try:
            wait_up(port, server)
            tallies, acknowledged, cut, elapsed = run_load(
                port,
                url,
                args.duration,
                args.max_ops,
                args.threads,
                server.pid if kill else None,
                {"dir": scratch / "backup", "env": env} if kill else None,
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    log_text = log_path.read_text()
    problems = check_database(url, acknowledged, cut)
    checked, integrity_problems = check_integrity(url)
    problems += integrity_problems
    errors_5xx = sum(v for k, v in tallies.items() if re.search(r" 5\d\d$", k))
    alarm = "database is locked" if url.startswith("sqlite") else "deadlock detected"
    if errors_5xx:
        problems.append(f"{errors_5xx} responses 5xx")
    if log_text.count(alarm):
        problems.append(f"'{alarm}' {log_text.count(alarm)} times in the log")
    if kill:
        rows, (restored_checked, restored_problems) = restore_and_count(
            scratch / "backup", url, scratch, f"reemploi_load_{slug}_restored"
        )
        if restored_problems or rows == 0:
            problems.append(
                f"the backup taken during the load did not restore: {restored_problems}"
            )
        else:
            tallies["backup restored, listings"] = rows
            checked += f"; restored copy: {restored_checked}"
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
    print(f"   checked: {checked}")
    print(
        "   "
        + (
            f"OK: database matches, integrity ok, no 5xx, no '{alarm}'"
            if not problems
            else "PROBLEMS: " + "; ".join(problems)
        )
    )
    if not problems:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"   kept for inspection: {scratch}")
    return not problems


def prepare_postgres(url: str, published: int, closed: int, agents: int, services: int) -> str:
    """Migrate the empty database at url and build the data set in it; return url."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as db:
        if sa.inspect(db).get_table_names():
            raise SystemExit(f"{engine.url.database} is not empty: give a throwaway database.")
        version = db.scalar(sa.text("SHOW server_version"))
        durability = ", ".join(
            f"{name}={db.scalar(sa.text(f'SHOW {name}'))}"
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        )
    engine.dispose()
    print(f"PostgreSQL {version} ({durability})", flush=True)
    instance = Path(tempfile.mkdtemp(prefix="reemploi-load-base-"))
    env = env_with(instance, url)
    build_dataset(env, published, closed, agents, services)
    shutil.rmtree(instance, ignore_errors=True)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--published", type=int, default=5000)
    parser.add_argument("--closed", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=30, help="seconds per round (bound)")
    parser.add_argument("--max-ops", type=int, default=6000, help="requests per round (bound)")
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run on the empty PostgreSQL database named by TEST_DATABASE_URL",
    )
    args = parser.parse_args()
    if args.postgres:
        if not os.environ.get("TEST_DATABASE_URL"):
            parser.error("--postgres needs TEST_DATABASE_URL (see scripts/with-postgres.sh)")
        base = prepare_postgres(
            os.environ["TEST_DATABASE_URL"], args.published, args.closed, 200, 40
        )
    else:
        base = prepare(args.published, args.closed, 200, 40)
    ok = one_round("steady", "steady", base, args, kill=False)
    ok = (
        one_round("worker killed midway, backup during load", "killed", base, args, kill=True)
        and ok
    )
    print(json.dumps({"passed": ok, "database": "postgresql" if args.postgres else "sqlite"}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
