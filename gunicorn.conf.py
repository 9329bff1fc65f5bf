"""Gunicorn's configuration (read from the working directory): the access log goes to stdout,
like the app's own lines, with session tokens redacted from its URLs."""

accesslog = "-"
logger_class = "salestio.gunicorn_logging.RedactingLogger"
