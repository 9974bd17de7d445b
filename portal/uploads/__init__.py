"""Uploaded pictures (rewards, event covers): checked by their bytes, stored with random names, served
from one route. Plumbing: it knows no feature."""
