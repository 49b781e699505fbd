// Package registries other than npm: PyPI, RubyGems, Docker Hub, NuGet, crates.io, Clojars, JFrog.
import { keyed, token } from "./define.js";
import type { DetectorRule } from "./types.js";

const rules: DetectorRule[] = [
  token({
    id: "pypi-upload-token",
    provider: "PyPI",
    label: "PyPI API token",
    parts: ["pypi-AgEIcHlwaS5vcmc", { cls: "A-Za-z0-9_-", min: 50, max: 1000 }],
    validator: "pypi-macaroon",
    after: "A-Za-z0-9_-",
    severity: "critical",
    secretName: "PYPI_TOKEN",
    rotate: {
      url: "https://pypi.org/manage/account/token/",
      steps:
        "PyPI: remove the token at https://pypi.org/manage/account/token/ and create a new, project-scoped one.",
    },
    docs: "https://pypi.org/help/#apitoken",
  }),
  token({
    id: "pypi-test-upload-token",
    provider: "PyPI",
    label: "TestPyPI API token",
    parts: ["pypi-AgENdGVzdC5weXBpLm9yZw", { cls: "A-Za-z0-9_-", min: 50, max: 1000 }],
    after: "A-Za-z0-9_-",
    severity: "medium",
    secretName: "TEST_PYPI_TOKEN",
    rotate: {
      url: "https://test.pypi.org/manage/account/token/",
      steps: "TestPyPI: remove the token at https://test.pypi.org/manage/account/token/.",
    },
  }),
  token({
    id: "rubygems-api-token",
    provider: "RubyGems",
    label: "RubyGems API key",
    parts: ["rubygems_", { cls: "a-f0-9", min: 48 }],
    severity: "critical",
    secretName: "GEM_HOST_API_KEY",
    rotate: {
      url: "https://rubygems.org/profile/api_keys",
      steps:
        "RubyGems: delete the key at https://rubygems.org/profile/api_keys and create a new, scoped one.",
    },
    docs: "https://guides.rubygems.org/api-key-scopes/",
  }),
  token({
    id: "docker-hub-pat",
    provider: "Docker",
    label: "Docker Hub personal access token",
    parts: ["dckr_pat_", { cls: "A-Za-z0-9_-", min: 27 }],
    after: "A-Za-z0-9_-",
    severity: "critical",
    secretName: "DOCKERHUB_TOKEN",
    rotate: {
      url: "https://app.docker.com/settings/personal-access-tokens",
      steps:
        "Docker Hub: delete the token at https://app.docker.com/settings/personal-access-tokens and create a new one.",
    },
    docs: "https://docs.docker.com/security/for-developers/access-tokens/",
  }),
  token({
    id: "docker-hub-oat",
    provider: "Docker",
    label: "Docker Hub organization access token",
    parts: ["dckr_oat_", { cls: "A-Za-z0-9_-", min: 32 }],
    after: "A-Za-z0-9_-",
    severity: "critical",
    secretName: "DOCKERHUB_TOKEN",
    rotate: {
      url: "https://app.docker.com/",
      steps:
        "Docker Hub: delete the organization access token in the Admin Console and create a new one.",
    },
  }),
  token({
    id: "nuget-api-key",
    provider: "NuGet",
    label: "NuGet API key",
    parts: ["oy2", { cls: "a-z2-7", min: 43 }],
    severity: "high",
    secretName: "NUGET_API_KEY",
    rotate: {
      url: "https://www.nuget.org/account/apikeys",
      steps: "NuGet: regenerate or delete the key at https://www.nuget.org/account/apikeys.",
    },
  }),
  token({
    id: "crates-io-api-token",
    provider: "crates.io",
    label: "crates.io API token",
    parts: ["cio", { cls: "A-Za-z0-9", min: 32 }],
    severity: "high",
    secretName: "CARGO_REGISTRY_TOKEN",
    rotate: {
      url: "https://crates.io/settings/tokens",
      steps: "crates.io: revoke the token at https://crates.io/settings/tokens.",
    },
    confidence: "weak",
  }),
  token({
    id: "clojars-api-token",
    provider: "Clojars",
    label: "Clojars deploy token",
    parts: ["CLOJARS_", { cls: "a-z0-9", min: 60 }],
    severity: "high",
    secretName: "CLOJARS_TOKEN",
    rotate: {
      url: "https://clojars.org/tokens",
      steps: "Clojars: disable the token at https://clojars.org/tokens.",
    },
  }),
  token({
    id: "jfrog-api-key",
    provider: "JFrog",
    label: "JFrog Artifactory API key",
    parts: ["AKCp", { cls: "A-Za-z0-9", min: 69 }],
    severity: "high",
    secretName: "ARTIFACTORY_API_KEY",
    rotate: {
      steps:
        "JFrog: revoke the API key in the Artifactory user profile and use an access token instead.",
    },
  }),
  token({
    id: "jfrog-reference-token",
    provider: "JFrog",
    label: "JFrog reference token",
    parts: ["cmVmdGtu", { cls: "A-Za-z0-9", min: 56, max: 64 }],
    severity: "high",
    secretName: "JFROG_ACCESS_TOKEN",
    rotate: {
      steps: "JFrog: revoke the token under Administration → User Management → Access Tokens.",
    },
  }),
  keyed({
    id: "artifactory-password",
    provider: "JFrog",
    label: "JFrog Artifactory API key (keyword)",
    keywords: ["artifactory"],
    value: { cls: "A-Za-z0-9", min: 64, max: 73 },
    severity: "high",
    secretName: "ARTIFACTORY_API_KEY",
    rotate: { steps: "JFrog: revoke the API key in the Artifactory user profile." },
    sampleName: "ARTIFACTORY_API_KEY",
  }),
];
export default rules;
