"""Portfolio optimization: mean-variance, risk parity, HRP, Black-Litterman, strategy allocation."""
