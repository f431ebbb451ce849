"""Seeds a demo book of 50 accounts with readiness assessments and saves the
readiness chart: the picture in the README (docs/img/readiness-chart.png).

    python3 bench/demo_portfolio.py http://127.0.0.1:8080 <admin key> chart.svg
"""
import json
import random
import sys
import urllib.request

api, key, out = sys.argv[1], sys.argv[2], sys.argv[3]
NAMES = """Acme Corp, Globex, Initech, Umbrella Health, Stark Industries, Wayne Logistics, Hooli,
Pied Piper, Soylent Foods, Vandelay Imports, Cyberdyne, Tyrell Systems, Wonka Brands, Gringotts Bank,
Oscorp, Aperture Labs, Black Mesa, Monarch Solutions, Massive Dynamic, Nakatomi Trading, Dunder Mifflin,
Prestige Worldwide, Bluth Company, Sterling Cooper, Virtucon, Gekko & Co, Krusty Krab, Los Pollos Hermanos,
Paper Street Soap, Rekall, Blue Sun, Weyland Corp, Zorg Industries, Omni Consumer, Buy n Large,
Spacely Sprockets, Cogswell Cogs, Ollivanders, Duff Beverages, Kwik-E-Mart, Sirius Cybernetics, Ajax Freight,
Contoso, Fabrikam, Northwind Traders, Tailspin Toys, Wingtip Air, Adatum, Litware, Proseware""".replace("\n", " ")
names = [n.strip() for n in NAMES.split(",")]


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(api + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as res:
        return res.read()


rng = random.Random(20261123)
centres = [(3, 3), (8, 3), (3, 8), (8, 8)]
for i, name in enumerate(names):
    account = json.loads(call("POST", "/v1/accounts", {"name": name, "segment": ["smb", "enterprise"][i % 2]}))
    cx, cy = centres[rng.choice([0, 1, 1, 2, 3, 3, 3])]
    g = min(10, max(1, round(rng.gauss(cx, 1.4) * 2) / 2))
    p = min(10, max(1, round(rng.gauss(cy, 1.4) * 2) / 2))
    call("POST", "/v1/assessments", {"account_id": account["id"], "framework": "readiness",
                                     "scores": {"goal_clarity": g, "priority": p}})
with open(out, "wb") as f:
    f.write(call("GET", "/v1/matrices/readiness/chart.svg"))
print(f"{len(names)} accounts; chart saved to {out}")
