"""E-mail: the account mails (password reset, address verification; their rules are
app/services/account_mail_service.py's) composed from templates/ and sent over SMTP (aiosmtplib)
off the request (integration.py wires it). Importing the package loads nothing: its settings
class is read wherever settings are built, before any environment is known."""
