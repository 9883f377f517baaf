import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

const Ferrykit = Octokit.plugin(retry, throttling);
/** The plugins add behaviour (retries, throttling), not endpoints: the REST API is Octokit's. */
export type GitHub = Octokit;

/**
 * An Octokit with retries and GitHub's rate limits obeyed. `baseUrl` follows GITHUB_API_URL, so
 * GitHub Enterprise Server (and a local stand-in in tests) work unchanged.
 */
export function createOctokit(options: {
  token: string;
  baseUrl?: string | undefined;
  log?: (message: string) => void;
  /** GitHub asks integrations to space writes a second apart; off only for local stand-ins. */
  throttle?: boolean;
}): GitHub {
  const log = options.log ?? (() => {});
  return new Ferrykit({
    auth: options.token,
    baseUrl: options.baseUrl || "https://api.github.com",
    userAgent: "ferry",
    log: { debug: () => {}, info: () => {}, warn: log, error: log },
    throttle: {
      enabled: options.throttle ?? true,
      onRateLimit: (retryAfter: number, opts: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log(`GitHub rate limit on ${opts.method} ${opts.url}; retrying in ${retryAfter}s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter: number, opts: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log(`GitHub secondary rate limit on ${opts.method} ${opts.url}; retrying in ${retryAfter}s`);
        return retryCount < 2;
      },
    },
  }) as Octokit;
}
