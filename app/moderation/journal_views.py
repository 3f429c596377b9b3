"""The journal screen: who did what, when, before and after; filtered and paginated."""

from __future__ import annotations

from flask import current_app, render_template, request

from ..extensions import db
from . import journal
from .forms import JournalFilterForm
from .views import bp, is_htmx, page_number


@bp.route("/journal")
def journal_page():
    """Every moderation and administration action and every listing status change."""
    form = JournalFilterForm(request.args)
    valid = form.validate()
    filters = {}
    if valid:
        filters = {
            "person": form.person.data or "",
            "listing_id": form.listing.data,
            "date_from": form.date_from.data,
            "date_to": form.date_to.data,
        }
    pagination = db.paginate(
        journal.journal_query(**filters),
        page=page_number(),
        per_page=current_app.config["MODERATION_PAGE_SIZE"],
        error_out=False,
    )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    context = {"form": form, "pagination": pagination, "journal": journal, "args": args}
    template = "moderation/journal.html"
    if is_htmx():
        template = "moderation/partials/_journal_results.html"
    return render_template(template, **context), 200 if valid or is_htmx() else 422
