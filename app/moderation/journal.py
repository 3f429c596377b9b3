"""The journal as moderators read it, and the net that journals every listing status change.

Features record their own actions with `app.audit.record`. So that no status change of a listing
goes unrecorded, whoever makes it, the session notes every change of `Listing.status`; at commit,
a change that no journal entry of the same transaction describes gets a `listing.status_changed`
entry of its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AuditEvent, Listing, User
from .actions import status_label

ACTION_LABELS = {
    "listing.approved": _l("Annonce approuvée"),
    "listing.rejected": _l("Annonce refusée"),
    "listing.corrected": _l("Annonce corrigée"),
    "listing.unpublished": _l("Annonce dépubliée"),
    "listing.transferred": _l("Annonce transférée"),
    "listing.status_changed": _l("Statut d'annonce modifié"),
    "listing.submitted": _l("Annonce déposée"),
    "listing.resubmitted": _l("Annonce renvoyée en modération"),
    "listing.edited": _l("Annonce modifiée"),
    "listing.closed": _l("Annonce clôturée"),
    "listing.partially_exchanged": _l("Annonce échangée en partie"),
    "transfer.created": _l("Échange enregistré"),
    "transfer.weight_corrected": _l("Poids d'un échange corrigé"),
    "weight_report.validated": _l("Bilan semestriel validé"),
    "listing.reserved": _l("Annonce réservée"),
    "category.created": _l("Catégorie créée"),
    "category.updated": _l("Catégorie modifiée"),
    "category.deactivated": _l("Catégorie désactivée"),
    "category.deleted": _l("Catégorie supprimée"),
    "organisation.created": _l("Collectivité créée"),
    "organisation.updated": _l("Collectivité modifiée"),
    "organisation.deactivated": _l("Collectivité désactivée"),
    "organisation.deleted": _l("Collectivité supprimée"),
    "service.created": _l("Service créé"),
    "service.updated": _l("Service modifié"),
    "service.deactivated": _l("Service désactivé"),
    "service.deleted": _l("Service supprimé"),
    "services.imported": _l("Services importés"),
    "site.created": _l("Site créé"),
    "site.updated": _l("Site modifié"),
    "site.deactivated": _l("Site désactivé"),
    "site.deleted": _l("Site supprimé"),
    "user.activated": _l("Compte réactivé"),
    "user.deactivated": _l("Compte désactivé"),
    "user.moderator_granted": _l("Rôle de modérateur donné"),
    "user.moderator_revoked": _l("Rôle de modérateur retiré"),
    "digest.sent": _l("Récapitulatif envoyé aux modérateurs"),
}

FIELD_LABELS = {
    "status": _l("statut"),
    "title": _l("titre"),
    "description": _l("description"),
    "quantity": _l("quantité"),
    "quantity_left": _l("quantité restante"),
    "condition": _l("état"),
    "site_id": _l("n° de site"),
    "location_detail": _l("emplacement"),
    "available_from": _l("disponible le"),
    "closure_reason": _l("motif de clôture"),
    "closure_detail": _l("précision de clôture"),
    "closed_at": _l("clôturée le"),
    "discard_destination": _l("destination (jeté)"),
    "transfer_id": _l("n° d'échange"),
    "receiving_service_id": _l("n° du service receveur"),
    "receiving_user_id": _l("n° de l'agent receveur"),
    "value_share": _l("valeur échangée (€)"),
    "weight_share_kg": _l("poids échangé (kg)"),
    "co2e_share_kg": _l("CO2e évité (kg)"),
    "period": _l("période"),
    "item_count": _l("objets"),
    "total_value": _l("valeur totale (€)"),
    "total_weight_kg": _l("poids total (kg)"),
    "total_co2e_kg": _l("CO2e total (kg)"),
    "published_at": _l("mise en ligne"),
    "rejection_reason": _l("motif du refus"),
    "reason_code": _l("code du motif"),
    "category_id": _l("n° de catégorie"),
    "category": _l("catégorie"),
    "estimated_value": _l("valeur (€)"),
    "weight_kg": _l("poids (kg)"),
    "reserved_for_id": _l("réservée pour (n°)"),
    "poster_id": _l("n° du déposant"),
    "poster": _l("déposant"),
    "name": _l("nom"),
    "short_name": _l("nom court"),
    "address": _l("adresse"),
    "organisation_id": _l("n° de collectivité"),
    "default_unit_weight_kg": _l("poids unitaire (kg)"),
    "co2e_kg_per_unit": _l("CO2e par unité (kg)"),
    "source_note": _l("source"),
    "active": _l("actif"),
    "is_moderator": _l("modérateur"),
    "listing_ids": _l("annonces"),
    "to": _l("destinataires"),
    "organisations_created": _l("collectivités créées"),
    "services_created": _l("services créés"),
    "already_present": _l("déjà présents"),
    "services": _l("services"),
}

OBJECT_LABELS = {
    "listing": _l("Annonce"),
    "user_account": _l("Compte"),
    "category": _l("Catégorie"),
    "organisation": _l("Collectivité"),
    "service": _l("Service"),
    "site": _l("Site"),
    "digest": _l("Récapitulatif"),
    "transfer": _l("Échange"),
    "weight_report": _l("Bilan semestriel"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def _display(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name == "status":
        return status_label(value)
    if isinstance(value, bool):
        return str(_l("oui")) if value else str(_l("non"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def changes(event_: AuditEvent) -> list[tuple[str, str, str]]:
    """(field, before, after) rows of a journal entry, in French, for display."""
    before = event_.before if isinstance(event_.before, dict) else {}
    after = event_.after if isinstance(event_.after, dict) else {}
    names = list(dict.fromkeys([*before, *after]))
    return [
        (
            str(FIELD_LABELS.get(name, name)),
            _display(name, before.get(name)) if name in before else "",
            _display(name, after.get(name)) if name in after else "",
        )
        for name in names
    ]


def journal_query(*, person: str = "", listing_id: int | None = None, date_from=None, date_to=None):
    """Journal entries, newest first, filtered by who acted, which listing, and when."""
    statement = db.select(AuditEvent).options(selectinload(AuditEvent.actor))
    if person:
        pattern = f"%{person.strip().lower()}%"
        actors = db.select(User.id).where(
            db.or_(db.func.lower(User.name).like(pattern), db.func.lower(User.email).like(pattern))
        )
        statement = statement.where(AuditEvent.actor_id.in_(actors))
    if listing_id is not None:
        statement = statement.where(
            AuditEvent.object_type == "listing", AuditEvent.object_id == listing_id
        )
    if date_from is not None:
        statement = statement.where(AuditEvent.at >= local_midnight(date_from))
    if date_to is not None:
        statement = statement.where(AuditEvent.at < local_midnight(date_to + timedelta(days=1)))
    return statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def local_midnight(day: date) -> datetime:
    """The start of a day in the installation's time zone, in UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# --- The net under every listing status change ------------------------------------------------

_CHANGES = "reemploi_listing_status_changes"
_JOURNALED = "reemploi_journaled_listings"


@event.listens_for(db.session, "before_flush")
def _note_status_changes(session, _flush_context, _instances):
    changes_ = session.info.setdefault(_CHANGES, {})
    journaled = session.info.setdefault(_JOURNALED, set())
    for obj in session.new:
        if isinstance(obj, AuditEvent) and obj.object_type == "listing":
            journaled.add(obj.object_id)
    for obj in session.dirty:
        if not isinstance(obj, Listing) or obj.id is None:
            continue
        history = inspect(obj).attrs.status.history
        if history.has_changes():
            previous = history.deleted[0] if history.deleted else None
            first = changes_.get(obj.id, (previous, None))[0]
            changes_[obj.id] = (first, obj.status)


@event.listens_for(db.session, "before_commit")
def _journal_unrecorded_status_changes(session):
    session.flush()  # notes the changes made since the last flush
    noted = session.info.pop(_CHANGES, {})
    journaled = session.info.pop(_JOURNALED, set())
    unrecorded = [
        (listing_id, previous, status)
        for listing_id, (previous, status) in noted.items()
        if listing_id not in journaled and previous != status
    ]
    if not unrecorded:
        return
    actor_id = None
    if has_request_context() and current_user and current_user.is_authenticated:
        actor_id = current_user.id
    for listing_id, previous, status in unrecorded:
        session.add(
            AuditEvent(
                actor_id=actor_id,
                action="listing.status_changed",
                object_type="listing",
                object_id=listing_id,
                before={"status": previous},
                after={"status": status},
            )
        )


@event.listens_for(db.session, "after_rollback")
def _forget_status_changes(session):
    session.info.pop(_CHANGES, None)
    session.info.pop(_JOURNALED, None)
