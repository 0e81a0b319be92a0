"""E-mail: password reset and address verification by mail, sent over SMTP (aiosmtplib) off the
request (integration.py wires it). Importing the package loads nothing: its settings class is
read wherever settings are built, before any environment is known."""
