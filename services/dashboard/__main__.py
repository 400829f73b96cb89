"""`python -m services.dashboard`: run the dashboard (settings from the environment)."""

from services.dashboard.app import definition
from shared.service import serve

if __name__ == "__main__":
    serve(definition)
