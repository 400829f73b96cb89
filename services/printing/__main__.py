"""`python -m services.printing`: run the printing service (settings from the environment)."""

from services.printing.app import definition
from shared.service import serve

if __name__ == "__main__":
    serve(definition)
