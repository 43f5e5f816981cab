"""From camera frames to scans: frame sources, the QR decoder and debouncing."""
