// Types for the generated standalone validator (scripts/gen-policy-validator.mjs).
import type { ErrorObject } from "ajv";

declare const validate: { (data: unknown): boolean; errors?: ErrorObject[] | null };
export = validate;
