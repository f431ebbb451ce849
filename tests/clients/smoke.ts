// TypeScript types generated from openapi/openapi.json (openapi-typescript)
// with openapi-fetch, against a running csapi: a front end's first calls,
// type-checked by `tsc --noEmit` before they run.
//
// Usage: node smoke.js BASE_URL API_KEY (after generating api.d.ts and compiling).

import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type AssessmentInput = components["schemas"]["AssessmentInput"];

function check(cond: boolean, what: string): void {
  if (!cond) {
    console.error(`typescript client: ${what}`);
    process.exit(1);
  }
}

async function main(baseUrl: string, key: string): Promise<void> {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

  const made = await api.POST("/v1/accounts", { body: { name: "Acme (typescript)", segment: "ts-smoke" } });
  check(made.response.status === 201 && made.data !== undefined, `create account answered ${made.response.status}`);
  const account = made.data!;

  // A scores map types as numbers by dimension: no casts needed.
  const input: AssessmentInput = { account_id: account.id, framework: "readiness", scores: { goal_clarity: 3, priority: 9 } };
  const assessed = await api.POST("/v1/assessments", { body: input });
  check(assessed.response.status === 201, `create assessment answered ${assessed.response.status}`);
  const goal: number | undefined = assessed.data?.scores["goal_clarity"];
  check(goal === 3, `scores came back as ${JSON.stringify(assessed.data?.scores)}`);

  for (const n of [0, 1]) {
    const extra = await api.POST("/v1/accounts", { body: { name: `Acme ${n} (typescript)`, segment: "ts-smoke" } });
    check(extra.response.status === 201, "create more accounts");
  }
  const names: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await api.GET("/v1/accounts", {
      params: { query: { segment: "ts-smoke", page_size: 2, ...(token ? { page_token: token } : {}) } },
    });
    check(page.data !== undefined, "list accounts");
    pages += 1;
    names.push(...page.data!.items.map((a) => a.name));
    token = page.data!.next_page_token ?? undefined;
  } while (token);
  check(pages === 2 && names.length === 3, `paging gave ${pages} pages, ${names}`);

  const bad = await api.POST("/v1/accounts", { body: { name: " " } });
  check(bad.response.status === 422, `a blank name answered ${bad.response.status}`);
  const fields = (bad.error?.errors ?? []).map((e) => e.field);
  check(fields.length === 1 && fields[0] === "name", `the 422 named ${fields}`);
  console.log("typescript client: account, assessment with scores, paging, 422 fields: ok");
}

const [baseUrl, key] = process.argv.slice(2);
check(baseUrl !== undefined && key !== undefined, "usage: node smoke.js BASE_URL API_KEY");
main(baseUrl!, key!).catch((e) => {
  console.error(e);
  process.exit(1);
});
