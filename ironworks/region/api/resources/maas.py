"""`maas/`: global configuration."""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import json_response, text_response
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services import settings as svc

maas = Handler("MaasHandler", "maas/", "Manage the MAAS server.")


class ConfigName(Form):
    name: str = Field(min_length=1, max_length=255, description="The name of the configuration item.")


class ConfigValue(ConfigName):
    value: str = Field(default="", max_length=MAX_TEXT, description="The value of the configuration item.")


@maas.action("get_config", method="GET", form=ConfigName)
async def get_config(call: Call, form: ConfigName) -> Response:
    """Get a configuration value."""
    # Always a JSON body, even for null (returning None would mean 204).
    return json_response(await svc.get(call.conn, form.name))


@maas.action("set_config", form=ConfigValue, admin=True)
async def set_config(call: Call, form: ConfigValue) -> Response:
    """Set a configuration value."""
    await svc.set(call.conn, form.name, form.value)
    return text_response("OK")
