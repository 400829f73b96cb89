"""`python -m services.scheduling`: run the scheduling service (settings from the environment)."""

from services.scheduling.app import definition
from shared.service import serve

if __name__ == "__main__":
    serve(definition)
