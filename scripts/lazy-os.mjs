// Stands in for node:os inside the `hookpack` entry and the fast allow stage (scripts/build.mjs):
// their modules import it at the top (core/home.ts userInfo, for a user without HOME), and
// Node compiled node:os on its first require, 0.2 ms CPU of every hook call that never calls it.
// Required on the first call instead. An ES module, so that a name missing here fails the build
// ("No matching export") instead of being undefined at run time.
let os;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS bundle's require, on purpose lazy
const load = () => (os ??= require("node:os"));
export const userInfo = (options) => load().userInfo(options);
export const homedir = () => load().homedir();
export const tmpdir = () => load().tmpdir();
