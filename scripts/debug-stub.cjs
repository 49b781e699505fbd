// Stands in for the `debug` package inside the bundles: secretlint's dependency chain pulls it
// in (with supports-color and tty), and hookpack never enables it.
const create = () => {
  const log = () => {};
  log.enabled = false;
  log.extend = create;
  return log;
};
create.enable = () => {};
create.disable = () => "";
create.enabled = () => false;
module.exports = create;
module.exports.default = create;
