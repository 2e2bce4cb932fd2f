"""Slack messages for every app: a direct message to a person (found by email) or a post
to a channel, through the Web API with a bot token.

Configuration (environment, read at send time so a running worker picks up changes):

- ``KIZUNA_SLACK_TOKEN``: a bot token with ``users:read.email`` and ``chat:write``;
  without it nothing is sent and the helpers return ``False``.
- ``KIZUNA_SLACK_API_URL``: the Web API base (default Slack's own), for proxies and tests.

A failure is logged and reported as ``False``, never raised: Slack is a second channel
beside email and must not stop the work that asked for the message.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

logger = logging.getLogger(__name__)


def client() -> WebClient | None:
    """A Web API client, or ``None`` when Slack is not configured."""
    token = getattr(settings, "KIZUNA_SLACK_TOKEN", "") or os.environ.get("KIZUNA_SLACK_TOKEN")
    if not token:
        return None
    api_url = os.environ.get("KIZUNA_SLACK_API_URL") or WebClient.BASE_URL
    if not api_url.endswith("/"):
        api_url += "/"
    web = WebClient(token=token, base_url=api_url, timeout=10)
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return web


def direct_message(email: str, text: str, *, web: WebClient | None = None) -> bool:
    """Send ``text`` to the Slack user whose profile has ``email``; ``True`` when sent."""
    web = web or client()
    if web is None or not email:
        return False
    try:
        found = web.users_lookupByEmail(email=email)
        web.chat_postMessage(channel=found["user"]["id"], text=text)
    except SlackApiError as error:
        logger.warning("Slack DM failed: %s", error)
        return False
    except Exception:
        logger.exception("Slack DM failed")
        return False
    return True


def post_to_channel(channel: str, text: str, *, web: WebClient | None = None) -> bool:
    """Post ``text`` to a channel (name such as ``#thanks`` or an id); ``True`` when sent."""
    web = web or client()
    if web is None or not channel:
        return False
    try:
        web.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        logger.warning("Slack post to %s failed: %s", channel, error)
        return False
    except Exception:
        logger.exception("Slack post to %s failed", channel)
        return False
    return True
