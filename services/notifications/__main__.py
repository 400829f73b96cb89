"""`python -m services.notifications`: run the notifications service (settings from the environment)."""

from services.notifications.app import definition
from shared.service import serve

if __name__ == "__main__":
    serve(definition)
