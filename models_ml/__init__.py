"""Account models: point-in-time features, propensity, lookalikes and cross-sell."""
