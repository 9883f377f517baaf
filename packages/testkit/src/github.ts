import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  comments: { id: number; body: string }[];
  pull_request?: object;
}

export interface GitHubStandIn {
  url: string;
  issues: StandInIssue[];
  /** Every request body received (for personal-data scans). */
  bodies: string[];
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

/**
 * The part of the GitHub REST API Ferry uses (issues, comments), over real HTTP, paginated with
 * Link headers as GitHub does, so the real @octokit/rest (and its paginate) drive it.
 */
export async function startGitHubStandIn(
  options: { token?: string; pageSize?: number; existing?: Partial<StandInIssue>[] } = {},
): Promise<GitHubStandIn> {
  const token = options.token ?? "gh-test-token";
  const issues: StandInIssue[] = [];
  const bodies: string[] = [];
  const requests: { method: string; path: string }[] = [];
  let nextComment = 1000;
  for (const partial of options.existing ?? []) {
    issues.push({ number: issues.length + 1, title: "", body: "", state: "open", labels: [], comments: [], ...partial });
  }
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      // The client hung up mid-body: nothing to answer, nothing to record.
      return void res.destroy();
    }
    const raw = Buffer.concat(chunks).toString("utf8");
    if (raw) bodies.push(raw);
    const url = new URL(req.url ?? "/", "http://github");
    requests.push({ method: req.method ?? "", path: url.pathname + url.search });
    const base = `http://${req.headers.host}`;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `token ${token}`) return send(401, { message: "Bad credentials" });
    const json = () => (raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
    const view = (i: StandInIssue) => ({
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      labels: i.labels.map((name) => ({ name })),
      html_url: `${base}/o/r/issues/${i.number}`,
      ...(i.pull_request ? { pull_request: i.pull_request } : {}),
    });
    const page = <T>(items: T[]) => {
      const size = Math.min(Number(url.searchParams.get("per_page") ?? 30), options.pageSize ?? 100);
      const n = Number(url.searchParams.get("page") ?? 1);
      const last = Math.max(1, Math.ceil(items.length / size));
      const headers: Record<string, string> = {};
      if (n < last) {
        const next = new URL(url.toString(), base);
        next.searchParams.set("page", String(n + 1));
        headers["link"] = `<${base}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(200, items.slice((n - 1) * size, n * size), headers);
    };

    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues$/.exec(url.pathname))) {
      if (req.method === "GET") {
        const state = url.searchParams.get("state") ?? "open";
        return page(issues.filter((i) => state === "all" || i.state === state).map(view));
      }
      if (req.method === "POST") {
        const body = json();
        const issue: StandInIssue = {
          number: issues.length + 1,
          title: String(body["title"]),
          body: String(body["body"] ?? ""),
          state: "open",
          labels: (body["labels"] as string[]) ?? [],
          comments: [],
        };
        issues.push(issue);
        return send(201, view(issue));
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/.exec(url.pathname)) && req.method === "PATCH") {
      const issue = issues.find((i) => i.number === Number(m![1]));
      if (!issue) return send(404, { message: "Not Found" });
      const body = json();
      if (body["state"] === "closed" || body["state"] === "open") issue.state = body["state"];
      if (typeof body["body"] === "string") issue.body = body["body"];
      return send(200, view(issue));
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname))) {
      const issue = issues.find((i) => i.number === Number(m![1]));
      if (!issue) return send(404, { message: "Not Found" });
      if (req.method === "GET") return page(issue.comments);
      if (req.method === "POST") {
        const comment = { id: nextComment++, body: String(json()["body"] ?? "") };
        issue.comments.push(comment);
        return send(201, comment);
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname)) && req.method === "PATCH") {
      const comment = issues.flatMap((i) => i.comments).find((c) => c.id === Number(m![1]));
      if (!comment) return send(404, { message: "Not Found" });
      comment.body = String(json()["body"] ?? "");
      return send(200, comment);
    }
    send(404, { message: `stand-in does not implement ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    bodies,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
