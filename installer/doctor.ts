// \`hookpack doctor\`'s checks live in ./doctor/ (one file per concern); this is their entry.
export * from "./doctor/index.js";
