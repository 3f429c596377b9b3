"""Demonstration data: two organisations, their services, sites, categories, agents and listings."""

from __future__ import annotations

import io
import random
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont

from .extensions import db
from .models import (
    Category,
    ContactRequest,
    Listing,
    Organisation,
    Photo,
    Service,
    Site,
    User,
    utcnow,
)
from .photos import store_photo

DEMO_PASSWORD = "reemploi-demo"  # noqa: S105 -- the published demo sign-in

ORGANISATIONS = {
    "agglo": ("Communauté d'agglomération", "Agglo"),
    "ville": ("Ville", "Ville"),
}

SERVICES = {
    "agglo": [
        "Déchets et économie circulaire",
        "Logistique",
        "Magasin général",
        "Communication",
        "Numérique",
        "Ressources humaines",
        "Finances",
        "Médiathèque",
        "Piscine communautaire",
    ],
    "ville": [
        "Écoles",
        "Espaces verts",
        "Sports",
        "État civil",
        "Culture et festivités",
        "Centre technique municipal",
    ],
}

SITES = [
    ("Hôtel d'agglomération", "78 boulevard Blossac"),
    ("Hôtel de ville", "Place Émile-Zola"),
    ("Centre technique municipal", "Rue des Ateliers"),
    ("Médiathèque", "Rue Gaudeau-Lerpinière"),
    ("Magasin général", "Zone d'activités Nord"),
]

ADEME = "ADEME Base Carbone « Mobilier »"
FIRA = "FIRA, données mobilier de bureau"
WRAP = "WRAP : 0,51 t CO2e évitée par tonne réemployée (par défaut)"

# name, unit weight kg, CO2e kg per unit, source
CATEGORIES = [
    ("Chaises", "9.6", "25", f"{ADEME} : chaise en bois 9,6 kg / 25 kg CO2e"),
    (
        "Fauteuils de bureau",
        "15",
        "72",
        f"{FIRA} : siège de travail 72 kg CO2e ; poids moyen 15 kg",
    ),
    ("Tables", "34", "96", f"{ADEME} : table 4 places 34 kg / 96 kg CO2e"),
    ("Bureaux", "40", "90", f"{FIRA} : bureau droit, estimation 40 kg / 90 kg CO2e"),
    ("Caissons et rangements", "25", "36", f"{FIRA} : caisson 28–44 kg CO2e ; poids moyen 25 kg"),
    ("Armoires", "45", "40", f"{FIRA} : armoire 31–50 kg CO2e ; poids moyen 45 kg"),
    ("Canapés", "43", "180", f"{ADEME} : canapé textile 43 kg / 180 kg CO2e"),
    ("Fournitures de bureau", "1", "0.51", WRAP),
    ("Petit électroménager", "3", "1.53", WRAP),
    ("Décoration et signalétique", "2", "1.02", WRAP),
    ("Matériel de puériculture et jeux", "5", "2.55", WRAP),
    ("Outillage et entretien", "4", "2.04", WRAP),
]

AGENTS = [
    ("claire.martin@agglo.example", "Claire Martin", "agglo", "Communication", "05 49 00 00 01"),
    ("karim.benali@ville.example", "Karim Benali", "ville", "Écoles", "05 49 00 00 02"),
    ("sophie.durand@agglo.example", "Sophie Durand", "agglo", "Médiathèque", "05 49 00 00 03"),
    ("julien.petit@ville.example", "Julien Petit", "ville", "Espaces verts", "05 49 00 00 04"),
    ("nadia.roux@agglo.example", "Nadia Roux", "agglo", "Ressources humaines", "05 49 00 00 05"),
]
MODERATOR = (
    "moderation@agglo.example",
    "Hélène Moreau",
    "agglo",
    "Déchets et économie circulaire",
    "05 49 00 00 10",
)

# title, category, quantity, condition, value, status, poster index, site index, description
LISTINGS = [
    (
        "Chaises visiteurs empilables",
        "Chaises",
        12,
        "good",
        "240",
        "published",
        0,
        0,
        "Chaises grises à piètement chromé, empilables par 6. Quelques traces d'usage.",
    ),
    (
        "Bureau droit 160 cm avec retour",
        "Bureaux",
        1,
        "good",
        "180",
        "published",
        1,
        1,
        "Plateau hêtre clair, pieds métal. Démontable, à récupérer au 2e étage.",
    ),
    (
        "Armoire haute à rideaux",
        "Armoires",
        2,
        "used",
        "150",
        "published",
        2,
        3,
        "Armoires à rideaux avec clés, 198 × 120 cm. Un rideau coulisse un peu dur.",
    ),
    (
        "Ramettes de papier A4 recyclé",
        "Fournitures de bureau",
        30,
        "new",
        "105",
        "published",
        3,
        2,
        "Cartons entamés, papier 80 g. Idéal pour les écoles ou les accueils.",
    ),
    (
        "Fauteuil de bureau ergonomique",
        "Fauteuils de bureau",
        3,
        "good",
        "270",
        "reserved",
        4,
        0,
        "Fauteuils à accoudoirs réglables, assise tissu bleu.",
    ),
    (
        "Table ronde de réunion",
        "Tables",
        1,
        "good",
        "120",
        "published",
        0,
        0,
        "Diamètre 120 cm, 4 à 5 places.",
    ),
    (
        "Caissons mobiles 3 tiroirs",
        "Caissons et rangements",
        6,
        "used",
        "90",
        "published",
        1,
        1,
        "Caissons sur roulettes, clés disponibles pour quatre d'entre eux.",
    ),
    (
        "Canapé d'accueil deux places",
        "Canapés",
        1,
        "good",
        "200",
        "pending",
        2,
        3,
        "Canapé en tissu anthracite, pour un espace d'attente.",
    ),
    (
        "Bouilloire et cafetière",
        "Petit électroménager",
        2,
        "used",
        "25",
        "pending",
        3,
        2,
        "Pour une salle de pause. Fonctionnent parfaitement.",
    ),
    (
        "Panneaux de signalétique anciens",
        "Décoration et signalétique",
        8,
        "to_repair",
        "0",
        "rejected",
        4,
        4,
        "Panneaux aluminium à reprendre.",
    ),
    (
        "Tapis de jeux pour petite enfance",
        "Matériel de puériculture et jeux",
        4,
        "good",
        "60",
        "closed",
        1,
        1,
        "Tapis en mousse lavables.",
    ),
    (
        "Étagères métalliques",
        "Caissons et rangements",
        5,
        "good",
        "150",
        "published",
        3,
        4,
        "Étagères galvanisées 5 niveaux, démontées, visserie fournie.",
    ),
]

COLORS = [(0, 102, 94), (29, 79, 145), (122, 77, 0), (120, 40, 90), (60, 90, 30), (90, 90, 90)]


def _caption_font(title: str):
    """A font that has the accents when the system offers one, else the caption without them."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", 30), title
    except OSError:
        folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        return ImageFont.load_default(size=30), folded


def _demo_image(title: str, index: int) -> bytes:
    """A simple drawn picture standing in for a photo of the item."""
    rng = random.Random(index)
    color = COLORS[index % len(COLORS)]
    image = Image.new("RGB", (800, 600), (236, 239, 241))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x0, y0 = rng.randint(80, 380), rng.randint(120, 300)
        draw.rounded_rectangle(
            (x0, y0, x0 + rng.randint(180, 320), y0 + rng.randint(120, 220)), 18, fill=color
        )
    draw.rectangle((0, 520, 800, 600), fill=(255, 255, 255))
    font, caption = _caption_font(title[:48])
    draw.text((24, 540), caption, fill=(27, 31, 35), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed_demo() -> bool:
    """Create the demonstration data unless it is already there; return True if created."""
    already = db.session.execute(
        db.select(User.id).where(User.email == MODERATOR[0])
    ).scalar_one_or_none()
    if already is not None:
        return False

    orgs = {
        key: Organisation(name=name, short_name=short)
        for key, (name, short) in ORGANISATIONS.items()
    }
    db.session.add_all(orgs.values())
    services = {}
    for key, names in SERVICES.items():
        for name in names:
            services[(key, name)] = Service(name=name, organisation=orgs[key])
    db.session.add_all(services.values())
    sites = [Site(name=name, address=address) for name, address in SITES]
    db.session.add_all(sites)
    categories = {
        name: Category(
            name=name,
            default_unit_weight_kg=Decimal(weight),
            co2e_kg_per_unit=Decimal(co2e),
            source_note=source,
        )
        for name, weight, co2e, source in CATEGORIES
    }
    db.session.add_all(categories.values())

    def make_user(row, moderator=False):
        email, name, org, service, phone = row
        user = User(
            email=email,
            name=name,
            phone=phone,
            service=services[(org, service)],
            is_moderator=moderator,
        )
        user.set_password(DEMO_PASSWORD)
        return user

    agents = [make_user(row) for row in AGENTS]
    moderator = make_user(MODERATOR, moderator=True)
    db.session.add_all([*agents, moderator])
    db.session.flush()

    now = utcnow()
    closed = []
    for index, (
        title,
        category,
        qty,
        condition,
        value,
        status,
        poster_i,
        site_i,
        description,
    ) in enumerate(LISTINGS):
        poster = agents[poster_i]
        created = now - timedelta(days=len(LISTINGS) - index, hours=index)
        listing = Listing(
            title=title,
            description=description,
            category=categories[category],
            quantity=qty,
            quantity_left=0 if status == "closed" else qty,
            condition=condition,
            estimated_value=Decimal(value),
            site=sites[site_i],
            location_detail="Accueil, demander le gardien" if index % 3 == 0 else "",
            available_from=date.today() + timedelta(days=(index % 4) * 3),
            poster=poster,
            poster_service=poster.service,
            status=status,
            professional_use_confirmed=True,
            created_at=created,
        )
        if status in ("published", "reserved", "closed"):
            listing.published_at = created + timedelta(hours=2)
        if status == "rejected":
            listing.rejection_reason = (
                "Photo manquante : ajoutez une photo des panneaux puis renvoyez l'annonce."
            )
        if status == "reserved":
            listing.reserved_for = agents[(poster_i + 1) % len(agents)]
            listing.reserved_at = now - timedelta(hours=5)
        if status == "closed":
            listing.closed_at = now - timedelta(days=1)
            listing.closure_reason = "exchanged"
            listing.closure_detail = ""
        stored = store_photo(_demo_image(title, index))
        listing.photos.append(
            Photo(
                stored_name=stored.stored_name,
                width=stored.width,
                height=stored.height,
                position=0,
                uploaded_by_id=poster.id,
            )
        )
        db.session.add(listing)
        if status == "closed":
            closed.append(listing)
        if status == "reserved":
            db.session.add(
                ContactRequest(
                    listing=listing,
                    requester=listing.reserved_for,
                    message="Bonjour, ces fauteuils iraient très bien à notre accueil.",
                    created_at=now - timedelta(hours=6),
                )
            )
    db.session.commit()
    _record_demo_transfers(closed, services[("ville", "Sports")])
    return True


def _record_demo_transfers(closed: list[Listing], receiving: Service) -> None:
    from .models import Transfer

    for listing in closed:
        db.session.add(
            Transfer(
                listing_id=listing.id,
                quantity=listing.quantity,
                receiving_service_id=receiving.id,
                value_share=listing.estimated_value,
                weight_share_kg=listing.effective_weight_kg,
                co2e_share_kg=listing.category.co2e_kg_per_unit * listing.quantity,
                at=listing.closed_at,
            )
        )
    db.session.commit()
