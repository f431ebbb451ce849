"""Turns README.md's shell blocks into one script that runs the walk-through
as written, in order, in one shell, against a server started the way the
README starts it (with `cargo run --release --` replaced by the built binary).

Not run: the "Two commands" block (it is the build and the test run that CI
does anyway) and the PostgreSQL section (another way to start the same
server). Every curl must answer 2xx, but for a block whose first line says
"Answers NNN", whose one call must answer exactly that.
"""

import re
import sys

SKIPPED_SECTIONS = ("## Two commands", "## PostgreSQL")


def blocks(readme):
    section = ""
    for part in re.split(r"(^## .*$)", readme, flags=re.M):
        if part.startswith("## "):
            section = part.strip()
            continue
        for block in re.findall(r"^```sh\n(.*?)^```", part, flags=re.M | re.S):
            yield section, block


def main(readme_path):
    readme = open(readme_path).read()
    out = [
        "set -euo pipefail",
        "curl() { command curl --fail-with-body --show-error \"$@\"; }",
        # One call that must answer `want`; its body goes to the log.
        "expect() { local want=$1 got; shift; got=$(command curl -o /dev/stderr -w '%{http_code}' \"$@\");"
        " [ \"$got\" = \"$want\" ] || { echo \"answered $got, not $want\" >&2; exit 1; }; }",
    ]
    for n, (section, block) in enumerate(blocks(readme), 1):
        if section in SKIPPED_SECTIONS:
            continue
        out.append(f"echo; echo '== README block {n} ({section[3:]})'")
        if " -- serve" in block:
            out.append(block.replace("cargo run --release --", '"$CSAPI_BIN"').rstrip() + " >\"$SERVE_LOG\" 2>&1 &")
            out.append("SERVER=$!")
            out.append("for _ in $(seq 1 150); do command curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break; sleep 0.2; done")
            continue
        expected = re.match(r"\s*# Answers (\d{3})", block)
        if expected:
            out.append(f"(\ncurl() {{ expect {expected.group(1)} \"$@\"; }}\n{block.rstrip()}\n)")
            continue
        out.append(block.rstrip())
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
