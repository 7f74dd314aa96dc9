"""What both readers of the board's data (`StoreReader`, `TableReader`) say about per-item rows."""

from __future__ import annotations

import threading


class ItemSignatures:
    """Per-record change signatures of the items, by record key, read under the reader's lock.

    A reader sets ``_lock`` and replaces ``_item_sigs`` whole on refresh; the board compares
    signatures to know which records' items changed (paper records have no items).
    """

    _lock: threading.RLock
    _item_sigs: dict[str, str]

    def item_keys(self) -> set[str]:
        """Keys of records that have per-item rows (paper records have none)."""
        with self._lock:
            return set(self._item_sigs)

    def item_signatures(self) -> dict[str, str]:
        """Change signature of each record's items, by key (a file signature or the items' SHA-256)."""
        with self._lock:
            return dict(self._item_sigs)
