"""digest: self-hosted email newsletter digests.

One package per stage, in the order data flows: ``config`` and ``store`` at the
bottom, then ``gather``, ``content`` and ``mail`` (independent of each other),
``pipeline`` (the use cases), and the faces ``web`` and ``cli``.  README.md's
Architecture section draws it; ``lint-imports`` checks it.
"""

__version__ = "0.1.0"
