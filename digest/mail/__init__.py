"""Mail: rendering (Jinja -> MJML -> HTML, plus plain text), MIME messages, and the Sender
protocol with its SMTP implementation.  May import digest.records, digest.text, digest.config,
digest.errors and digest.resources; never digest.gather or digest.content.
"""
