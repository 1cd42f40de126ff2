"""The ASGI app of ``digest serve``: the archive, the operator preview, and the audience's pages
(:mod:`subscribers.web`) mounted beside them, behind the Host check, the reading of
``Forwarded`` from trusted proxies (``proxies.py``) and the security headers.

Thin over :mod:`digest.pipeline`; it must not import :mod:`digest.cli`.
"""
