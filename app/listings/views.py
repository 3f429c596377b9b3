"""Routes of the listings feature."""

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Listing

bp = Blueprint("listings", __name__, url_prefix="/annonces")


@bp.route("/")
@login_required
def index():
    """Browse the listings that are online."""
    listings = (
        db.session.execute(
            db.select(Listing)
            .where(Listing.status.in_(("published", "reserved")))
            .options(
                selectinload(Listing.category),
                selectinload(Listing.site),
                selectinload(Listing.poster_service),
            )
            .order_by(Listing.published_at.desc(), Listing.id.desc())
            .limit(48)
        )
        .scalars()
        .all()
    )
    return render_template("listings/index.html", listings=listings)
