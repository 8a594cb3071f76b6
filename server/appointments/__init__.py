"""Appointment slots (issue 15): office hours cut into slots, holidays, procedures and the papers to bring,
bookings that name a slot, confirmations or proposals sealed to the household, reminders the day before."""
