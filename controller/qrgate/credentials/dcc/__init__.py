"""EU digital COVID certificates (HC1): verification, COSE, signer trust, schemas, and test issuing.

Kept import-free, so that loading the signer trust does not load the verifier.
"""
