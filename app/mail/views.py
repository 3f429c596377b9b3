"""Routes of the email feature: the moderators' outbox and, in development, every email."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..audit import record, snapshot
from ..extensions import db
from ..models import OutboxEmail, utcnow
from .forms import RetryForm
from .sending import mail_configured, send_outbox

bp = Blueprint("mail", __name__)
dev_bp = Blueprint("mail_dev", __name__)

WAITING = ("queued", "sending", "failed")
AUDITED = ("status", "attempts", "next_attempt_at", "last_error")


def _require_moderator() -> None:
    if not current_user.is_moderator:
        abort(403)


@bp.route("/moderation/courriels")
@login_required
def outbox():
    """Emails waiting to be sent or that failed, with a retry button."""
    _require_moderator()
    emails = (
        db.session.execute(
            db.select(OutboxEmail)
            .where(OutboxEmail.status.in_(WAITING))
            .order_by(OutboxEmail.status == "failed", OutboxEmail.created_at.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )
    return render_template(
        "mail/outbox.html", emails=emails, form=RetryForm(), mail_configured=mail_configured()
    )


@bp.route("/moderation/courriels/<int:email_id>/renvoyer", methods=["POST"])
@login_required
def retry(email_id: int):
    """Try a queued or failed email again now, from the first attempt."""
    _require_moderator()
    email = db.get_or_404(OutboxEmail, email_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    if email.status not in ("queued", "failed"):
        flash(_("Ce courriel est déjà envoyé ou en cours d'envoi."), "info")
        return redirect(url_for("mail.outbox"))
    before = snapshot(email, AUDITED)
    email.status = "queued"
    email.attempts = 0
    email.next_attempt_at = utcnow()
    record("email.retry", email, before=before, after=snapshot(email, AUDITED))
    db.session.commit()
    if not mail_configured():
        flash(_("Aucun serveur d'envoi n'est configuré : le courriel reste en file."), "warning")
        return redirect(url_for("mail.outbox"))
    # The moderator asked for this email: send it now and say how it went.
    report = send_outbox([email_id])
    if report.sent:
        flash(_("Le courriel a été envoyé."), "success")
    elif report.failed:
        flash(_("Le serveur a refusé le courriel ; l'erreur est indiquée dans la liste."), "error")
    else:
        flash(
            _("Le serveur n'a pas répondu ; le courriel sera réessayé automatiquement."),
            "warning",
        )
    return redirect(url_for("mail.outbox"))


@dev_bp.route("/dev/courriels")
@login_required
def dev_outbox():
    """Every email of the outbox with its text (development only: no SMTP server needed)."""
    emails = (
        db.session.execute(
            db.select(OutboxEmail).order_by(OutboxEmail.created_at.desc()).limit(100)
        )
        .scalars()
        .all()
    )
    return render_template("mail/dev_outbox.html", emails=emails)
