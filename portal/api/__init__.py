"""The JSON API for point-of-sale systems (purchases), at /api/v1."""
