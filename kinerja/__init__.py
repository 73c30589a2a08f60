"""Pure domain rules for ASN performance work, free of I/O and frameworks."""
