"""digest: self-hosted email newsletter digests."""

__version__ = "0.1.0"
