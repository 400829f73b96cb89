"""`python -m services.enrollment`: run the enrollment service (settings from the environment)."""

from services.enrollment.app import definition
from shared.service import serve

if __name__ == "__main__":
    serve(definition)
