// The allow-list file of check-pack and pre-push, read for a command: a line that is not an entry
// stops the command (a value pasted by mistake is seen, never silently ignored).
import { HookpackError } from "../core/errors.js";
import { readAllowFile, type AllowList } from "../scanners/content.js";

export function loadAllowList(file: string): AllowList {
  const { list, errors } = readAllowFile(file);
  if (errors.length > 0) {
    throw new HookpackError(
      "ALLOW_FILE_INVALID",
      `hookpack: ${file}: ${errors[0]}; nothing was scanned.`,
      "Each line is sha256:<hex>, <rule>:sha256:<hex> or path:<glob> (values never go in this file).",
    );
  }
  return list;
}
