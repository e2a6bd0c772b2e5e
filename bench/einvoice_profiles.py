"""How many generated e-invoices each profile accepts, and how incomplete ones are refused.

    .venv/bin/python -m bench.einvoice_profiles [--invoices 300] [--seed 17]

Complete invoices come from tests/support/scenarios.py (`complete_invoice`: German, Belgian,
French and Dutch sellers; domestic, intra-EU and export buyers; VAT categories S, Z, E, AE,
K, G, O; EUR, USD, GBP, CHF, SEK, JPY; discounts, prepaid amounts). Each is exported in every
profile and syntax: UBL and CII under EN 16931 and XRechnung, UBL under Peppol BIS. An export
passes when our rules, the XSD, the CEN Schematron and the rules on the written document all
accept it (the export refuses otherwise). Target: 100 %.

Then, for each profile, each invoice loses one field the profile needs (`REQUIRED`) and is
exported again: it must be refused with 422 einvoice_incomplete naming that field. Target:
every one refused, every one with the field named.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from core.errors import EinvoiceIncomplete
from core.exports.einvoice import cii_xml, ubl_xml
from core.exports.validation import warm_up
from tests.support.scenarios import EXPORTS, REQUIRED, complete_invoice, priced, without


def export(invoice, syntax: str, profile: str) -> bytes:
    return (ubl_xml if syntax == "ubl" else cii_xml)(invoice, profile=profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    warm_up()
    rng = random.Random(args.seed)
    invoices = [priced(complete_invoice(rng)) for _ in range(args.invoices)]
    categories = Counter(item["tax_category"] for inv in invoices for item in inv["items"])
    currencies = Counter(inv["currency"] for inv in invoices)

    passed: Counter[tuple[str, str]] = Counter()
    refusals: Counter[tuple[str, str]] = Counter()
    seconds: list[float] = []
    for invoice in invoices:
        for syntax, profile in EXPORTS:
            started = time.perf_counter()
            try:
                export(invoice, syntax, profile)
                passed[(syntax, profile)] += 1
            except EinvoiceIncomplete as refused:
                rules = ",".join(m["rule"] for m in refused.details["missing"])
                refusals[(syntax, profile, rules)] += 1
            seconds.append(time.perf_counter() - started)

    print(
        f"{len(invoices)} complete invoices (seed {args.seed}); lines by VAT category "
        f"{dict(sorted(categories.items()))}; currencies {dict(sorted(currencies.items()))}"
    )
    print(f"\n{'export':<18} {'pass':>9} {'of':>5} {'rate':>8}")
    for syntax, profile in EXPORTS:
        count = passed[(syntax, profile)]
        rate = 100 * count / len(invoices)
        print(f"{syntax.upper() + ' ' + profile:<18} {count:>9} {len(invoices):>5} {rate:>7.1f}%")
    for key, count in refusals.items():
        print(f"  refused: {key} × {count}")
    print(f"median export incl. validation: {1000 * statistics.median(seconds):.1f} ms")

    print(f"\n{'incomplete, by profile':<24} {'refused':>8} {'named':>7} {'of':>6}")
    for profile, fields in REQUIRED.items():
        syntaxes = [s for s, p in EXPORTS if p == profile]
        refused = named = total = 0
        unnamed: Counter[str] = Counter()
        for invoice in invoices[: max(1, args.invoices // 3)]:
            for field in fields:
                broken = without(invoice, field)
                for syntax in syntaxes:
                    total += 1
                    try:
                        export(broken, syntax, profile)
                    except EinvoiceIncomplete as error:
                        refused += 1
                        fields_named = {m["field"] for m in error.details["missing"]}
                        if field in fields_named:
                            named += 1
                        else:
                            unnamed[f"{field} -> {sorted(fields_named)}"] += 1
        print(f"{profile:<24} {refused:>8} {named:>7} {total:>6}")
        for what, count in unnamed.items():
            print(f"  not named: {what} × {count}")


if __name__ == "__main__":
    main()
