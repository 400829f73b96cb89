"""The dashboard: an outside subscriber of jemput.events serving the operations page."""

from __future__ import annotations

from shared.service import Runtime, ServiceDefinition, build_app

from .adapters.projections import INDEXES, ProjectionStore
from .adapters.queues import QueueDepths
from .api import build_api
from .handlers import consumer, settings_of
from .settings import DashboardSettings


async def open_dashboard(rt: Runtime) -> None:
    settings_of(rt)
    rt.state["projections"] = ProjectionStore(rt.db)
    rt.state["queues"] = QueueDepths(rt.settings.rabbitmq_url, rt.topology)


async def close_dashboard(rt: Runtime) -> None:
    queues = rt.state.get("queues")
    if queues is not None:
        await queues.close()


definition = ServiceDefinition(
    name="dashboard",
    consumer=consumer,
    indexes=INDEXES,
    api=build_api,
    on_start=[open_dashboard],
    on_stop=[close_dashboard],
    settings_class=DashboardSettings,
    description="Operations page: progress per school, day and unit, blank stock, upcoming visits, "
                "DLQ depths — from public events only.",
)


def create_app(settings: DashboardSettings | None = None):
    return build_app(definition, settings)
