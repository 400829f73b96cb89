# One image for every Jemput service; compose picks the service with its command.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 jemput \
 && useradd --system --uid 10001 --gid jemput --home-dir /app --shell /usr/sbin/nologin jemput

WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY docs ./docs
RUN pip install . && mkdir -p /var/spool/jemput && chown -R jemput:jemput /app /var/spool/jemput

USER jemput
EXPOSE 8000
# compose runs `python -m services.<name>`, the same entry point as the tests
CMD ["jemput", "--help"]
