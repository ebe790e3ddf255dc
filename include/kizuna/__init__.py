"""Kizuna: an account-based marketing warehouse."""

__version__ = "0.1.0"
