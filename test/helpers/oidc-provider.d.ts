// The part of oidc-provider 9.x (which ships no types) that test/helpers/oauth-server.ts uses.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  interface GrantContext {
    status: number;
    body: unknown;
    oidc: { params: Record<string, unknown>; client?: unknown };
  }
  interface AccessTokenLike {
    scope?: string;
    isExpired: boolean;
    remainingTTL: number;
    expiresIn: number;
    save(): Promise<string>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    registerGrantType(
      name: string,
      handler: (ctx: GrantContext) => Promise<void>,
      params?: string[],
    ): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    ClientCredentials: {
      new (init: { client: unknown; scope: string }): AccessTokenLike;
      find(token: string): Promise<AccessTokenLike | undefined>;
    };
  }
}
