"""Where the approval workflow writes its decision records (the contract between the workflow and the audit trail)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass
class AuditSink:
    """A Log Analytics custom table reached through the Logs Ingestion API.

    The workflow POSTs one JSON record per decision to
    `{logs_ingestion_endpoint}/dataCollectionRules/{dcr_immutable_id}/streams/{stream_name}?api-version=2023-01-01`
    with its managed identity (audience `https://monitor.azure.com/`); the identity needs the
    "Monitoring Metrics Publisher" role on the data collection rule, which `JitAuditTrail` grants.
    """

    logs_ingestion_endpoint: pulumi.Input[str]
    """The data collection endpoint's logs ingestion URL (https://<dce>.<region>.ingest.monitor.azure.com)."""
    dcr_immutable_id: pulumi.Input[str]
    """The data collection rule's immutable id (dcr-...)."""
    stream_name: str = "Custom-JitAccessDecisions_CL"
    """The DCR input stream the records are sent to."""
