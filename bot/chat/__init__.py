"""The channel-agnostic port: events in, replies out, and the dispatcher between them."""
