"""Erasure (APPI / GDPR): a person who asks to be forgotten leaves every file and table.

:func:`erase` takes e-mail addresses, resolves them to the person's lead and contact
records (and the person key 名寄せ gave them), rewrites the delivered files and export
files without their rows, deletes their rows from every table of the warehouse (found
through ``information_schema``), and records the request without personal data: keyed
hashes (:mod:`kizuna.suppression`) and counts. The same hashes are the suppression list
the loader reads, so a later delivery of the person is excluded, not loaded again.
"""

from kizuna.erasure.run import ErasureReport, ErasureRequestError, erase, normalised_addresses

__all__ = ["ErasureReport", "ErasureRequestError", "erase", "normalised_addresses"]
