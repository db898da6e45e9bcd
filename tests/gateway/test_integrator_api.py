"""Issue 19, item 3: a client signs from what ``GET /v1/config`` publishes, nothing else.

``eip712.messages`` gives one typed-data description per primary type (what ethers'
``signTypedData(domain, types, value)`` takes); a signature under another domain is refused with
a hint naming the published domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from credit.chain.eip712 import TYPES
from credit.gateway.app import create_app
from credit.gateway.services import Services
from tests.support.relay_helpers import claim_body, wire_relay
from tests.support.world import World


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """The app with a relay (started and stopped by the lifespan)."""
    wire_relay(services)
    with TestClient(create_app(services)) as c:
        yield c


def _signed_from_config(config: dict[str, Any], key: bytes, body: dict[str, Any]) -> str:
    """Sign the Claim ``body`` as an integrator would: domain, types and field names from the
    config alone (eth-account's ``sign_typed_data`` takes the same three arguments as ethers)."""
    message = config["eip712"]["messages"]["Claim"]
    renamed = {struct: body_field for struct, body_field in message["fields"].items()}
    value = {
        f["name"]: body.get(renamed.get(f["name"], f["name"]), "0x" + "00" * 32)
        for f in message["types"]["Claim"]
    }
    signed = Account.sign_typed_data(key, config["eip712"]["domain"], message["types"], value)
    return "0x" + bytes(signed.signature).hex()


def test_each_primary_type_has_its_own_types_object(client: TestClient) -> None:
    eip712 = client.get("/v1/config").json()["eip712"]
    assert set(eip712["messages"]) == {
        "Claim",
        "Report",
        "Confirmation",
        "Rejection",
        "Appeal",
        "Decision",
    }
    for name, message in eip712["messages"].items():
        assert message["primaryType"] == name
        assert message["types"] == {name: TYPES[name]}  # one primary type, no EIP712Domain
        assert message["endpoint"]
    assert eip712["messages"]["Claim"]["fields"] == {"occurredAt": "occurred_at"}
    assert [f["name"] for f in eip712["domain_type"]] == list(eip712["domain"])


def test_a_claim_signed_from_the_config_alone_is_accepted(
    client: TestClient, gateway_world: World
) -> None:
    resident = gateway_world.residents[0]
    config = client.get("/v1/config").json()
    body, record_id = claim_body(gateway_world, resident)
    body["signature"] = _signed_from_config(config, resident.key, body)
    answer = client.post("/v1/claims", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["record_id"] == record_id


def test_a_claim_signed_for_another_domain_is_told_the_published_one(
    client: TestClient, gateway_world: World
) -> None:
    resident = gateway_world.residents[0]
    config = client.get("/v1/config").json()
    wrong = {**config, "eip712": {**config["eip712"]}}
    wrong["eip712"]["domain"] = {**config["eip712"]["domain"], "chainId": 1}  # mainnet
    body, _ = claim_body(gateway_world, resident)
    body["signature"] = _signed_from_config(wrong, resident.key, body)
    answer = client.post("/v1/claims", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_signature"
    assert "GET /v1/config" in error["message"]
    assert "own key" not in error["message"]
    assert error["details"]["domain"] == config["eip712"]["domain"]
    assert error["details"]["recovered"] != resident.address


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("GET", "/v1/claims/batch", "POST", id="literal-path-before-template"),
        pytest.param("GET", "/rpc", "POST", id="rpc-not-the-web-app"),
        pytest.param("OPTIONS", "/v1/appeals", "GET, POST", id="every-method-of-the-path"),
        pytest.param("PUT", "/v1/evidence/" + "0" * 32, "DELETE, GET", id="template-path"),
    ],
)
def test_an_undocumented_method_is_405_with_the_documented_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 405, answer.text
    assert answer.headers["Allow"] == allow
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_a_body_that_is_not_utf8_json_is_a_documented_422(client: TestClient) -> None:
    answer = client.post(
        "/v1/claims", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    documented = client.get("/openapi.json").json()["paths"]["/v1/claims"]["post"]["responses"]
    assert "422" in documented


def test_the_signature_rule_is_in_the_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ClaimIn"]["oneOf"] == [
        {"required": ["signature"], "not": {"anyOf": [{"required": ["r"]}, {"required": ["vs"]}]}},
        {"required": ["r", "vs"], "not": {"required": ["signature"]}},
    ]
