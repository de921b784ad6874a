"""
The development mail backend (`make run`): prints each message as a person would read it.

Django's console backend prints the raw message, whose text parts are quoted-printable: a link
breaks across lines at "=" and "¡" shows as "=C2=A1". Here every text part is decoded, so the
address-confirmation link can be copied whole, and attachments are named rather than dumped.
"""

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date")


class EmailBackend(ConsoleEmailBackend):
    def write_message(self, message):
        msg = message.message()
        # Bcc never travels in the headers; shown here so a developer sees every recipient.
        headers = {name: msg[name] for name in HEADERS} | {"Bcc": ", ".join(message.bcc)}
        lines = [f"{name}: {value}" for name, value in headers.items() if value]
        attachments = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            if part.is_attachment() or part.get_content_maintype() != "text":
                size = len(part.get_payload(decode=True) or b"")
                name = part.get_filename() or "(no name)"
                attachments.append(f"  {name} ({part.get_content_type()}, {size} bytes)")
                continue
            lines += ["", f"--- {part.get_content_type()}", part.get_content().rstrip("\n")]
        if attachments:
            lines += ["", "--- attachments", *attachments]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
