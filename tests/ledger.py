"""A small year of exchanges whose every figure is worked out by hand below.

Two organisations, four services, three categories; 2025, in Paris time (summer: UTC+2).

Categories: Chaises 9.6 kg / 25 kg CO2e per unit; Tables 34 / 96; Fournitures 1 / 0.51.

L1  Chaises ×20, 240.00 €, no weight (20 × 9.6 = 192 kg; CO2e 20 × 25 = 500), posted 10 May
    by Agglo/Communication:
      T1  5 → Ville/Écoles       15 June 10:00 Paris    60.00 €   48.000 kg  125.000 CO2e
      T2  7 → Agglo/Logistique   30 June 22:30 UTC = 1 July 00:30 Paris (second half-year!)
                                                         84.00 €   67.200 kg  175.000
      T3  8 → Ville/Sports (Sophie), 20 July, the last: takes the rest
                                                         96.00 €   76.800 kg  200.000
L2  Tables ×3, 100.00 €, declared 90 kg (CO2e 3 × 96 = 288), posted 1 June by Ville/Écoles:
      T4  1 → Agglo/Communication 20 June               33.33 €   30.000 kg   96.000
      T5  1 → Agglo/Communication 5 August              33.33 €   30.000 kg   96.000
      T6  1 → Ville/Sports        10 September, last    33.34 €   30.000 kg   96.000
L3  Fournitures ×10, 25.00 € (10 kg, CO2e 5.1), posted 10 June by Agglo/Communication:
      T7  4 → Ville/Écoles        25 June               10.00 €    4.000 kg    2.040
    then the 6 left thrown away (déchetterie) on 2 July.
L4  Chaises ×2, 30.00 €, posted 3 July by Ville/Écoles, closed "plus disponible".
L5  Tables ×1, 50.00 €, posted 1 August by Agglo/Communication, still online.
L6  Fournitures ×5, 5.00 €, posted 28 June by Ville/Écoles, still pending moderation.
L7  Chaises ×1, 12.00 €, posted 1 February by Agglo/Communication, rejected.

First half-year 2025: T1, T4, T7 = 103.33 €, 3 exchanges, 10 objects, 82.000 kg, 223.040 CO2e;
listings posted: L1, L2, L3, L6, L7 = 5 (exchanged 2, discarded 1, open 1, rejected 1).
Second half-year 2025: T2, T3, T5, T6 = 246.67 €, 4 exchanges, 17 objects, 204.000 kg,
567.000 CO2e; listings posted: L4, L5 = 2 (unavailable 1, open 1).
Year 2025: 350.00 € (= 240 + 100 + 10), 7 exchanges, 27 objects, 286.000 kg, 790.040 CO2e.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from app.closure.rules import close_listing
from app.extensions import db
from app.models import ContactRequest, Listing, Service, User


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Ledger:
    moderator: User
    claire: User
    karim: User
    sophie: User
    services: dict[str, Service]
    categories: dict
    listings: dict[str, int] = field(default_factory=dict)
    transfers: dict[str, int] = field(default_factory=dict)


def record_exchange(app, listing_id, service_id, quantity, at, *, actor_id, user_id=None):
    """Record an exchange through the real closing rules, then date it in the past."""
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        transfer = close_listing(
            listing,
            "exchanged",
            quantity=quantity,
            receiving_service=db.session.get(Service, service_id),
            receiving_user=db.session.get(User, user_id) if user_id else None,
            actor=db.session.get(User, actor_id),
        )
        transfer.at = at
        if listing.status == "closed":
            listing.closed_at = at
        db.session.commit()
        return transfer.id


def close_as(app, listing_id, reason, at, *, actor_id, **details):
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        close_listing(listing, reason, actor=db.session.get(User, actor_id), **details)
        listing.closed_at = at
        db.session.commit()


def build_ledger(app, make) -> Ledger:
    agglo = make.organisation(name="Communauté d'agglomération", short_name="Agglo")
    ville = make.organisation(name="Ville", short_name="Ville")
    services = {
        "communication": make.service(name="Communication", organisation=agglo),
        "logistique": make.service(name="Logistique", organisation=agglo),
        "ecoles": make.service(name="Écoles", organisation=ville),
        "sports": make.service(name="Sports", organisation=ville),
    }
    categories = {
        "chaises": make.category(name="Chaises", weight="9.6", co2e="25"),
        "tables": make.category(name="Tables", weight="34", co2e="96"),
        "fournitures": make.category(name="Fournitures", weight="1", co2e="0.51"),
    }
    site = make.site(name="Hôtel de ville")
    ledger = Ledger(
        moderator=make.moderator(email="moderation@example.org", service=services["logistique"]),
        claire=make.user(
            email="claire@example.org", name="Claire", service=services["communication"]
        ),
        karim=make.user(email="karim@example.org", name="Karim", service=services["ecoles"]),
        sophie=make.user(email="sophie@example.org", name="Sophie", service=services["sports"]),
        services=services,
        categories=categories,
    )

    def listing(key, poster, category, quantity, value, created, status="published", **kw):
        made = make.listing(
            poster=poster,
            status=status,
            title=f"Annonce {key}",
            category_id=categories[category].id,
            site_id=site.id,
            quantity=quantity,
            estimated_value=Decimal(value),
            created_at=created,
            **kw,
        )
        ledger.listings[key] = made.id
        return made.id

    c, k = ledger.claire, ledger.karim
    listing("L1", c, "chaises", 20, "240.00", utc(2025, 5, 10, 8))
    listing("L2", k, "tables", 3, "100.00", utc(2025, 6, 1, 8), weight_kg=Decimal("90"))
    listing("L3", c, "fournitures", 10, "25.00", utc(2025, 6, 10, 8))
    listing("L4", k, "chaises", 2, "30.00", utc(2025, 7, 3, 8))
    listing("L5", c, "tables", 1, "50.00", utc(2025, 8, 1, 8))
    listing("L6", k, "fournitures", 5, "5.00", utc(2025, 6, 28, 8), status="pending")
    listing("L7", c, "chaises", 1, "12.00", utc(2025, 2, 1, 8), status="rejected")
    with app.app_context():
        db.session.add(
            ContactRequest(listing_id=ledger.listings["L1"], requester_id=ledger.sophie.id)
        )
        db.session.commit()

    s, actor = services, ledger.claire.id
    ids = ledger.listings
    ledger.transfers["T1"] = record_exchange(
        app, ids["L1"], s["ecoles"].id, 5, utc(2025, 6, 15, 8), actor_id=actor
    )
    ledger.transfers["T2"] = record_exchange(
        app, ids["L1"], s["logistique"].id, 7, utc(2025, 6, 30, 22, 30), actor_id=actor
    )
    ledger.transfers["T3"] = record_exchange(
        app,
        ids["L1"],
        s["sports"].id,
        8,
        utc(2025, 7, 20, 9),
        actor_id=actor,
        user_id=ledger.sophie.id,
    )
    actor = ledger.karim.id
    ledger.transfers["T4"] = record_exchange(
        app, ids["L2"], s["communication"].id, 1, utc(2025, 6, 20, 9), actor_id=actor
    )
    ledger.transfers["T5"] = record_exchange(
        app, ids["L2"], s["communication"].id, 1, utc(2025, 8, 5, 9), actor_id=actor
    )
    ledger.transfers["T6"] = record_exchange(
        app, ids["L2"], s["sports"].id, 1, utc(2025, 9, 10, 9), actor_id=actor
    )
    ledger.transfers["T7"] = record_exchange(
        app, ids["L3"], s["ecoles"].id, 4, utc(2025, 6, 25, 9), actor_id=ledger.claire.id
    )
    close_as(
        app,
        ids["L3"],
        "discarded",
        utc(2025, 7, 2, 9),
        actor_id=ledger.claire.id,
        destination="waste_centre",
    )
    close_as(app, ids["L4"], "unavailable", utc(2025, 7, 10, 9), actor_id=ledger.karim.id)
    return ledger
