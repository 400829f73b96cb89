"""Jinja2 templates per message kind, channel and language.

Templates live in ``templates/<language>/<kind>.<channel>.j2``. WhatsApp uses
the SMS template unless a ``.whatsapp.j2`` exists. An email template sets
``subject`` with ``{% set subject %}…{% endset %}``; its output is the body.
Text for a phone is folded onto one line (every space costs a septet) and
carries its segment count.
"""

from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from .domain.contacts import RecipientKind
from .domain.language import Channel, Language
from .domain.messages import CHANNELS_OF, MessageKind, RenderedMessage
from .domain.segments import count_segments
from .domain.timing import JAKARTA
from .domain.views import View

_DAYS = {
    Language.ID: ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
    Language.EN: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    Language.ID: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                  "Agustus", "September", "Oktober", "November", "Desember"],
    Language.EN: ["January", "February", "March", "April", "May", "June", "July",
                  "August", "September", "October", "November", "December"],
}


class TemplateMissing(LookupError):
    pass


def format_date(value: date, language: Language, weekday: bool = True) -> str:
    """'Kamis, 10 Desember 2026' / 'Thursday, 10 December 2026'."""
    if isinstance(value, datetime):
        value = value.astimezone(JAKARTA).date()
    text = f"{value.day} {_MONTHS[language][value.month - 1]} {value.year}"
    return f"{_DAYS[language][value.weekday()]}, {text}" if weekday else text


def format_short_date(value: date, language: Language) -> str:
    """'Kam 10/12' — for SMS, where every character counts."""
    return f"{_DAYS[language][value.weekday()][:3]} {value.day:02d}/{value.month:02d}"


def format_time(value: time | datetime, language: Language) -> str:
    """'08.00 WIB' in Indonesian, '08:00 WIB' in English; datetimes shown in Jakarta time."""
    if isinstance(value, datetime):
        value = value.astimezone(JAKARTA).time()
    sep = "." if language is Language.ID else ":"
    return f"{value.hour:02d}{sep}{value.minute:02d} WIB"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def template_name(kind: MessageKind, channel: Channel, language: Language) -> str:
    return f"{language.value}/{kind.value}.{channel.value}.j2"


def _template(kind: MessageKind, channel: Channel, language: Language):
    env = _environment()
    names = [template_name(kind, channel, language)]
    if channel is Channel.WHATSAPP:
        names.append(template_name(kind, Channel.SMS, language))
    try:
        return env.select_template(names)
    except TemplateNotFound as exc:
        raise TemplateMissing(f"no template for {kind.value} by {channel.value} in {language.value}") from exc


def render(
    kind: MessageKind,
    channel: Channel,
    language: Language,
    view: View,
    recipient_kind: RecipientKind = RecipientKind.STUDENT,
    extra: dict[str, Any] | None = None,
) -> RenderedMessage:
    """Render one message. Raises TemplateMissing for a channel the kind is not sent on."""
    if channel not in CHANNELS_OF[kind]:
        raise TemplateMissing(f"{kind.value} is not sent by {channel.value}")
    lang = Language(language)
    context: dict[str, Any] = {
        **{name: getattr(view, name) for name in type(view).model_fields},
        "lang": lang.value,
        "recipient_kind": recipient_kind.value,
        "for_guardian": recipient_kind is RecipientKind.GUARDIAN,
        "tanggal": lambda d, weekday=True: format_date(d, lang, weekday),
        "tgl": lambda d: format_short_date(d, lang),
        "jam": lambda t: format_time(t, lang),
        **(extra or {}),
    }
    module = _template(kind, channel, lang).make_module(context)
    body = str(module).strip()
    if channel is Channel.EMAIL:
        subject = " ".join(str(getattr(module, "subject", "")).split())
        if not subject:
            raise TemplateMissing(f"email template for {kind.value} in {lang.value} sets no subject")
        return RenderedMessage(kind=kind, channel=channel, language=lang, subject=subject, body=body + "\n")
    if channel is Channel.SMS:
        body = " ".join(body.split())
    else:
        body = "\n".join(" ".join(line.split()) for line in body.splitlines()).strip()
    return RenderedMessage(
        kind=kind, channel=channel, language=lang, body=body, segments=count_segments(body)
    )
