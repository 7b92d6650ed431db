/**
 * A Lago client, as a user's browser and an SDK reach a deployment: the front's env-config.js says where
 * the api is (window.API_URL), sign-in is the front's GraphQL `loginUser` at API_URL/graphql, the API key
 * is read as the UI's Developers page reads it, and REST calls go to API_URL/api/v1/... with that key;
 * invoice files are downloaded through their /rails/active_storage/ link and its redirect. Used by the
 * lago e2e test (curl inside a testbed host) and by `npm run demo` (Node's https on this machine).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { request } from "node:https";
import { execIn } from "./testbed-hosts.ts";

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  sha256: string;
}

/** Sends one request, without following redirects. */
export type Http = (req: HttpRequest) => Promise<HttpResponse>;

/** One response as curl gives it in curlInHost: sha256 of the body, the header block, the body. */
function parseCurl(out: string): HttpResponse {
  const [sha256, ...rest] = out.split("\n");
  const text = rest.join("\n");
  const blocks = text.split("\r\n\r\n");
  // Interim 1xx answers come first; the last header block before the body is the response's.
  let i = 0;
  while (i < blocks.length - 2 && /^HTTP\/\S+ 1\d\d/.test(blocks[i])) i++;
  const [statusLine, ...lines] = blocks[i].split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    text: blocks.slice(i + 1).join("\r\n\r\n"),
    sha256,
  };
}

const CURL = `set -e
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
curl -sk --max-time 20 --connect-to ::127.0.0.1:443 -o "$d/body" -D "$d/head" "$@"
sha256sum "$d/body" | cut -d ' ' -f 1
cat "$d/head"
cat "$d/body"`;

/**
 * curl inside a testbed host, every connection to its nginx (127.0.0.1:443) whatever the URL's host and
 * port say, so a public URL with another port (a port forward) keeps that port in its Host header.
 */
export function curlInHost(host: string): Http {
  return async (req) => {
    const args = [
      "-X",
      req.method ?? "GET",
      ...Object.entries(req.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ];
    if (req.body !== undefined) args.push("--data-binary", "@-");
    const r = await execIn(host, ["sh", "-c", CURL, "sh", ...args, req.url], { input: req.body ?? "" });
    return parseCurl(r.stdout);
  };
}

/** Node's https on this machine, connected to 127.0.0.1:`port` (the certificate is not checked). */
export function httpsVia(port: number): Http {
  return (req) =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const r = request({
        host: "127.0.0.1",
        port,
        servername: url.hostname,
        path: url.pathname + url.search,
        method: req.method ?? "GET",
        headers: { Host: url.host, ...req.headers },
        rejectUnauthorized: false,
        timeout: 20_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            headers[k] = Array.isArray(v) ? v.join(", ") : v ?? "";
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            text: body.toString("utf8"),
            sha256: createHash("sha256").update(body).digest("hex"),
          });
        });
      });
      r.on("timeout", () => r.destroy(new Error(`${req.url}: no answer in 20 s`)));
      r.on("error", reject);
      r.end(req.body);
    });
}

const json = (r: HttpResponse, what: string): any => {
  try {
    return JSON.parse(r.text);
  } catch {
    throw new Error(`${what}: HTTP ${r.status}, not JSON: ${r.text.slice(0, 200)}`);
  }
};

/** window.API_URL from the front's env-config.js, what the UI uses as the api's address. */
export async function frontApiUrl(http: Http, frontUrl: string): Promise<string> {
  const r = await http({ url: `${frontUrl}/env-config.js` });
  const m = /window\.API_URL = "([^"]*)"/.exec(r.text);
  if (r.status !== 200 || !m) {
    throw new Error(`${frontUrl}/env-config.js: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
  }
  return m[1];
}

async function graphql(
  http: Http,
  apiUrl: string,
  query: string,
  variables: object,
  headers = {},
): Promise<any> {
  const r = await http({
    method: "POST",
    url: `${apiUrl}/graphql`,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return json(r, `${apiUrl}/graphql`);
}

export interface Session {
  token: string;
  organizationId: string;
  organizationName: string;
}

/** The front's sign-in; throws with Lago's error code when refused. */
export async function signIn(http: Http, apiUrl: string, email: string, password: string): Promise<Session> {
  const reply = await graphql(
    http,
    apiUrl,
    "mutation login($input: LoginUserInput!) { loginUser(input: $input) " +
      "{ token user { id email organizations { id name } } } }",
    { input: { email, password } },
  );
  const login = reply.data?.loginUser;
  if (!login) throw new Error(`sign-in as ${email} refused: ${JSON.stringify(reply.errors)}`);
  const [org] = login.user.organizations;
  return { token: login.token, organizationId: org.id, organizationName: org.name };
}

/** The organization's first API key, revealed as the Developers page does (apiKeys, then apiKey(id)). */
export async function apiKey(http: Http, apiUrl: string, s: Session): Promise<string> {
  const headers = { Authorization: `Bearer ${s.token}`, "x-lago-organization": s.organizationId };
  const list = await graphql(http, apiUrl, "query { apiKeys { collection { id } } }", {}, headers);
  const id = list.data?.apiKeys?.collection?.[0]?.id;
  if (!id) throw new Error(`no API key listed: ${JSON.stringify(list)}`);
  const one = await graphql(
    http,
    apiUrl,
    "query key($id: ID!) { apiKey(id: $id) { value } }",
    { id },
    headers,
  );
  const value = one.data?.apiKey?.value;
  if (!value) throw new Error(`API key ${id} not revealed: ${JSON.stringify(one)}`);
  return value;
}

/** POST or GET on API_URL/api/v1/PATH with the key: [status, parsed body or null]. */
export async function rest(
  http: Http,
  apiUrl: string,
  key: string | null,
  method: string,
  path: string,
  body?: object,
): Promise<[number, any]> {
  const r = await http({
    method,
    url: `${apiUrl}/api/v1/${path}`,
    headers: {
      ...(key === null ? {} : { Authorization: `Bearer ${key}` }),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return [r.status, r.text ? json(r, `${method} ${path}`) : null];
}

/** GET that follows redirects (the Location as given, like a browser); the responses in order. */
export async function download(http: Http, url: string): Promise<HttpResponse[]> {
  const chain: HttpResponse[] = [];
  for (let next = url; chain.length < 5;) {
    const r = await http({ url: next });
    chain.push(r);
    if (r.status < 300 || r.status >= 400 || !r.headers.location) return chain;
    next = new URL(r.headers.location, next).toString();
  }
  throw new Error(`${url}: more than 4 redirects`);
}
