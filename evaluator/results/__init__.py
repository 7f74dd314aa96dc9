"""What a run leaves: result records, their fingerprint and image identity, the portable-decode check,
the store journal."""
