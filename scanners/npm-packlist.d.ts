// npm-packlist 10 (npm's own file-list walker, bundled by scripts/build.mjs): the part of its API
// scanners/pack-list.ts uses. It reads `tree.path`, `tree.package` (bin normalised to an object),
// `tree.isProjectRoot`, `tree.edgesOut` (bundled dependencies) and `tree.workspaces`.
declare module "npm-packlist" {
  interface PacklistTree {
    path: string;
    package: Record<string, unknown>;
    isProjectRoot: boolean;
    edgesOut: Map<string, unknown>;
    workspaces?: Map<string, string>;
  }
  function packlist(tree: PacklistTree, options?: { path?: string }): Promise<string[]>;
  export default packlist;
}
