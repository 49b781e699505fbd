// Stands in for node:os inside the `hookpack` entry and the fast allow stage (scripts/build.mjs):
// their modules import it at the top (core/home.ts userInfo, for a user without HOME), and
// Node compiles node:os on its first require, 0.2 ms CPU of every hook call that never calls it.
// Loaded on the first call instead. A name missing here fails the build (no such export).
let os;
const load = () => (os ??= require("node:os"));
exports.userInfo = (options) => load().userInfo(options);
exports.homedir = () => load().homedir();
exports.tmpdir = () => load().tmpdir();
