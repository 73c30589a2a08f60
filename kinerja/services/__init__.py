"""Use cases: each takes a unit of work and leaves the commit to its caller."""
