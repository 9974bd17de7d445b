"""Surveys: the builder, audiences and sending, the signed single-use links, answers and results."""
