"""What a request reaches of the running app: the services, the pages and the chat relay.

The lifespan (web/app.py) puts them on `app.state`; every view and API module asks here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    from web.chat import Chat
    from web.ops import Metrics
    from web.services import Services
    from web.templating import Pages


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


def chat_of(request: Request) -> Chat:
    found: Chat = request.app.state.chat
    return found


def metrics_of(request: Request) -> Metrics:
    found: Metrics = request.app.state.metrics
    return found
