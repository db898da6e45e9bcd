"""The auditor: recompute the whole ledger from on-chain data alone, and prove or refute it.

:mod:`credit.audit.replay` reads a deployment's events, relay calldata and views from a node into
:class:`credit.audit.model.ChainData`; :func:`credit.audit.run.run_checks` runs the pure checks
(credit, quorums, caps, rule publications, appeals, rewards and mints, notices) over it;
:mod:`credit.audit.report` and :mod:`credit.audit.html` write what they found for machines and
for people.
"""

from credit.audit.model import ChainData, Discrepancy, Findings
from credit.audit.run import AuditResult, NoticesInput, run_checks

__all__ = ["AuditResult", "ChainData", "Discrepancy", "Findings", "NoticesInput", "run_checks"]
