"""Allocations proposed by the matcher, their review states, and what the matcher remembers."""
