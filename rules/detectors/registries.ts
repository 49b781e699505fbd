// Package registries other than npm: PyPI, RubyGems, Docker Hub, NuGet, crates.io, Clojars, JFrog.
// The records are data: ./data/registries.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/registries.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
