"""The data model: every table of the application, with its rules in the database too."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC and read back as aware UTC, on every database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


Money = sa.Numeric(12, 2, asdecimal=True)
Kilograms = sa.Numeric(12, 3, asdecimal=True)


def _enum_check(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)


class Organisation(db.Model):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)

    services: Mapped[list[Service]] = relationship(back_populates="organisation")

    def __str__(self) -> str:
        return self.name


class Service(db.Model):
    __tablename__ = "service"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name", name="uq_service_org_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship(back_populates="services")

    def __str__(self) -> str:
        return self.name


def choosable_services() -> list[sa.Row]:
    """The services an agent may pick (active, in an active organisation), with their
    organisation's name and short name: rows of (id, name, organisation, short_name)."""
    return db.session.execute(
        sa.select(Service.id, Service.name, Organisation.name, Organisation.short_name)
        .join(Organisation)
        .where(Service.active.is_(True), Organisation.active.is_(True))
        .order_by(Organisation.name, Service.name)
    ).all()


class Site(db.Model):
    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service.id"), index=True)
    is_moderator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    auth_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped[Service | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def needs_profile(self) -> bool:
        """True until the user has given a name and a service (first remote sign-in)."""
        return not self.name or self.service_id is None

    def get_id(self) -> str:
        """Return the session token, so that rotating it ends every open session."""
        return self.auth_token

    def rotate_auth_token(self) -> None:
        """End every session of this user, on sign-out or deactivation."""
        self.auth_token = secrets.token_urlsafe(32)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.name or self.email


class SignInAttempt(db.Model):
    """One sign-in try, counted across workers to slow down password guessing."""

    __tablename__ = "sign_in_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Category(db.Model):
    __tablename__ = "category"
    __table_args__ = (
        sa.CheckConstraint("default_unit_weight_kg >= 0", name="weight_non_negative"),
        sa.CheckConstraint("co2e_kg_per_unit >= 0", name="co2e_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    default_unit_weight_kg: Mapped[Decimal] = mapped_column(Kilograms, default=Decimal("0"))
    co2e_kg_per_unit: Mapped[Decimal] = mapped_column(Kilograms, default=Decimal("0"))
    source_note: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


LISTING_STATUSES = ("pending", "published", "reserved", "rejected", "closed")
CONDITIONS = ("new", "good", "used", "to_repair")
CLOSURE_REASONS = ("exchanged", "discarded", "unavailable")
DISCARD_DESTINATIONS = ("waste_centre", "recycling", "other")


def _posting_time(context) -> datetime:
    """A new listing goes to moderation when it is posted."""
    return context.get_current_parameters().get("created_at") or utcnow()


class Listing(db.Model):
    __tablename__ = "listing"
    __table_args__ = (
        _enum_check("status", LISTING_STATUSES, "status_known"),
        _enum_check("condition", CONDITIONS, "condition_known"),
        sa.CheckConstraint(
            "closure_reason IS NULL OR closure_reason IN ('exchanged', 'discarded', 'unavailable')",
            name="closure_reason_known",
        ),
        sa.CheckConstraint(
            "discard_destination IS NULL OR "
            "discard_destination IN ('waste_centre', 'recycling', 'other')",
            name="discard_destination_known",
        ),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint(
            "quantity_left >= 0 AND quantity_left <= quantity", name="quantity_left_in_range"
        ),
        sa.CheckConstraint("estimated_value >= 0", name="value_non_negative"),
        sa.CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_non_negative"),
        sa.Index("ix_listing_status_published_at", "status", "published_at"),
        # One per browse filter (created in migration 0002).
        sa.Index("ix_listing_status_category_id", "status", "category_id"),
        sa.Index("ix_listing_status_site_id", "status", "site_id"),
        sa.Index("ix_listing_status_poster_service_id", "status", "poster_service_id"),
        sa.Index("ix_listing_status_condition", "status", "condition"),
        sa.Index("ix_listing_status_available_from", "status", "available_from"),
        # The statistics read these columns alone: covering indexes spare the wide rows.
        sa.Index("ix_listing_stats_join", "id", "poster_service_id", "category_id"),
        sa.Index(
            "ix_listing_stats_posted",
            "created_at",
            "status",
            "closure_reason",
            "quantity",
            "estimated_value",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    quantity_left: Mapped[int] = mapped_column(default=1)
    condition: Mapped[str] = mapped_column(sa.String(16), default="good")
    estimated_value: Mapped[Decimal] = mapped_column(Money)
    weight_kg: Mapped[Decimal | None] = mapped_column(Kilograms)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    location_detail: Mapped[str] = mapped_column(sa.String(200), default="")
    available_from: Mapped[date | None] = mapped_column(sa.Date, index=True)
    poster_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    poster_service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    rejection_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    reserved_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When it last went to moderation (posted, resubmitted, edited back to moderation or
    # unpublished): the queue's order and age. Nullable only because SQLite cannot add a NOT
    # NULL column in place (0009); `waiting_since` falls back on created_at.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_posting_time)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closure_reason: Mapped[str | None] = mapped_column(sa.String(16))
    closure_detail: Mapped[str] = mapped_column(sa.String(500), default="")
    # Where a discarded item went (déchetterie, filière de recyclage, autre), when the poster says.
    discard_destination: Mapped[str | None] = mapped_column(sa.String(16))
    professional_use_confirmed: Mapped[bool] = mapped_column(default=False)

    category: Mapped[Category] = relationship()
    site: Mapped[Site] = relationship()
    poster: Mapped[User] = relationship(foreign_keys=[poster_id])
    poster_service: Mapped[Service] = relationship(foreign_keys=[poster_service_id])
    reserved_for: Mapped[User | None] = relationship(foreign_keys=[reserved_for_id])
    photos: Mapped[list[Photo]] = relationship(
        back_populates="listing", order_by="Photo.position", cascade="all, delete-orphan"
    )
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="listing", order_by="Transfer.at"
    )

    @property
    def is_visible_to_all(self) -> bool:
        return self.status in ("published", "reserved")

    @hybrid_property
    def waiting_since(self) -> datetime:
        """Since when it waits for moderation (rows loaded in bulk may lack submitted_at)."""
        return self.submitted_at or self.created_at

    @waiting_since.inplace.expression
    @classmethod
    def _waiting_since_expression(cls) -> sa.ColumnElement[datetime]:
        return sa.func.coalesce(cls.submitted_at, cls.created_at)

    @property
    def sent_back_to_moderation(self) -> bool:
        """Submitted again since it was posted (resubmitted, edited or unpublished)."""
        return self.submitted_at is not None and self.submitted_at > self.created_at

    @property
    def effective_weight_kg(self) -> Decimal:
        """The weight given by the poster, else the category's default times the quantity."""
        if self.weight_kg is not None:
            return self.weight_kg
        return self.category.default_unit_weight_kg * self.quantity


class Photo(db.Model):
    __tablename__ = "photo"
    __table_args__ = (sa.CheckConstraint("position >= 0", name="position_non_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL while the photo waits for its listing's form to be valid (kept across form errors).
    listing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listing.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing: Mapped[Listing | None] = relationship(back_populates="photos")


class ContactRequest(db.Model):
    __tablename__ = "contact_request"
    __table_args__ = (
        sa.UniqueConstraint("listing_id", "requester_id", name="uq_contact_listing_requester"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    message: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    listing: Mapped[Listing] = relationship()
    requester: Mapped[User] = relationship()


class Transfer(db.Model):
    """Part or all of a listing's quantity that went to a receiving service."""

    __tablename__ = "transfer"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("value_share >= 0", name="value_non_negative"),
        sa.CheckConstraint("weight_share_kg >= 0", name="weight_non_negative"),
        # Every figure of the statistics from the index alone (see 0008).
        sa.Index(
            "ix_transfer_stats",
            "at",
            "listing_id",
            "receiving_service_id",
            "quantity",
            "value_share",
            "weight_share_kg",
            "co2e_share_kg",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    receiving_service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"), index=True)
    receiving_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    value_share: Mapped[Decimal] = mapped_column(Money)
    weight_share_kg: Mapped[Decimal] = mapped_column(Kilograms)
    co2e_share_kg: Mapped[Decimal] = mapped_column(Kilograms, default=Decimal("0"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Set when a moderator corrected the estimated weight for the six-monthly report.
    weight_corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    listing: Mapped[Listing] = relationship(back_populates="transfers")
    receiving_service: Mapped[Service] = relationship()
    receiving_user: Mapped[User | None] = relationship(foreign_keys=[receiving_user_id])


OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")


class OutboxEmail(db.Model):
    """Every email, stored in the same transaction as its cause before it is sent."""

    __tablename__ = "outbox_email"
    __table_args__ = (
        _enum_check("status", OUTBOX_STATUSES, "status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_outbox_email_status_next_attempt_at", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(sa.Text)  # comma-separated addresses
    cc: Mapped[str] = mapped_column(sa.Text, default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text, default="")
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):
    """Who did what to which record, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class WeightReport(db.Model):
    """The frozen six-monthly estimate of the waste avoided."""

    __tablename__ = "weight_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(10), unique=True)  # "2026-S1"
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    item_count: Mapped[int] = mapped_column(default=0)
    total_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total_weight_kg: Mapped[Decimal] = mapped_column(Kilograms, default=Decimal("0"))
    total_co2e_kg: Mapped[Decimal] = mapped_column(Kilograms, default=Decimal("0"))
    snapshot: Mapped[dict | list | None] = mapped_column(sa.JSON)
    validated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    validated_by: Mapped[User | None] = relationship()


class ChangeCounter(db.Model):
    """Bumped by database triggers on every change to what the browse page shows."""

    __tablename__ = "change_counter"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0, server_default="0")
