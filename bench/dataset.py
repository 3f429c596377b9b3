"""Build a large data set for the benchmark and the load test, fast, through SQLAlchemy Core.

python -m bench.dataset --published 20000 --closed 100000 --agents 1000 --services 40
(uses the application's configured database; run `flask db upgrade` first)
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    Category,
    Listing,
    Organisation,
    Service,
    Site,
    Transfer,
    User,
)

PASSWORD = "bench-password"  # noqa: S105 -- throwaway benchmark accounts
WORDS = (
    "chaise bureau armoire étagère table caisson fauteuil lampe tableau casier vestiaire "
    "banc canapé ramettes classeurs enveloppes stylos patères rideau tapis jeux ballons "
    "bouilloire cafetière réfrigérateur micro-ondes panneau chevalet paravent pupitre"
).split()
ADJECTIVES = "gris bleu rouge noir blanc chêne hêtre métallique empilable réglable".split()


def build(published: int, closed: int, agents: int, services: int, seed: int = 7) -> dict:
    """Insert the data set into the current app's database; return what was created."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    conn = db.session.connection()
    orgs = [
        Organisation(name="Agglo (banc)", short_name="Agglo"),
        Organisation(name="Ville (banc)", short_name="Ville"),
    ]
    db.session.add_all(orgs)
    db.session.flush()
    service_rows = [
        Service(name=f"Service {i:02d}", organisation_id=orgs[i % 2].id) for i in range(services)
    ]
    sites = [Site(name=f"Site {i}", address=f"{i} rue du Banc") for i in range(8)]
    categories = [
        Category(
            name=f"Catégorie {i}",
            default_unit_weight_kg=Decimal(rng.randint(1, 50)),
            co2e_kg_per_unit=Decimal(rng.randint(1, 120)),
            source_note="Banc d'essai",
        )
        for i in range(12)
    ]
    db.session.add_all([*service_rows, *sites, *categories])
    db.session.flush()
    password_hash = generate_password_hash(PASSWORD)
    user_rows = [
        {
            "email": f"agent{i}@bench.example",
            "name": f"Agent {i}",
            "phone": "",
            "service_id": service_rows[i % services].id,
            "is_moderator": i == 0,
            "active": True,
            "password_hash": password_hash,
            "auth_token": f"bench-token-{i:06d}",
            "created_at": now,
        }
        for i in range(agents)
    ]
    conn.execute(sa.insert(User.__table__), user_rows)
    user_ids = [row.id for row in conn.execute(sa.select(User.id).order_by(User.id))]
    user_service = dict(conn.execute(sa.select(User.id, User.service_id)).all())

    def listing_rows(count: int, status: str, start: int):
        rows = []
        for i in range(count):
            poster = user_ids[(start + i) % len(user_ids)]
            created = now - timedelta(minutes=(start + i) * 7)
            quantity = rng.randint(1, 12)
            row = {
                "title": f"{rng.choice(WORDS).capitalize()} {rng.choice(ADJECTIVES)} n°{start + i}",
                "description": " ".join(rng.choice(WORDS) for _ in range(12)),
                "category_id": categories[(start + i) % len(categories)].id,
                "quantity": quantity,
                "quantity_left": quantity if status == "published" else 0,
                "condition": rng.choice(("new", "good", "used", "to_repair")),
                "estimated_value": Decimal(rng.randint(0, 50000)) / 100,
                "weight_kg": None,
                "site_id": sites[i % len(sites)].id,
                "location_detail": "",
                "available_from": date.today() + timedelta(days=rng.randint(-30, 30)),
                "poster_id": poster,
                "poster_service_id": user_service[poster],
                "status": status,
                "rejection_reason": "",
                "created_at": created,
                "updated_at": created,
                "published_at": (created + timedelta(hours=1)),
                "closed_at": (created + timedelta(days=3)) if status == "closed" else None,
                "closure_reason": rng.choice(("exchanged", "exchanged", "discarded", "unavailable"))
                if status == "closed"
                else None,
                "closure_detail": "",
                "professional_use_confirmed": True,
            }
            rows.append(row)
        return rows

    batch = 5000
    for status, total in (("published", published), ("closed", closed)):
        for start in range(0, total, batch):
            count = min(batch, total - start)
            offset = start + (published if status == "closed" else 0)
            conn.execute(sa.insert(Listing.__table__), listing_rows(count, status, offset))
    # Every exchanged listing gets its transfer, as closing would record it.
    exchanged = conn.execute(
        sa.select(
            Listing.id,
            Listing.quantity,
            Listing.estimated_value,
            Listing.closed_at,
            Listing.category_id,
            Listing.poster_service_id,
        ).where(Listing.closure_reason == "exchanged")
    ).all()
    weights = {c.id: (c.default_unit_weight_kg, c.co2e_kg_per_unit) for c in categories}
    transfer_rows = [
        {
            "listing_id": row.id,
            "quantity": row.quantity,
            "receiving_service_id": service_rows[(row.poster_service_id + 1) % services].id,
            "receiving_user_id": None,
            "value_share": row.estimated_value,
            "weight_share_kg": weights[row.category_id][0] * row.quantity,
            "co2e_share_kg": weights[row.category_id][1] * row.quantity,
            "at": row.closed_at,
            "recorded_by_id": None,
        }
        for row in exchanged
    ]
    for start in range(0, len(transfer_rows), batch):
        conn.execute(sa.insert(Transfer.__table__), transfer_rows[start : start + batch])
    db.session.commit()
    return {
        "published": published,
        "closed": closed,
        "agents": agents,
        "services": services,
        "transfers": len(transfer_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--published", type=int, default=20000)
    parser.add_argument("--closed", type=int, default=100000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--services", type=int, default=40)
    args = parser.parse_args()
    from app import create_app

    app = create_app()
    with app.app_context():
        print(build(args.published, args.closed, args.agents, args.services))


if __name__ == "__main__":
    main()
