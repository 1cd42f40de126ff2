"""The audience: sign-up with double opt-in, consent records, preferences, unsubscribe,
suppression and CSV import/export.  It never imports :mod:`digest`; what it needs from
outside (a mail sender, a template renderer) is passed in.
"""
