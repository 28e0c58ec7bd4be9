"""Booking: availability and reservation of seats, room-nights and stock."""
