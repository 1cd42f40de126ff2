"""The audience of a newsletter: addresses, consent, preferences and unsubscribes.

This package never imports :mod:`digest`; whatever it needs from outside
(sending a mail, rendering a template) is handed to it.
"""
