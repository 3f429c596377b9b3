"""Reference data screens: categories, organisations and their services (with the CSV import),
sites. An item in use is deactivated, never deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import EmptyForm, select_choices
from ..models import Category, Listing, Organisation, Service, Site, User
from . import reference
from .actions import ModerationError
from .forms import (
    CategoryForm,
    ImportServicesForm,
    OrganisationForm,
    ServiceForm,
    SiteForm,
)
from .imports import import_services
from .views import bp, form_status


@dataclass(frozen=True)
class Kind:
    """One kind of reference data, as its screens need it."""

    model: type
    form: type
    endpoint: str  # the edit endpoint; the retire endpoint adds "_retire"
    list_endpoint: str
    title_new: Any
    title_edit: Any
    name_taken: Any
    scope: tuple[str, ...] = ()
    hints: dict = field(default_factory=dict)


CATEGORY = Kind(
    Category,
    CategoryForm,
    "moderation.category",
    "moderation.categories",
    _l("Nouvelle catégorie"),
    _l("Catégorie « %(name)s »"),
    _l("Une catégorie porte déjà ce nom."),
    hints={
        "default_unit_weight_kg": _l(
            "Sert quand le déposant ne donne pas le poids : poids × quantité."
        ),
        "co2e_kg_per_unit": _l(
            "Émissions évitées quand une unité est réemployée plutôt qu'achetée neuve."
        ),
        "source_note": _l(
            "Par exemple : ADEME Base Carbone « Mobilier » : chaise en bois 9,6 kg / 25 kg CO2e. "
            "Sans donnée propre, WRAP : 0,51 t CO2e évitée par tonne réemployée."
        ),
        "active": _l("Décochez pour ne plus la proposer aux agents qui déposent une annonce."),
    },
)
ORGANISATION = Kind(
    Organisation,
    OrganisationForm,
    "moderation.organisation",
    "moderation.services",
    _l("Nouvelle collectivité"),
    _l("Collectivité « %(name)s »"),
    _l("Une collectivité porte déjà ce nom."),
    hints={"short_name": _l("Par exemple « Agglo » ou « Ville », pour les listes.")},
)
SERVICE = Kind(
    Service,
    ServiceForm,
    "moderation.service",
    "moderation.services",
    _l("Nouveau service"),
    _l("Service « %(name)s »"),
    _l("Cette collectivité a déjà un service de ce nom."),
    scope=("organisation_id",),
    hints={"active": _l("Décochez pour ne plus le proposer aux agents.")},
)
SITE = Kind(
    Site,
    SiteForm,
    "moderation.site",
    "moderation.sites",
    _l("Nouveau site"),
    _l("Site « %(name)s »"),
    _l("Un site porte déjà ce nom."),
    hints={"address": _l("Pour que l'agent intéressé trouve où voir et récupérer l'objet.")},
)


def _organisation_choices(current_id: int | None) -> list[tuple[int, str]]:
    organisations = (
        db.session.execute(
            db.select(Organisation)
            .where(db.or_(Organisation.active.is_(True), Organisation.id == current_id))
            .order_by(Organisation.name)
        )
        .scalars()
        .all()
    )
    return select_choices(
        [(0, _("— Choisissez la collectivité —"))] + [(o.id, o.name) for o in organisations]
    )


def _edit(kind: Kind, obj=None):
    """Show and save the form of one item (new when obj is None)."""
    form = kind.form(obj=obj)
    if kind is SERVICE:
        form.organisation_id.choices = _organisation_choices(obj.organisation_id if obj else None)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in reference.FIELDS[kind.model]}
        scope = {column: values[column] for column in kind.scope}
        if reference.name_taken(
            kind.model, values["name"], exclude_id=obj.id if obj else None, **scope
        ):
            form.name.errors.append(str(kind.name_taken))
        else:
            target = obj if obj is not None else kind.model()
            try:
                changed = reference.save(target, values, current_user)
                db.session.commit()
            except IntegrityError:  # the same name saved by someone else a moment ago
                db.session.rollback()
                form.name.errors.append(str(kind.name_taken))
            else:
                if changed:
                    flash(_("« %(name)s » enregistré(e).", name=target.name), "success")
                return redirect(url_for(kind.list_endpoint))
    db.session.rollback()
    usage = reference.usage_count(obj) if obj is not None else 0
    return (
        render_template(
            "moderation/reference/form.html",
            form=form,
            kind=kind,
            obj=obj,
            usage=usage,
            retire_form=EmptyForm(formdata=None),
        ),
        form_status(form),
    )


def _retire(kind: Kind, obj):
    """Delete an unused item, deactivate one in use."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = obj.name
    try:
        outcome = reference.retire(obj, current_user)
        db.session.commit()
    except ModerationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        if outcome == "deleted":
            flash(_("« %(name)s » supprimé(e) : rien n'y faisait référence.", name=name), "success")
        else:
            flash(
                _(
                    "« %(name)s » est utilisé(e) : désactivé(e) plutôt que supprimé(e), "
                    "l'historique reste complet.",
                    name=name,
                ),
                "success",
            )
    return redirect(url_for(kind.list_endpoint))


def _usage_by(column) -> dict[int, int]:
    rows = db.session.execute(db.select(column, db.func.count()).group_by(column)).all()
    return {key: number for key, number in rows if key is not None}


# --- Categories -------------------------------------------------------------------------------


@bp.route("/categories")
def categories():
    """Categories with their default weight, CO2e factor and sources."""
    items = db.session.execute(db.select(Category).order_by(Category.name)).scalars().all()
    return render_template(
        "moderation/reference/categories.html",
        items=items,
        usage=_usage_by(Listing.category_id),
        retire_form=EmptyForm(formdata=None),
    )


@bp.route("/categories/nouvelle", methods=["GET", "POST"])
def category_new():
    """Add a category."""
    return _edit(CATEGORY)


@bp.route("/categories/<int:item_id>", methods=["GET", "POST"])
def category(item_id: int):
    """Change a category."""
    return _edit(CATEGORY, db.get_or_404(Category, item_id))


@bp.route("/categories/<int:item_id>/retirer", methods=["POST"])
def category_retire(item_id: int):
    """Delete an unused category, deactivate one in use."""
    return _retire(CATEGORY, db.get_or_404(Category, item_id))


# --- Organisations and services -------------------------------------------------------------


@bp.route("/services")
def services():
    """Organisations and their services."""
    organisations = (
        db.session.execute(
            db.select(Organisation)
            .options(selectinload(Organisation.services))
            .order_by(Organisation.name)
        )
        .scalars()
        .all()
    )
    return render_template(
        "moderation/reference/services.html",
        organisations=organisations,
        users=_usage_by(User.service_id),
        retire_form=EmptyForm(formdata=None),
    )


@bp.route("/collectivites/nouvelle", methods=["GET", "POST"])
def organisation_new():
    """Add an organisation."""
    return _edit(ORGANISATION)


@bp.route("/collectivites/<int:item_id>", methods=["GET", "POST"])
def organisation(item_id: int):
    """Change an organisation."""
    return _edit(ORGANISATION, db.get_or_404(Organisation, item_id))


@bp.route("/collectivites/<int:item_id>/retirer", methods=["POST"])
def organisation_retire(item_id: int):
    """Delete an organisation without services, deactivate one with services."""
    return _retire(ORGANISATION, db.get_or_404(Organisation, item_id))


@bp.route("/services/nouveau", methods=["GET", "POST"])
def service_new():
    """Add a service."""
    return _edit(SERVICE)


@bp.route("/services/<int:item_id>", methods=["GET", "POST"])
def service(item_id: int):
    """Change a service."""
    return _edit(SERVICE, db.get_or_404(Service, item_id))


@bp.route("/services/<int:item_id>/retirer", methods=["POST"])
def service_retire(item_id: int):
    """Delete an unused service, deactivate one in use."""
    return _retire(SERVICE, db.get_or_404(Service, item_id))


@bp.route("/services/import", methods=["GET", "POST"])
def services_import():
    """Import organisations and services from a CSV file."""
    form = ImportServicesForm()
    errors: list[str] = []
    if form.validate_on_submit():
        result = import_services(form.file.data.read(), current_user)
        if result.ok:
            db.session.commit()
            flash(result.summary(), "success")
            return redirect(url_for(".services"))
        db.session.rollback()
        errors = result.errors
    status = 422 if form.is_submitted() else 200
    return render_template("moderation/reference/import.html", form=form, errors=errors), status


# --- Sites ------------------------------------------------------------------------------------


@bp.route("/sites")
def sites():
    """Buildings where items are seen and collected."""
    items = db.session.execute(db.select(Site).order_by(Site.name)).scalars().all()
    return render_template(
        "moderation/reference/sites.html",
        items=items,
        usage=_usage_by(Listing.site_id),
        retire_form=EmptyForm(formdata=None),
    )


@bp.route("/sites/nouveau", methods=["GET", "POST"])
def site_new():
    """Add a site."""
    return _edit(SITE)


@bp.route("/sites/<int:item_id>", methods=["GET", "POST"])
def site(item_id: int):
    """Change a site."""
    return _edit(SITE, db.get_or_404(Site, item_id))


@bp.route("/sites/<int:item_id>/retirer", methods=["POST"])
def site_retire(item_id: int):
    """Delete an unused site, deactivate one in use."""
    return _retire(SITE, db.get_or_404(Site, item_id))
