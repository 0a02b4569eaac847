"""Controllers with different versions raise an administrator's notification at a region's start
(MAAS: "Controllers have different versions"), and it goes when the versions agree again."""

from __future__ import annotations

from ironworks import __version__
from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node


def warnings(api: APIClient) -> list[str]:
    return [n["message"] for n in api.get("notifications/").json() if n.get("ident") == "version_mismatch"]


def test_a_controller_on_another_version_is_an_admin_warning_until_versions_agree(
        region: Region, api: APIClient, user_api: APIClient) -> None:
    assert warnings(api) == []
    _, rack = add_node(region, "old-rack")
    region.sql("UPDATE node SET version = '0.0.9' WHERE system_id = %s", (rack,))
    region.stop()
    region.start()
    (message,) = warnings(api)
    assert message.startswith("Controllers have different versions:") and "old-rack 0.0.9" in message
    assert warnings(user_api) == []  # for administrators
    region.sql("UPDATE node SET version = %s WHERE system_id = %s", (__version__, rack))
    region.stop()
    region.start()
    assert warnings(api) == []
