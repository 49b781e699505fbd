// Literal prefilter for @secretlint/secretlint-rule-preset-recommend 13.0.7 with AWS key-id
// scanning on. Each alternative is a substring every match of some preset rule must contain
// (validated against the pinned preset by test/rules/secretlint.test.ts). scripts/gen-detectors.mjs
// folds these into the hook prefilter, so one regex pass decides for both engines.
const R = String.raw;
export const SECRETLINT_PREFILTER_PARTS: readonly string[] = [
  R`g(?:h[pousr]_[A-Za-z0-9_]{36}|ithub_pat_[A-Za-z0-9_]{36}|lpat-|l(?:c|sa)_|sk_)`,
  R`x(?:ox[bpaore]-|app-|-oauth-basic)`,
  R`h(?:ooks\.slack\.com|f_[a-zA-Z]{34}|v[sbr]\.)`,
  R`s(?:k-ant-|k-(?:proj|svcacct|admin)-|k_(?:live|test)_|hp(?:pa|ca|at|ss)_)`,
  R`rk_(?:live|test)_`,
  R`T3BlbkFJ`,
  R`SG\.[\w-]{1,128}\.`,
  R`lin_api_`,
  R`ntn_\d`,
  R`npm_[A-Za-z0-9_]{36}`,
  R`_authToken`,
  R`ops_ey`,
  R`vc[pickr]_[A-Za-z0-9]{20}`,
  R`d(?:api[a-fA-F0-9]{32}|ckr_pat_)`,
  R`figd_`,
  R`c(?:fk|fut|fat)_`,
  R`tskey-`,
  R`PRIVATE KEY`,
  R`:\/\/[^\s:\/]{1,256}:[^\s@\/]{1,256}@`,
  R`[Ss][Ee][Cc][Rr][Ee][Tt]_?[Aa][Cc][Cc][Ee][Ss][Ss]`,
  R`A(?:3T[A-Z0-9]|KIA|GPA|IDA|ROA|IPA|NPA|NVA|SIA)`,
  R`"private_key"`,
];
