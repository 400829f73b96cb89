"""Languages and channels the notifications service speaks."""

from enum import StrEnum


class Language(StrEnum):
    """Bahasa Indonesia is the default; English is available by preference."""

    ID = "id"
    EN = "en"


DEFAULT_LANGUAGE = Language.ID


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"

    @property
    def is_phone(self) -> bool:
        """SMS and WhatsApp reach a phone and share quiet hours and segment rules."""
        return self is not Channel.EMAIL
