"""Forecasts from evidence: per-deal win probabilities with reasons, period forecasts with
ranges, and the backtests that prove them."""
