"""The operations dashboard: public events in, figures and a page out."""
