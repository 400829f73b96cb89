"""Jemput's shared package: event contracts, bus, store, settings, logging, service runtime.

Nothing here holds state at run time; each service builds its own runtime from these parts.
"""
