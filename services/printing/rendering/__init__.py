"""Documents the printing service produces: the KTP-el (PDF for the printer, PNG preview)
and the temporary certificate (A4 PDF). Pure functions from domain models to bytes."""
