"""`flask reemploi send-mail`: the outbox worker, run by cron or a systemd timer."""

import click
from flask.cli import with_appcontext

from .sending import mail_configured, send_outbox


@click.command("send-mail")
@with_appcontext
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Nombre maximal de courriels par passage.",
)
def send_mail_command(limit: int) -> None:
    """Send the emails that are due; cron or a systemd timer runs it every 5 minutes."""
    if not mail_configured():
        raise click.ClickException(
            "MAIL_SERVER n'est pas configuré : les courriels restent dans la file."
        )
    report = send_outbox(limit=limit)
    if report.attempted:
        click.echo(
            f"{report.sent} envoyé(s), {report.retried} à réessayer plus tard, "
            f"{report.failed} en échec."
        )
    for line in report.errors:
        click.echo(line, err=True)
    if report.unreachable:
        raise click.ClickException(
            f"Serveur SMTP injoignable ({report.unreachable}) : les courriels restent en file."
        )
