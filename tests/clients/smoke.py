"""A Python client generated from openapi/openapi.json (openapi-python-client)
against a running csapi: what an integrator's first script does.

Usage: python3 smoke.py BASE_URL API_KEY  (the generated `csapi_client`
package must be importable).
"""

import sys

from csapi_client import AuthenticatedClient
from csapi_client.api.accounts import create_account, list_accounts
from csapi_client.api.assessments import create_assessment
from csapi_client.models import (
    AccountInput,
    AccountView,
    AssessmentInput,
    AssessmentInputScores,
    AssessmentView,
    Problem,
)


def check(cond, what):
    if not cond:
        sys.exit(f"python client: {what}")


def main(base_url, key):
    client = AuthenticatedClient(base_url=base_url, token=key)

    made = create_account.sync_detailed(client=client, body=AccountInput(name="Acme (python)", segment="py-smoke"))
    check(made.status_code == 201, f"create account answered {made.status_code}")
    check(isinstance(made.parsed, AccountView), "create account did not parse as AccountView")
    account = made.parsed

    scores = AssessmentInputScores.from_dict({"goal_clarity": 3, "priority": 9})
    assessed = create_assessment.sync_detailed(
        client=client,
        body=AssessmentInput(account_id=account.id, framework="readiness", scores=scores),
    )
    check(assessed.status_code == 201, f"create assessment answered {assessed.status_code}")
    check(isinstance(assessed.parsed, AssessmentView), "assessment did not parse")
    check(assessed.parsed.scores.additional_properties == {"goal_clarity": 3.0, "priority": 9.0}, "scores did not round-trip")

    for n in range(2):
        extra = create_account.sync_detailed(client=client, body=AccountInput(name=f"Acme {n} (python)", segment="py-smoke"))
        check(extra.status_code == 201, "create more accounts")
    names, token, pages = [], None, 0
    while True:
        page = list_accounts.sync(client=client, segment="py-smoke", page_size=2, **({"page_token": token} if token else {}))
        pages += 1
        names += [a.name for a in page.items]
        token = page.next_page_token if isinstance(page.next_page_token, str) else None
        if not token:
            break
    check(pages == 2 and len(names) == 3, f"paging gave {pages} pages, {names}")

    bad = create_account.sync_detailed(client=client, body=AccountInput(name=" "))
    check(bad.status_code == 422, f"a blank name answered {bad.status_code}")
    check(isinstance(bad.parsed, Problem), "a 422 did not parse as Problem")
    check([e.field for e in bad.parsed.errors] == ["name"], f"the 422 named {bad.parsed.errors}")
    print("python client: account, assessment with scores, paging, 422 fields: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
