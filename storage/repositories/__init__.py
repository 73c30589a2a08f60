"""Repositories: query and change one aggregate each; they flush but never commit."""
