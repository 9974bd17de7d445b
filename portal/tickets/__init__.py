"""Tickets: feedback, complaints and consultations members file, their SLA clocks and the staff queue."""
