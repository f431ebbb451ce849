"""Seeds one demo account with a year of weekly usage, surveys, revenue,
assessments, two success plans and the quarter's successes, and saves its QBR for 2026-Q3 with both built-in views side by
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
template = json.loads(call("POST", "/v1/success-plan-templates", {
    "name": "Operations rollout", "duration_days": 270,
    "objectives": [
        {"title": "Every shift lead works in the platform", "weight": 2, "due_offset_days": 180,
         "outcome": "One view of the floor instead of five spreadsheets",
         "kpis": [{"name": "Active users", "metric_key": "active_users_pct", "baseline": 48, "target": 80}],
         "milestones": [{"title": "Pilot site live", "due_offset_days": 45},
                        {"title": "All sites trained", "due_offset_days": 120},
                        {"title": "Spreadsheets retired", "due_offset_days": 180}]},
        {"title": "Faster month-end reporting", "due_offset_days": 240,
         "kpis": [{"name": "Days to close", "unit": "days", "baseline": 10, "target": 5}]}]}))["id"]
rollout = json.loads(call("POST", "/v1/success-plans", {
    "account_id": acme, "template_id": template, "start_date": "2026-01-05", "status": "active",
    "owner": "jane@example.com"}))
for ms, on in zip(rollout["objectives"][0]["milestones"][:2], ["2026-02-20", "2026-05-04"]):
    call("PATCH", f"/v1/success-plans/{rollout['id']}/objectives/{rollout['objectives'][0]['id']}/milestones/{ms['id']}",
         {"done": True, "done_on": on})
close = rollout["objectives"][1]
call("PATCH", f"/v1/success-plans/{rollout['id']}/objectives/{close['id']}/kpis/{close['kpis'][0]['id']}",
     {"current": 6})
expansion = json.loads(call("POST", "/v1/success-plans", {
    "account_id": acme, "name": "Expand to the logistics division", "start_date": "2026-06-01",
    "target_date": "2026-12-15", "status": "active"}))
call("POST", f"/v1/success-plans/{expansion['id']}/objectives", {
    "title": "Logistics sponsor signed up", "milestones": [
        {"title": "Executive briefing", "done": True, "done_on": "2026-06-18"},
        {"title": "Pilot scoped", "done": True, "done_on": "2026-08-27"},
        {"title": "Business case approved"}]})
call("POST", "/v1/successes", {
    "account_id": acme, "title": "Spreadsheets retired at the pilot site", "achieved_on": "2026-07-01",
    "plan_id": rollout["id"], "objective_id": rollout["objectives"][0]["id"],
    "outcome": {"description": "Shift handover from 40 to 10 minutes", "purposeful": True},
    "story": "How the night shift stopped re-keying the floor plan",
    "reuse": [{"scope": "company", "description": "The same handover view for every site"}],
    "measurable": {"metric": "Handover minutes", "baseline": 40, "result": 10, "target": 15},
    "permanence": {"behaviour_change": "Handover runs from the shared board", "sustained_since": "2026-07-01"}})
call("POST", "/v1/successes", {
    "account_id": acme, "title": "Finance closed August in 8 days", "achieved_on": "2026-09-08",
    "outcome": {"description": "Month-end close two days faster", "purposeful": True},
    "measurable": {"metric": "Days to close", "baseline": 10, "result": 8, "target": 6}})
with open(out, "wb") as f:
    f.write(call("GET", f"/v1/accounts/{acme}/qbr?quarter=2026-Q3&compare=qbr_traditional,qbr_future",
                 accept="text/html"))
