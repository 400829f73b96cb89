"""The programme as a whole: synthetic data for demos and tests, and (later) the end-to-end run."""
