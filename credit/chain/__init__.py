"""The chain layer: the only part of ``credit`` that talks to Ethereum (web3, eth-tester)."""

from credit.chain.deploy import DeploymentRecord, System, attach, deploy_system, role_id
from credit.chain.node import embedded_web3, fund, rpc_web3, time_travel
from credit.chain.reverts import ErrorDecoder
from credit.chain.tx import Transactor

__all__ = [
    "DeploymentRecord",
    "ErrorDecoder",
    "System",
    "Transactor",
    "attach",
    "deploy_system",
    "embedded_web3",
    "fund",
    "role_id",
    "rpc_web3",
    "time_travel",
]
