"""An SMTP server, reached with smtplib.

Each message is a UTF-8 ``text/plain`` e-mail whose Message-ID is derived from the message key,
so the same key always yields the same Message-ID: a send retried after a lost answer shows up
at the recipient as the same message (and mail systems that de-duplicate by Message-ID drop it).

SMTP replies are translated by their class: 4xx is a temporary failure (Retryable), 5xx a
permanent one (Rejected), except that refused credentials and a server lacking a required
extension (STARTTLS, AUTH) are Misconfigured.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate

from lineclose.ports.errors import Misconfigured, PortError, Rejected, Retryable, Unconfirmed
from lineclose.ports.messaging import EmailMessage

logger = logging.getLogger(__name__)

SYSTEM = "smtp"


def message_id_for(key: str, sender: str) -> str:
    """The Message-ID for a key: a hash of the key at the sender's domain, in angle brackets."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "lineclose.invalid"
    return f"<{digest}.lineclose@{domain}>"


class SmtpEmail:
    """An EmailGateway that submits each message over its own SMTP session."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    def send(self, message: EmailMessage) -> str:
        """Submit the message and return its Message-ID (the same for every send of a key).

        Raises Retryable when the server cannot be reached, times out or answers 4xx; Rejected
        when it answers 5xx or the message cannot be built (say, a line break in the subject);
        Misconfigured when it refuses the credentials.
        """
        mime = self._build(message)
        message_id = str(mime["Message-ID"])
        smtp = self._open()
        try:
            refused = smtp.send_message(mime, from_addr=self._sender, to_addrs=[message.to])
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            # The message was on its way when the session broke: the server may have taken it.
            raise Unconfirmed(SYSTEM, f"no answer to the message: {type(exc).__name__}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _translate(exc) from None
        finally:
            _close(smtp)
        if refused:
            # Only reachable with several recipients; kept so no refusal passes silently.
            raise _from_refusals(refused)
        logger.info("smtp accepted e-mail key=%s message-id=%s", message.key, message_id)
        return message_id

    def ping(self) -> None:
        """Open a session (with STARTTLS and login when configured) and send NOOP."""
        smtp = self._open()
        try:
            code, reply = smtp.noop()
        except (smtplib.SMTPException, OSError) as exc:
            raise _translate(exc) from None
        finally:
            _close(smtp)
        if code >= 400:
            raise _from_code(code, reply, "NOOP")

    def _build(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        try:
            mime["From"] = self._sender
            mime["To"] = message.to
            mime["Subject"] = message.subject
            mime["Date"] = formatdate(localtime=False, usegmt=True)
            mime["Message-ID"] = message_id_for(message.key, self._sender)
            mime.set_content(message.body, charset="utf-8")
        except (ValueError, TypeError) as exc:
            raise Rejected(SYSTEM, f"cannot build the message: {exc}") from None
        return mime

    def _open(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise _translate(exc) from None
        try:
            smtp.ehlo()
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self._username is not None:
                smtp.login(self._username, self._password or "")
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise _translate(exc) from None
        return smtp


def _close(smtp: smtplib.SMTP) -> None:
    # QUIT is a courtesy: the message is already accepted (or refused) by now, so a server that
    # drops the line first must not turn a delivered message into an error.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _translate(exc: BaseException) -> PortError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        detail = f"credentials refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        return Misconfigured(SYSTEM, detail)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Misconfigured(SYSTEM, f"server lacks a required extension: {exc}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _from_refusals(exc.recipients)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _from_code(exc.smtp_code, exc.smtp_error, type(exc).__name__)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Retryable(SYSTEM, f"server closed the connection: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Misconfigured(SYSTEM, f"TLS certificate not trusted: {exc}")
    if isinstance(exc, TimeoutError):
        return Retryable(SYSTEM, "timed out")
    if isinstance(exc, OSError):
        return Retryable(SYSTEM, f"cannot reach the server: {type(exc).__name__}: {exc}")
    return Rejected(SYSTEM, f"{type(exc).__name__}: {exc}")


def _from_code(code: int, reply: bytes | str, what: str) -> PortError:
    detail = f"{what}: {code} {_text(reply)}"
    if 400 <= code < 500:
        return Retryable(SYSTEM, detail)
    if code == 530:
        # 530 is "authentication required": the server wants a login Lineclose did not give.
        return Misconfigured(SYSTEM, detail)
    if code < 0:
        # smtplib reports a connection that failed during the greeting as code -1.
        return Retryable(SYSTEM, detail)
    return Rejected(SYSTEM, detail)


def _from_refusals(refusals: dict[str, tuple[int, bytes]]) -> PortError:
    details = "; ".join(
        f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in refusals.items()
    )
    if any(400 <= code < 500 for code, _ in refusals.values()):
        return Retryable(SYSTEM, f"recipient deferred: {details}")
    return Rejected(SYSTEM, f"recipient refused: {details}")


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", errors="replace")
    return reply
