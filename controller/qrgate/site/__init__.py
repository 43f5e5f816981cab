"""One site, many gates: shared presence over MQTT, anti-entropy, capacity escrow, conflicts.

sync.py      SiteSync: an extension of the gate's MQTT reporter; live events, hellos, catch-up
topics.py    the sync topics, `<prefix>/<site>/sync/<gate>/{hello,events,req,batch}`
secret.py    the site secret's fingerprint; export and import for a new gate
escrow.py    capacity shares that keep caps while gates cannot talk (pure)
conflicts.py movements that broke a rule during a partition, found after healing (pure)
expiry.py    presence expiry and the daily reset (pure)
config.py    the [site.sync] settings
docs/site.md describes the design.
"""
