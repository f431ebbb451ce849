"""Seeds one demo account with a year of weekly usage, surveys, revenue and
assessments, and saves its QBR for 2026-Q3 with both built-in views side by
side: the report pictured in the README (docs/img/qbr.png).

    python3 bench/demo_qbr.py http://127.0.0.1:8080 <admin key> qbr.html
"""
import datetime as dt
import json
import math
import random
import sys
import urllib.request

api, key, out = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, body=None, accept="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(api + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                          "Accept": accept})
    with urllib.request.urlopen(req) as res:
        return res.read()


rng = random.Random(7)
acme = json.loads(call("POST", "/v1/accounts", {
    "name": "Northwind Traders", "segment": "enterprise", "owner": "jane@example.com",
    "customer_since": "2023-04-01", "original_arr": 180000, "currency": "EUR"}))["id"]
people = [json.loads(call("POST", f"/v1/accounts/{acme}/stakeholders", {"name": n, "title": t}))["id"]
          for n, t in [("Dana Scully", "COO"), ("Raj Patel", "Head of Operations"), ("Mia Wong", "IT Director")]]

rows = []
start = dt.datetime(2025, 10, 6, 9, tzinfo=dt.timezone.utc)
for week in range(52):
    t = start + dt.timedelta(weeks=week)
    if t >= dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc):
        break
    at = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    growth = 1 + week / 60
    rows += [
        {"account_id": acme, "metric": "logins", "observed_at": at, "value": round(420 * growth + rng.gauss(0, 30))},
        {"account_id": acme, "metric": "page_views", "observed_at": at, "value": round(5200 * growth + rng.gauss(0, 300))},
        {"account_id": acme, "metric": "reports_run", "observed_at": at, "value": round(60 * growth + rng.gauss(0, 8))},
        {"account_id": acme, "metric": "active_users_pct", "observed_at": at,
         "value": round(min(100, 48 + week * 0.55 + rng.gauss(0, 2)), 1)},
        {"account_id": acme, "metric": "open_support_cases", "observed_at": at,
         "value": max(0, round(6 - week / 10 + rng.gauss(0, 1)))},
    ]
for q, (arr, nps, csat, breadth, ttv) in enumerate([(190000, 18, 71, 35, 75), (198000, 24, 74, 42, 60),
                                                    (205000, 31, 78, 51, 48), (226000, 38, 82, 63, 41)]):
    month = [11, 2, 5, 8][q]
    year = 2025 if q == 0 else 2026
    at = f"{year}-{month:02d}-15T12:00:00Z"
    rows += [{"account_id": acme, "metric": m, "observed_at": at, "value": v} for m, v in [
        ("arr", arr), ("survey_nps", nps), ("survey_csat", csat), ("adoption_breadth", breadth),
        ("time_to_value_days", ttv), ("paid_up", 1), ("renewals_count", 2)]]
call("POST", "/v1/observations", {"observations": rows})

call("POST", "/v1/assessments", {"account_id": acme, "framework": "readiness", "assessed_at": "2026-08-20T10:00:00Z",
                                 "scores": {"goal_clarity": 8, "priority": 9}})
call("POST", "/v1/assessments", {"account_id": acme, "framework": "success_equation", "assessed_at": "2026-08-20T10:00:00Z",
                                 "scores": {"product_quality": 8, "outcome_clarity": 8, "enablement": 7,
                                            "guidance": 7, "relationship_trust": 8, "business_need": 9}})
for person, (purpose, intent) in zip(people, [(9, 9), (8, 7), (4, 8)]):
    call("POST", "/v1/assessments", {"account_id": acme, "stakeholder_id": person, "framework": "purpose_intent",
                                     "assessed_at": "2026-09-02T10:00:00Z",
                                     "scores": {"purpose": purpose, "intent": intent}})
with open(out, "wb") as f:
    f.write(call("GET", f"/v1/accounts/{acme}/qbr?quarter=2026-Q3&compare=qbr_traditional,qbr_future",
                 accept="text/html"))
