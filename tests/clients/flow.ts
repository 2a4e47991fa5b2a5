// A short flow through the API typed by the TypeScript types that openapi-typescript
// generates from openapi.yaml (.ci/api-clients.sh). If an operation, a field or a type
// the flow uses changes in the document, `tsc` fails before anything runs.
import type { components, paths } from "../../target/api-clients/ts/schema";

declare const process: { argv: string[]; exitCode?: number };

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: infer R }
    ? R extends Record<S, { content: { "application/json": infer B } }>
      ? B
      : never
    : never;

type TokenRequest = components["schemas"]["TokenRequest"];
type TokenResponse = Json<"/api/v1/auth/token", "post", 200>;
type Me = Json<"/api/v1/me", "get", 200>;
type RentalPage = Json<"/api/v1/rentals", "get", 200>;
type Compliance = Json<"/api/v1/offices/{id}/compliance", "get", 200>;
type Problem = components["schemas"]["Problem"];

async function call<T>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(base + path, init);
  if (!res.ok) {
    const problem = (await res.json()) as Problem;
    throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${problem.title}: ${problem.detail}`);
  }
  return (await res.json()) as T;
}

async function main(base: string): Promise<void> {
  const login: TokenRequest = {
    grant_type: "password",
    email: "office@demo.example",
    password: "demo-pass-2026",
  };
  const tokens = await call<TokenResponse>(base, "/api/v1/auth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(login),
  });
  const auth = { authorization: `Bearer ${tokens.access_token}` };
  const me = await call<Me>(base, "/api/v1/me", { headers: auth });
  const rentals = await call<RentalPage>(base, "/api/v1/rentals?limit=5", { headers: auth });
  const firstRent: number | undefined = rentals.items[0]?.rent;
  const month = new Date().toISOString().slice(0, 7);
  const compliance = await call<Compliance>(
    base,
    `/api/v1/offices/${me.organization_id}/compliance?from=${month}&to=${month}`,
    { headers: auth },
  );
  if (rentals.items.length === 0 || firstRent === undefined) {
    throw new Error("the demo register has no rentals");
  }
  if (compliance.months.length !== 1) {
    throw new Error(`compliance of one month gave ${compliance.months.length}`);
  }
  console.log(
    `flow.ts: ${me.email} (${me.organization_kind}) sees ${rentals.items.length} rentals, ` +
      `the first at ${firstRent} yen; ${month}: ${compliance.months[0]?.status.status}`,
  );
}

main(process.argv[2] ?? "http://127.0.0.1:8080").catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
