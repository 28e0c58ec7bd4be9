"""Evaluation and dashboards (issue 20): service records, surveys, reviews, the public impact
page, the staff, committee and admin dashboards, and `flask impact verify`."""
