"""promoter_model: train, serve and interpret deep models of yeast promoter expression."""

__version__ = "0.1.0"
