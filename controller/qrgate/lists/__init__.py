"""Site lists (staff, patients, today's vaccination list): import, match at the gate, reconcile.

store.SiteLists keeps them in a small SQLite file beside the event log: per row the keyed hash
of the ID number (what the gate matches), keyed hashes of the normalised name and the birth
date (what reconciliation compares), and the row's name, birth date and phone sealed to the
staff terminal's key (seal.py), which the gate cannot open. csvfile reads a list as a facility
keeps it; reconcile compares a list with the identity codes the gate has seen.
"""

from .store import SiteLists, lists_path

__all__ = ["SiteLists", "lists_path"]
