"""Service tags whose addresses any Azure customer can send traffic from.

Microsoft Learn, "Virtual network service tags" (https://learn.microsoft.com/en-us/azure/virtual-network/
service-tags-overview) warns that a service tag alone does not secure traffic "without considering the nature
of the service and the traffic it sends". For the tags below the service runs workloads of any tenant on shared
outbound addresses (a Data Factory integration runtime, a Logic App or connector, an App Service app, a Front
Door profile, an API Management gateway, a Machine Learning compute, Power Platform): allowing one of them lets
every other customer's workload in. `AzureCloud` is every Azure public address (rent a VM).
"""

from __future__ import annotations

SERVICE_TAGS_SOURCE = "https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview"

PUBLIC_SERVICE_TAGS = (
    "AzureCloud",
    "DataFactory",
    "LogicApps",
    "AzureConnectors",
    "AppService",
    "AzureFrontDoor.Backend",
    "ApiManagement",
    "AzureMachineLearning",
    "PowerPlatformInfra",
)
