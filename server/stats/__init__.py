"""Figures for the commune: reports by kind, category, village and status over time, answer times, backlog."""
