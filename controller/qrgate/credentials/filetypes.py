"""The `type` field of each qrgate key file, so that a loader can tell them apart."""

TRUST_FILE_TYPE = "qrgate-trust"
REVOCATION_TYPE = "qrgate-revocations"
ROTATION_TYPE = "qrgate-rotation"
TRUST_UPDATE_TYPE = "qrgate-trust-update"
