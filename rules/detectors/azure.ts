// Microsoft Azure: Entra ID client secrets carry `Q~` after 3 chars + a version digit; identifiable
// keys (microsoft/security-utilities) carry a 4-char signature near the end; legacy storage account
// keys sit after AccountKey= in a connection string. Azure DevOps PATs have no prefix (keyword).
import { keyed, token } from "./define.js";
import type { DetectorRule } from "./types.js";

const AD = {
  url: "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps",
  steps:
    "Azure: in Entra ID → App registrations → your app → Certificates & secrets, delete the secret and add a new one.",
};
const KEYS = {
  url: "https://portal.azure.com/",
  steps:
    'Azure: regenerate the key on the resource\'s "Access keys" (or "Keys") page in the portal (`az storage account keys renew`, `az cosmosdb keys regenerate` …), then update its users.',
};
const ident = (
  id: string,
  label: string,
  len: number,
  sig: string,
  name: string,
  tail: number,
): DetectorRule =>
  token({
    id,
    provider: "Azure",
    label,
    parts: [
      "",
      { cls: "A-Za-z0-9+/", min: len - tail - 4 },
      sig,
      { cls: "A-Za-z0-9+/", min: tail, random: false },
    ],
    anchor: sig,
    back: len,
    after: "A-Za-z0-9+/",
    before: "A-Za-z0-9+/",
    severity: "critical",
    secretName: name,
    rotate: KEYS,
    docs: "https://github.com/microsoft/security-utilities",
  });
const rules: DetectorRule[] = [
  token({
    id: "azure-ad-client-secret",
    provider: "Azure",
    label: "Azure Entra ID client secret",
    parts: [
      "",
      { cls: "A-Za-z0-9_~.-", min: 3, random: false },
      { cls: "0-9", min: 1, random: false },
      "Q~",
      { cls: "A-Za-z0-9_~.-", min: 31, max: 34 },
    ],
    anchor: "Q~",
    back: 4,
    before: "A-Za-z0-9_~.-",
    after: "A-Za-z0-9_~.-",
    validator: "azure-client-secret",
    severity: "critical",
    secretName: "AZURE_CLIENT_SECRET",
    rotate: AD,
    docs: "https://learn.microsoft.com/en-us/entra/identity-platform/how-to-add-credentials",
  }),
  ident(
    "azure-storage-key",
    "Azure Storage account key (identifiable)",
    86,
    "+ASt",
    "AZURE_STORAGE_KEY",
    6,
  ),
  ident(
    "azure-cosmosdb-key",
    "Azure Cosmos DB key (identifiable)",
    86,
    "ACDb",
    "AZURE_COSMOS_KEY",
    6,
  ),
  ident("azure-batch-key", "Azure Batch key (identifiable)", 86, "+ABa", "AZURE_BATCH_KEY", 6),
  ident(
    "azure-apim-key",
    "Azure API Management key (identifiable)",
    86,
    "APIM",
    "AZURE_APIM_KEY",
    6,
  ),
  ident(
    "azure-functions-key",
    "Azure Functions key (identifiable)",
    54,
    "AzFu",
    "AZURE_FUNCTIONS_KEY",
    6,
  ),
  ident(
    "azure-service-bus-key",
    "Azure Service Bus key (identifiable)",
    44,
    "+ASb",
    "AZURE_SERVICEBUS_KEY",
    8,
  ),
  ident(
    "azure-event-hub-key",
    "Azure Event Hubs key (identifiable)",
    44,
    "+AEh",
    "AZURE_EVENTHUB_KEY",
    8,
  ),
  ident("azure-relay-key", "Azure Relay key (identifiable)", 44, "+ARm", "AZURE_RELAY_KEY", 8),
  ident("azure-iot-key", "Azure IoT key (identifiable)", 44, "AIoT", "AZURE_IOT_KEY", 8),
  ident(
    "azure-event-grid-key",
    "Azure Event Grid key (identifiable)",
    52,
    "AZEG",
    "AZURE_EVENTGRID_KEY",
    8,
  ),
  ident(
    "azure-cache-redis-key",
    "Azure Cache for Redis key (identifiable)",
    44,
    "AzCa",
    "AZURE_REDIS_KEY",
    8,
  ),
  ident(
    "azure-container-registry-key",
    "Azure Container Registry key (identifiable)",
    52,
    "+ACR",
    "AZURE_ACR_PASSWORD",
    6,
  ),
  ident(
    "azure-search-key",
    "Azure AI Search key (identifiable)",
    52,
    "AzSe",
    "AZURE_SEARCH_KEY",
    6,
  ),
  token({
    id: "azure-storage-connection-string",
    provider: "Azure",
    label: "Azure Storage account key (connection string)",
    parts: ["AccountKey=", { cls: "A-Za-z0-9+/", min: 86 }, "=="],
    before: "",
    after: "",
    severity: "critical",
    secretName: "AZURE_STORAGE_CONNECTION_STRING",
    rotate: KEYS,
    examples: [
      "DefaultEndpointsProtocol=https;AccountName=demo;{token};EndpointSuffix=core.windows.net",
    ],
  }),
  keyed({
    id: "azure-devops-pat",
    provider: "Azure",
    label: "Azure DevOps personal access token",
    keywords: [
      "azure_devops",
      "azuredevops",
      "ado_pat",
      "azure-devops",
      "system_accesstoken",
      "azdo",
    ],
    value: { cls: "a-z2-7", min: 52 },
    severity: "critical",
    secretName: "AZURE_DEVOPS_PAT",
    rotate: {
      url: "https://dev.azure.com/",
      steps: "Azure DevOps: revoke the token under User settings → Personal access tokens.",
    },
    sampleName: "AZURE_DEVOPS_PAT",
  }),
];
// The storage connection string's secret is the key after AccountKey=, not the name.
const cs = rules.find((r) => r.id === "azure-storage-connection-string")!;
cs.regex = String.raw`AccountKey=(?<secret>(?<body>[A-Za-z0-9+/]{86})==)`;
cs.shape = [{ cls: "A-Za-z0-9+/", min: 86 }, "=="];
// A storage account key is 64 random bytes: 86 base64 characters, `==`, canonical padding.
cs.validator = "base64-bytes";
cs.examples = [
  "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={token};EndpointSuffix=core.windows.net",
  'AZURE_STORAGE_CONNECTION_STRING="AccountName=x;AccountKey={token}"',
];
export default rules;
