"""Who may pass: decide() (pure), the site's rules as data, opening hours, health rules,
what decide() needs from the ledger, the [policy] config table and every reason code.
"""
