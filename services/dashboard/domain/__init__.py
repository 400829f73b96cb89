"""Pure logic of the dashboard: projections of public events and the figures built from them."""
