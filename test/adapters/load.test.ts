import { describe, expect, it } from "vitest";
import { ADAPTERS } from "../../adapters/index.js";
import { loadAdapter } from "../../adapters/load.js";
import { AGENT_IDS } from "../../hooks/event.js";

describe("lazy adapter loading", () => {
  it.each(AGENT_IDS.map((id) => [id]))(
    "loads the same adapter for %s as the static registry",
    async (id) => {
      const lazy = await loadAdapter(id);
      const eager = ADAPTERS[id];
      expect(lazy.id).toBe(eager.id);
      expect(lazy.capabilities).toEqual(eager.capabilities);
      expect(lazy.config.files).toEqual(eager.config.files);
    },
  );
});
